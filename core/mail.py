"""Outgoing e-mail: one function, HTML and plain-text templates, Django's e-mail API and settings.

`mail_send(to=..., subject=..., template="jobs/mail/finished", context={...})` renders
`<template>.txt` (the body) and `<template>.html` (the alternative) and sends through
EMAIL_BACKEND: SMTP from the EMAIL_* settings (with EMAIL_TIMEOUT on every connection), the
console in `make run`. A failure is raised as MailTemporaryError (the server or the network is
down, or it answered 4xx: worth trying again later) or MailPermanentError (5xx: a refused sender
or recipient, which a retry will not change), for the calling task to retry or record.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

SUBJECT_MAX = 200


def mail_send(*, to: str | Sequence[str], subject: str, template: str, context: dict[str, Any]) -> int:
    """Send one message to every address in `to` (visible to each other); returns 1 when sent."""
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients or not all(isinstance(address, str) and "@" in address for address in recipients):
        raise ValueError(f"mail_send needs e-mail addresses, got {recipients!r}")
    # A header cannot hold a line break (Django would refuse it): subjects are one line.
    one_line = " ".join(subject.split())[:SUBJECT_MAX]
    message = EmailMultiAlternatives(
        subject=one_line,
        body=render_to_string(f"{template}.txt", context),
        to=recipients,
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    try:
        return message.send()
    except (smtplib.SMTPException, OSError) as error:
        raise mail_error(error) from error


class MailError(Exception):
    """Sending failed; `temporary` says whether trying again later may work."""

    temporary = False


class MailTemporaryError(MailError):
    temporary = True


class MailPermanentError(MailError):
    pass


def _reply_codes(error: smtplib.SMTPException) -> list[int]:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return [code for code, _ in error.recipients.values()]
    if isinstance(error, smtplib.SMTPResponseException):
        return [error.smtp_code]
    return []


def mail_error(error: BaseException) -> MailError:
    """Classify a failure to send: connection trouble and 4xx replies are temporary, 5xx permanent."""
    if isinstance(error, MailError):
        return error
    where = f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    if isinstance(error, smtplib.SMTPException):
        codes = _reply_codes(error)
        text = f"the mail server {where} answered {', '.join(map(str, codes)) or 'unexpectedly'}: {error}"
        if codes and all(500 <= code < 600 for code in codes):
            return MailPermanentError(text[:300])
        return MailTemporaryError(text[:300])  # 4xx, a dropped connection, a mangled reply
    return MailTemporaryError(f"could not reach the mail server {where}: {error}"[:300])
