"""`manage.py check` refuses job kinds that could outlive the Redis broker's visibility timeout."""

from __future__ import annotations

from jobs.checks import time_limits_below_the_visibility_timeout


def test_kinds_within_the_visibility_timeout_pass(settings):
    settings.CELERY_VISIBILITY_TIMEOUT = 3600
    assert time_limits_below_the_visibility_timeout(None) == []


def test_a_kind_that_may_run_past_it_is_an_error_on_redis_only(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"  # whichever broker this run uses
    settings.CELERY_VISIBILITY_TIMEOUT = 100  # below the demo kind's 660 s and the default 1,500 s
    errors = time_limits_below_the_visibility_timeout(None)
    assert {error.id for error in errors} == {"jobs.E001"}
    assert any("'demo.count' may run 660 s" in error.msg for error in errors)

    settings.CELERY_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"  # RabbitMQ has no visibility timeout
    assert time_limits_below_the_visibility_timeout(None) == []
