"""Brigade's settings with the sync twins routed (bench/async_views.py's "sync" and "gunicorn" servers)."""

from brigade.settings import *  # noqa: F403

ROOT_URLCONF = "bench.sync_twins.urls"
