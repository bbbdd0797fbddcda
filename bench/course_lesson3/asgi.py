"""Django's stock ASGI application for the course reference (no Brigade handler, no GC tuning)."""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.course_lesson3.settings"

from django.core.asgi import get_asgi_application

application = get_asgi_application()
