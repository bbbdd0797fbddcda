"""`make test`'s own set-up: the browser the tests drive is there before any test runs."""

from __future__ import annotations

import subprocess

import pytest

from brigade import testrun


class TestEnsureBrowser:
    def test_an_installed_chromium_is_used_as_is(self, monkeypatch):
        monkeypatch.setattr(testrun.shutil, "which", lambda name: f"/usr/bin/{name}")
        monkeypatch.setattr(testrun.subprocess, "run", pytest.fail)  # nothing is installed
        assert testrun.ensure_browser() == "/usr/bin/chromium"

    def test_without_rights_to_install_it_stops_with_one_line_saying_what_to_run(self, monkeypatch):
        monkeypatch.setattr(testrun.shutil, "which", lambda name: None)
        monkeypatch.setattr(testrun.os, "geteuid", lambda: 1000)
        with pytest.raises(SystemExit) as stopped:
            testrun.ensure_browser()
        message = str(stopped.value)
        assert "\n" not in message
        assert "apt-get install --no-install-recommends chromium" in message

    def test_as_root_it_installs_debians_chromium_with_apt_get(self, monkeypatch):
        installed: list[list[str]] = []

        def fake_run(args, **kwargs):
            installed.append(args)
            return subprocess.CompletedProcess(args, 0)

        which = iter([None, "/usr/bin/apt-get", "/usr/bin/chromium"])
        monkeypatch.setattr(testrun.shutil, "which", lambda name: next(which))
        monkeypatch.setattr(testrun.os, "geteuid", lambda: 0)
        monkeypatch.setattr(testrun.subprocess, "run", fake_run)
        assert testrun.ensure_browser() == "/usr/bin/chromium"
        assert installed[-1][:2] == ["apt-get", "install"]
        assert "chromium" in installed[-1]


def test_the_committed_editor_bundle_is_the_build_of_frontend(monkeypatch, tmp_path, capsys):
    import shutil as _shutil

    from brigade.config import BASE_DIR

    if _shutil.which("node") is None or not (BASE_DIR / "frontend" / "node_modules" / "esbuild").exists():
        pytest.fail("Node and frontend/node_modules are needed (make test installs them)")
    testrun.check_bundle()  # the committed bundle passes
    # A bundle that is not the build of frontend/ (edited by hand, or frontend/ changed without a
    # build) fails the check.
    (tmp_path / "frontend").symlink_to(BASE_DIR / "frontend")
    stale = tmp_path / "kitchen" / "static" / "kitchen" / "editor.bundle.js"
    stale.parent.mkdir(parents=True)
    stale.write_bytes((BASE_DIR / "kitchen/static/kitchen/editor.bundle.js").read_bytes() + b"\n// edited")
    monkeypatch.setattr(testrun, "BASE_DIR", tmp_path)
    with pytest.raises(SystemExit):
        testrun.check_bundle()
    assert "is not the build of frontend/" in capsys.readouterr().err
