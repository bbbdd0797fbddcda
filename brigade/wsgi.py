"""WSGI entry point, for deployments (and benchmarks) that serve the sync views with gunicorn.

ServeStatic's Django middleware is async-only: under WSGI it would push every request through
async_to_sync (a new event loop per request). Here static files are served by ServeStatic's
WSGI wrapper instead, and the middleware is left out of this process's stack.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from servestatic import ServeStatic

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brigade.settings")

_ASYNC_ONLY = "servestatic.middleware.ServeStaticMiddleware"
settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != _ASYNC_ONLY]

application = ServeStatic(
    get_wsgi_application(),
    root=settings.STATIC_ROOT if settings.STATIC_COLLECTED else None,
    prefix=settings.STATIC_URL,
    autorefresh=settings.DEBUG,
)
if not settings.STATIC_COLLECTED:
    for directory in settings.STATICFILES_DIRS:
        application.add_files(str(directory), prefix=settings.STATIC_URL)
