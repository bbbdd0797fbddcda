from __future__ import annotations

import pytest

from jobs.tests.conftest import as_user, listen, queue  # noqa: F401  (shared fixtures)


@pytest.fixture
def smtp(smtp_server, settings):
    """Django in this process sends to the run's real SMTP server."""
    for name, value in smtp_server.django_settings.items():
        setattr(settings, name, value)
    return smtp_server
