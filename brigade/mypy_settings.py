"""Settings for mypy's Django plugin: brigade.settings with placeholders for what it requires.

The plugin imports the settings to learn the installed apps and models; it never connects to
Redis or the database, so a placeholder REDIS_URL and SECRET_KEY are enough. Values already in
the environment win.
"""

from __future__ import annotations

import os

os.environ.setdefault("SECRET_KEY", "mypy-" + "k" * 60)
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")

from brigade.settings import *  # noqa: F403
