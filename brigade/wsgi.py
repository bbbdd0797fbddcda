"""WSGI entry point, for deployments (and benchmarks) that serve the sync views with gunicorn."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brigade.settings")

application = get_wsgi_application()
