from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client

from core.redis_clients import key, sync_client
from kitchen.tests.factories import UserFactory


@pytest.fixture
def owner(db):
    return UserFactory(username="owner")


@pytest.fixture
def other(db):
    return UserFactory(username="other")


@pytest.fixture
def staff(db):
    return UserFactory(username="boss", is_staff=True)


@pytest.fixture
def as_user():
    """A test client logged in as the user (optionally enforcing CSRF, as a browser session does)."""

    def login(user, *, csrf: bool = False) -> Client:
        client = Client(enforce_csrf_checks=csrf)
        client.force_login(user)
        return client

    return login


class Queue:
    """The test run's Celery queue on the real broker (Redis or RabbitMQ), read as a worker would."""

    def __init__(self) -> None:
        from brigade.celery import app

        self.app = app
        self.name = settings.CELERY_TASK_DEFAULT_QUEUE

    def _bound(self, connection):
        bound = self.app.amqp.queues[self.name](connection.default_channel)
        bound.declare()  # RabbitMQ knows a queue once it is declared
        return bound

    def clear(self) -> None:
        with self.app.connection_for_read() as connection:
            self._bound(connection).purge()

    def delete(self) -> None:
        with self.app.connection_for_read() as connection:
            self._bound(connection).delete()

    def tasks(self) -> list[dict]:
        """Take every waiting task off the queue (oldest first)."""
        found = []
        with self.app.connection_for_read() as connection:
            bound = self._bound(connection)
            while (message := bound.get(no_ack=True)) is not None:
                args, kwargs, _ = message.decode()
                headers = message.headers
                found.append({"task": headers["task"], "id": headers["id"], "args": args, "kwargs": kwargs,
                              "timelimit": list(headers["timelimit"]), "eta": headers.get("eta")})  # fmt: skip
        return found


@pytest.fixture
def queue():
    queue = Queue()
    queue.clear()
    yield queue
    queue.delete()  # a test run's queue is not left behind on a shared broker


class Events:
    """A subscriber to realtime topics on the real Redis: what a page's socket would be sent."""

    def __init__(self, *topics: str) -> None:
        self.pubsub = sync_client().pubsub()
        self.pubsub.subscribe(*(key("rt", topic) for topic in topics))

    def received(self, *, wait: float = 0.3) -> list[dict]:
        events = []
        while (message := self.pubsub.get_message(timeout=wait)) is not None:
            if message["type"] == "message":
                events.append(json.loads(message["data"]))
        return events

    def close(self) -> None:
        self.pubsub.close()


@pytest.fixture
def listen():
    opened: list[Events] = []

    def subscribe(*topics: str) -> Events:
        events = Events(*topics)
        opened.append(events)
        return events

    yield subscribe
    for events in opened:
        events.close()
