"""Outgoing e-mail: one function, HTML and plain-text templates, Django's e-mail API and settings.

`mail_send(to=..., subject=..., template="jobs/mail/finished", context={...})` renders
`<template>.txt` (the body) and `<template>.html` (the alternative) and sends through
EMAIL_BACKEND: SMTP from the EMAIL_* settings (with EMAIL_TIMEOUT on every connection), the
console in `make run`. SMTP errors are raised, for the calling task to retry or record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
    return message.send()
