"""Upstream code Brigade copies or relies on (core/upstream.py): a change fails, naming what to re-check."""

from __future__ import annotations

import re

import pytest

from brigade.config import BASE_DIR
from core import upstream
from core.checks import upstream_unchanged
from core.upstream import PRIVATE_NAMES, UPSTREAM, Recorded, fingerprint, private_name_problem, source_problem

HANDLE = "django.core.handlers.asgi.ASGIHandler.handle"


@pytest.mark.parametrize("name", sorted(UPSTREAM))
def test_the_upstream_source_is_as_recorded(name):
    problem = source_problem(name)
    assert problem is None, problem


@pytest.mark.parametrize("name", sorted(PRIVATE_NAMES))
def test_the_private_name_still_exists(name):
    problem = private_name_problem(name)
    assert problem is None, problem


def test_a_changed_source_says_what_changed_and_what_to_compare(monkeypatch):
    # Given Django's handle() as recorded on an older release
    monkeypatch.setitem(UPSTREAM, HANDLE, Recorded("0" * 64, "core/fastpath/handlers.py"))
    problem = source_problem(HANDLE)
    assert problem is not None
    assert problem.startswith(f"Django's {HANDLE} changed (recorded on Django 5.2.")
    assert "compare it with core/fastpath/handlers.py" in problem
    assert f"re-record its sha256 {fingerprint(HANDLE)} in core/upstream.py" in problem


def test_a_vanished_name_is_reported(monkeypatch):
    gone = "django.core.handlers.asgi.ASGIHandler.handle_gone"
    monkeypatch.setitem(UPSTREAM, gone, Recorded("0" * 64, "core/fastpath/handlers.py"))
    assert "no longer exists" in source_problem(gone)
    private = "django.dispatch.Signal._gone_receivers"
    monkeypatch.setitem(PRIVATE_NAMES, private, (upstream._static(private), "core/fastpath/handlers.py"))
    assert private_name_problem(private).startswith(f"Django's private {private} is gone or changed")


def test_the_deploy_check_warns_and_skips_the_fast_path_when_it_is_off(monkeypatch, settings):
    assert upstream_unchanged(None) == []
    monkeypatch.setitem(UPSTREAM, HANDLE, Recorded("0" * 64, "core/fastpath/handlers.py"))
    monkeypatch.setitem(UPSTREAM, "ninja.security.apikey.APIKeyCookie._get_key", Recorded("0" * 64, "core/api.py"))
    settings.FASTPATH = True
    assert [w.id for w in upstream_unchanged(None)] == ["brigade.W010", "brigade.W010"]
    settings.FASTPATH = False  # Django's stock path: only what is used regardless (the API's cookie auth)
    assert [w.msg.split(" ")[1] for w in upstream_unchanged(None)] == ["ninja.security.apikey.APIKeyCookie._get_key"]


def test_every_private_name_is_listed_in_the_docstring():
    for name in PRIVATE_NAMES:
        for attribute in re.findall(r"\b_[a-z_]+", name):
            assert f"{attribute}" in upstream.__doc__, f"{name} is checked but not described in core/upstream.py"


def test_every_private_name_our_code_reads_on_another_object_is_listed():
    """`x._name` or getattr(x, "_name") outside tests, on anything but self/cls, is described in core/upstream.py."""
    pattern = re.compile(r"(?<![\w.])(?!self\b|cls\b)\w+(?:\(\))?\.(_[a-z]\w*)|getattr\(\w+, \"(_[a-z]\w*)\"")
    unlisted = set()
    for folder in ("accounts", "brigade", "chat", "core", "expenses", "jobs", "kitchen"):
        for path in (BASE_DIR / folder).rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts or path.name == "upstream.py":
                continue
            for match in pattern.finditer(path.read_text()):
                name = match.group(1) or match.group(2)
                if name not in upstream.__doc__:
                    unlisted.add(f"{path.relative_to(BASE_DIR)}: {name}")
    assert not unlisted, f"private names not described in core/upstream.py: {sorted(unlisted)}"
