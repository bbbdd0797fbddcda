"""Every WebSocket route in one place; an unknown path is refused, never a 500."""

from __future__ import annotations

from channels.routing import URLRouter
from django.urls import re_path

from chat.routing import websocket_urlpatterns as chat_patterns
from core.consumers import RefuseConsumer
from core.routing import websocket_urlpatterns as core_patterns
from expenses.routing import websocket_urlpatterns as expenses_patterns
from jobs.routing import websocket_urlpatterns as jobs_patterns
from kitchen.routing import websocket_urlpatterns as kitchen_patterns

websocket_urlpatterns = [
    *core_patterns,
    *chat_patterns,
    *kitchen_patterns,
    *jobs_patterns,
    *expenses_patterns,
]

# URLRouter raises ValueError on an unmatched path (a 500 at the handshake):
# the catch-all refuses those sockets with a close code instead.
websocket_router = URLRouter([*websocket_urlpatterns, re_path(r"", RefuseConsumer.as_asgi())])
