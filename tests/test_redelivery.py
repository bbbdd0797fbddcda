"""A plain task (acks_late + reject_on_worker_lost) on a real worker that is killed mid-task:
delivered again at once when only the pool process dies; when the whole worker dies, delivered to
the next worker at once on RabbitMQ (the connection drops) and after the visibility timeout on
Redis (lowered to 6 s here). Jobs need neither: their heartbeat gets them resumed sooner."""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator

import pytest
from django.conf import settings

from core.redis_clients import key, sync_client
from tests.helpers import stack_env, wait_for
from tests.worker import WORKER_ENV, CeleryWorker

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VISIBILITY = 6


@pytest.fixture
def short_visibility_worker(tmp_path, smtp_server_session) -> Iterator[CeleryWorker]:
    """A worker of its own queue, with the visibility timeout lowered and the test tasks loaded."""
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-redelivery"
    env = {**stack_env(), **{k: str(v) for k, v in smtp_server_session.django_settings.items()}, **WORKER_ENV,
           "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY), "CELERY_QUEUE": queue}  # fmt: skip
    worker = CeleryWorker(env, tmp_path, concurrency=1, extra=("-I", "tests.worker_tasks"))
    worker.queue = queue  # type: ignore[attr-defined]
    worker.start()
    yield worker
    worker.stop()
    from brigade.celery import app

    with app.connection_for_write() as connection:
        app.amqp.queues[queue](connection.default_channel).delete()


def counts(name: str) -> tuple[int, int]:
    started, finished = sync_client().mget(key("test-task", name, "started"), key("test-task", name, "finished"))
    return int(started or 0), int(finished or 0)


def send(worker: CeleryWorker, seconds: float) -> str:
    from tests.worker_tasks import mark_slowly

    name = uuid.uuid4().hex
    mark_slowly.apply_async((name, seconds), queue=worker.queue)  # type: ignore[attr-defined]
    wait_for(lambda: counts(name)[0] == 1, timeout=30, what="the task to start")
    return name


def test_a_pool_process_killed_mid_task_has_its_task_delivered_again_at_once(short_visibility_worker):
    name = send(short_visibility_worker, 4)

    for pid in short_visibility_worker.pool_pids():
        os.kill(pid, signal.SIGKILL)

    wait_for(lambda: counts(name) == (2, 1), timeout=30, what="the task to run again and finish")
    assert short_visibility_worker.running


def test_a_killed_worker_has_its_task_delivered_to_the_next_worker(short_visibility_worker):
    name = send(short_visibility_worker, 4)

    short_visibility_worker.kill()  # SIGKILL: the message was never acknowledged
    assert counts(name) == (1, 0)
    short_visibility_worker.start()

    # RabbitMQ: at once (the dead worker's connection dropped); Redis: once VISIBILITY has passed
    wait_for(lambda: counts(name) == (2, 1), timeout=VISIBILITY + 60, what="the task to be delivered again")
