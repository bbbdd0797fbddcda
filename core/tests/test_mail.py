"""core.mail.mail_send against a real SMTP server on loopback (tests/smtp.py)."""

from __future__ import annotations

import smtplib
from pathlib import Path

import pytest

from core.mail import MailPermanentError, MailTemporaryError, mail_send
from core.retry import backoff_seconds
from tests.smtp import SMTP_BACKEND

TEMPLATES = Path(__file__).parent / "templates"


@pytest.fixture
def smtp(smtp_server, settings):
    for name, value in smtp_server.django_settings.items():
        setattr(settings, name, value)
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], TEMPLATES]}]
    return smtp_server


def send(**overrides) -> int:
    arguments = {"to": "sauce@example.com", "subject": "Ready", "template": "mail/hello",
                 "context": {"name": "Lea", "thing": "import"}, **overrides}  # fmt: skip
    return mail_send(**arguments)


def test_a_message_has_a_plain_text_body_and_an_html_alternative(smtp):
    assert send(to=["sauce@example.com", "pastry@example.com"]) == 1

    [message] = smtp.wait_for(1)
    assert message["To"] == "sauce@example.com, pastry@example.com"
    assert message["Subject"] == "Ready"
    assert message["From"] == "Brigade <brigade@localhost>"
    plain = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Hello Lea," in plain
    assert "Your <strong>import</strong> is ready." in html
    assert smtp.envelopes[0].rcpt_tos == ("sauce@example.com", "pastry@example.com")


def test_user_data_is_escaped_in_html_and_a_subject_stays_on_one_line(smtp):
    send(subject="Ready\r\nBcc: everyone@example.com", context={"name": "<b>Eve</b>", "thing": "x"})

    [message] = smtp.wait_for(1)
    assert message["Subject"] == "Ready Bcc: everyone@example.com"
    assert message["Bcc"] is None
    assert "&lt;b&gt;Eve&lt;/b&gt;" in message.get_body(preferencelist=("html",)).get_content()


def test_smtp_down_raises_and_sends_nothing_then_works_when_it_is_back(smtp):
    with smtp.down(), pytest.raises(MailTemporaryError, match="could not reach the mail server") as down:
        send()
    assert isinstance(down.value.__cause__, ConnectionRefusedError)
    assert smtp.messages == []

    send()
    assert len(smtp.wait_for(1)) == 1


def test_a_server_refusing_for_now_raises_a_transient_smtp_error(smtp):
    with smtp.refusing("421 4.3.2 try again later"), pytest.raises(MailTemporaryError, match="answered 421") as refused:
        send()
    assert isinstance(refused.value.__cause__, smtplib.SMTPRecipientsRefused)
    assert smtp.messages == []


def test_a_server_refusing_for_good_raises_a_permanent_error(smtp):
    with smtp.refusing("550 5.1.1 no such mailbox"), pytest.raises(MailPermanentError, match="answered 550"):
        send()
    assert smtp.messages == []


@pytest.mark.parametrize("tries", [0, 1, 5, 40])
def test_backoff_doubles_up_to_its_cap_with_jitter_in_the_upper_half(tries):
    ceiling = min(60.0, 2.0 * 2**tries)
    waits = {backoff_seconds(tries, base=2.0, cap=60.0) for _ in range(200)}
    assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
    assert len(waits) > 100  # jittered, not one fixed delay


@pytest.mark.parametrize("to", [[], "", ["not-an-address"], [None]])
def test_a_missing_or_malformed_address_is_refused_before_sending(smtp, to):
    with pytest.raises(ValueError, match="needs e-mail addresses"):
        send(to=to)


@pytest.mark.parametrize(
    "environ, backend",
    [
        ({}, "django.core.mail.backends.console.EmailBackend"),  # make run's demo works offline
        ({"EMAIL_HOST": "smtp.example.com"}, None),  # a configured server is used (Django's SMTP default)
        ({"EMAIL_BACKEND": SMTP_BACKEND}, SMTP_BACKEND),
    ],
)
def test_make_run_prints_mail_unless_a_server_is_configured(monkeypatch, environ, backend):
    from brigade.launcher import local_env

    monkeypatch.delenv("EMAIL_BACKEND", raising=False)
    monkeypatch.delenv("EMAIL_HOST", raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert local_env().get("EMAIL_BACKEND") == backend
