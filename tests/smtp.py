"""A real SMTP server on loopback for tests (aiosmtpd), shared by the whole run: a pytest plugin.

    def test_mail(smtp_server, settings):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_server.host, smtp_server.port
        ...
        [message] = smtp_server.wait_for(1)
        assert message["To"] == "chef@example.com"

`smtp_server` is emptied before each test; `with smtp_server.down():` refuses connections (SMTP
down) and `with smtp_server.refusing("421 4.3.2 try again later"):` answers every recipient with
that reply. The Celery worker fixture (tests/worker.py) sends its mail here too.
"""

from __future__ import annotations

import contextlib
import email
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller

from tests.helpers import free_port

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


@dataclass(frozen=True)
class Envelope:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if self.server.refusal is not None:
            return self.server.refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.server.refusal is not None:
            return self.server.refusal
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=default_policy)
        self.server._accept(Envelope(envelope.mail_from, tuple(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = free_port()
        self.refusal: str | None = None
        self.envelopes: list[Envelope] = []
        self._changed = threading.Condition()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        with self._changed:
            return [envelope.message for envelope in self.envelopes]

    @property
    def django_settings(self) -> dict[str, object]:
        """What Django needs to send here (also the environment of processes started by tests)."""
        return {"EMAIL_BACKEND": SMTP_BACKEND, "EMAIL_HOST": self.host, "EMAIL_PORT": self.port,
                "EMAIL_USE_TLS": False, "EMAIL_HOST_USER": "", "EMAIL_HOST_PASSWORD": ""}  # fmt: skip

    def start(self) -> None:
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def _accept(self, envelope: Envelope) -> None:
        with self._changed:
            self.envelopes.append(envelope)
            self._changed.notify_all()

    def clear(self) -> None:
        with self._changed:
            self.envelopes.clear()

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        """The messages received so far, once there are at least `count` (AssertionError after `timeout`)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.envelopes) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} message(s) within {timeout}s, got {len(self.envelopes)}")
                self._changed.wait(left)
            return [envelope.message for envelope in self.envelopes]

    @contextlib.contextmanager
    def down(self) -> Iterator[None]:
        """SMTP down: connections are refused until the block ends, then the server is back on its port."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    @contextlib.contextmanager
    def refusing(self, reply: str = "421 4.3.2 Service not available, try again later") -> Iterator[None]:
        """The server answers but refuses every recipient and message with `reply` (4xx: transient)."""
        self.refusal = reply
        try:
            yield
        finally:
            self.refusal = None


@pytest.fixture(scope="session")
def smtp_server_session() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server(smtp_server_session: SmtpServer) -> SmtpServer:
    """The run's SMTP server, empty, up and accepting at the start of the test."""
    smtp_server_session.refusal = None
    if smtp_server_session._controller is None:
        smtp_server_session.start()
    smtp_server_session.clear()
    return smtp_server_session
