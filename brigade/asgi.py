"""ASGI entry point: HTTP goes to Django, WebSockets to Channels consumers."""

from __future__ import annotations

import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brigade.settings")

from django.conf import settings
from django.core.handlers.asgi import ASGIHandler

# Django must be set up before anything imports models (consumers, routing).
django_asgi_app: ASGIHandler
if settings.FASTPATH:
    from core.fastpath.handlers import get_asgi_application

    django_asgi_app = get_asgi_application()
else:  # Django's stock handler (FASTPATH=0)
    from django.core.asgi import get_asgi_application as get_stock_asgi_application

    django_asgi_app = get_stock_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from brigade.routing import websocket_router  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(websocket_router)),
    }
)

# Everything loaded so far (Django, apps, URLconf, templates) lives as long as the process. Under
# load, requests that wait on I/O survive the young collections and trigger full ones, which
# would walk all of it again and again (~100 ms each here); frozen objects are skipped.
gc.collect()
gc.freeze()
# Each young collection walks every object of the requests in flight (hundreds of them wait on
# the price feed at once). Collecting every 10,000 allocations instead of every 700 cut GC from
# about 0.4 to 0.2-0.25 ms per request at c = 200, with pauses of ~20 ms (docs/PERFORMANCE.md).
gc.set_threshold(10_000, 10, 10)
