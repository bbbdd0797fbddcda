from __future__ import annotations

import base64
import json

import pytest
from django.conf import settings

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


class Queue:
    """The test run's Celery queue in Redis, read the way a worker would find it."""

    def __init__(self) -> None:
        self.client = sync_client()
        self.name = settings.CELERY_TASK_DEFAULT_QUEUE

    def clear(self) -> None:
        self.client.delete(self.name)

    def tasks(self) -> list[dict]:
        found = []
        for raw in reversed(self.client.lrange(self.name, 0, -1)):  # kombu pushes on the left
            message = json.loads(raw)
            args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
            headers = message["headers"]
            found.append({"task": headers["task"], "id": headers["id"], "args": args, "kwargs": kwargs,
                          "timelimit": headers["timelimit"], "eta": headers.get("eta")})  # fmt: skip
        return found


@pytest.fixture
def queue():
    queue = Queue()
    queue.clear()
    yield queue
    queue.clear()


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
