from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from chat import selectors, services
from chat.forms import OpenRoomForm
from chat.models import MESSAGE_MAX_LENGTH
from chat.presence import presence_counts
from core.types import AuthenticatedHttpRequest


@login_required
@require_http_methods(["GET", "POST"])
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = OpenRoomForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.room_enter(name=form.cleaned_data["name"], user=request.user)
        except services.RoomAccessDenied:
            raise Http404("No such room") from None
        return redirect("chat:room", room=form.cleaned_data["name"])
    rooms = list(selectors.rooms_for_list(user=request.user)[:100])
    members = selectors.room_member_counts(room_ids=[r.pk for r in rooms])
    online = presence_counts(rooms=[r.name for r in rooms])
    rows = [{"room": r, "members": members.get(r.pk, 0), "online": online.get(r.name)} for r in rooms]
    return render(request, "chat/index.html", {"rows": rows, "form": form}, status=400 if form.errors else 200)


@login_required
@require_GET
def room(request: HttpRequest, room: str) -> HttpResponse:
    chat_room = selectors.room_for_page(user=request.user, name=room)
    if chat_room is None:
        raise Http404("No such room")
    return render(request, "chat/room.html", {"room": chat_room, "max_length": MESSAGE_MAX_LENGTH})
