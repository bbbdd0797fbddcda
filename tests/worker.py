"""A real Celery worker for tests (`celery -A brigade worker` in a subprocess), shared by the run.

It consumes the run's own queue (CELERY_QUEUE, one per xdist worker) on the test Redis, works on
the test database (tests using it need `django_db(transaction=True)`: it sees committed data only),
and sends mail to the run's SMTP server (tests/smtp.py). Jobs' heartbeats are lowered
(JOBS_HEARTBEAT_SECONDS=1, JOBS_STALE_SECONDS=3) so that a test can kill it mid-job and see the
job resumed in seconds. Use the function-scoped `celery_worker`: it restarts the worker if an
earlier test killed it.

    pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

    def test_it(celery_worker):
        ...
        celery_worker.kill()        # SIGKILL the worker and its pool, as a crash would
        celery_worker.start()       # a new worker (it resumes jobs whose heartbeat is stale)
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import Server, alive, descendants, stack_env, wait_for
from tests.smtp import SmtpServer

WORKER_ENV = {"JOBS_HEARTBEAT_SECONDS": "1", "JOBS_STALE_SECONDS": "3", "LOG_LEVEL": "INFO",
              # Transient failures retried three times, after 0.1-0.2 s, 0.2-0.4 s and 0.4-0.8 s.
              "TRANSIENT_RETRIES": "3", "TRANSIENT_RETRY_BASE_MS": "200",
              # Imports write small batches, so a test can stop one between them.
              "IMPORT_BATCH_SIZE": "100"}  # fmt: skip
_names = itertools.count(1)


class CeleryWorker:
    def __init__(
        self, env: dict[str, str], log_dir: Path, *, concurrency: int = 2, extra: tuple[str, ...] = ()
    ) -> None:
        self.env = env
        self.log_dir = log_dir
        self.concurrency = concurrency
        self.extra = extra
        self.server: Server | None = None
        self.hostname = ""

    @property
    def running(self) -> bool:
        return self.server is not None and self.server.process.poll() is None

    @property
    def pid(self) -> int:
        assert self.server is not None
        return self.server.process.pid

    def pool_pids(self) -> set[int]:
        """The pool's child processes (where tasks run)."""
        return descendants(self.pid)

    def start(self) -> None:
        self.hostname = f"test-{os.getpid()}-{next(_names)}@{socket.gethostname()}"
        self.server = Server(
            [sys.executable, "-m", "celery", "-A", "brigade", "worker", "--loglevel", "INFO",
             "--concurrency", str(self.concurrency), "--hostname", self.hostname,
             "--without-gossip", "--without-mingle", *self.extra],
            self.env,
            self.log_dir / f"worker-{self.hostname.split('@')[0]}.log",
        )  # fmt: skip
        wait_for(self._ready, timeout=60, what=f"the Celery worker {self.hostname} to answer a ping")

    def _ready(self) -> bool:
        from brigade.celery import app

        if not self.running:
            raise AssertionError(f"the Celery worker exited:\n{self.output()[-3000:]}")
        with app.connection_for_write() as connection:
            return bool(app.control.ping(destination=[self.hostname], timeout=0.5, connection=connection))

    def kill(self) -> None:
        """SIGKILL the worker and every pool process at once, as a crash or a power cut would."""
        assert self.server is not None
        pids = {self.pid, *self.pool_pids()}
        os.killpg(self.pid, signal.SIGKILL)
        self.server.process.wait(timeout=10)
        wait_for(lambda: not alive(pids), timeout=10, what="the killed worker's processes to be gone")
        self.server.stop()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    def ensure_running(self) -> None:
        if not self.running:
            self.stop()
            self.start()

    def output(self) -> str:
        return self.server.output() if self.server is not None else ""


@pytest.fixture(scope="session")
def celery_worker_session(
    django_db_setup, django_db_blocker, tmp_path_factory, smtp_server_session: SmtpServer
) -> Iterator[CeleryWorker]:
    with django_db_blocker.unblock():
        env = stack_env()
    env.update({name: str(value) for name, value in smtp_server_session.django_settings.items()})
    env.update(WORKER_ENV)
    worker = CeleryWorker(env, tmp_path_factory.mktemp("celery"))
    worker.start()
    yield worker
    worker.stop()
    _delete_queue()


@pytest.fixture(scope="session", autouse=True)
def _run_queue_deleted_at_the_end() -> Iterator[None]:
    """Tests that enqueue leave the run's queue on the broker; RabbitMQ would keep it for good."""
    yield
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("amqp"):
        _delete_queue()


def _delete_queue() -> None:
    """The run's queue is not left behind on a shared broker (RabbitMQ keeps durable queues)."""
    from django.conf import settings

    from brigade.celery import app

    with app.connection_for_write() as connection:
        app.amqp.queues[settings.CELERY_TASK_DEFAULT_QUEUE](connection.default_channel).delete()


@pytest.fixture
def celery_worker(celery_worker_session: CeleryWorker) -> CeleryWorker:
    """The run's Celery worker, running (started again if a test killed it)."""
    celery_worker_session.ensure_running()
    return celery_worker_session
