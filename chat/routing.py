from django.urls import re_path

from chat.consumers import ChatConsumer

# The pattern accepts any single path segment; the consumer validates the name and refuses
# bad ones with 4404 instead of letting the router fail the handshake.
websocket_urlpatterns = [
    re_path(r"^ws/chat/(?P<room>[^/]*)/$", ChatConsumer.as_asgi()),
]
