"""`make manage ARGS=...`: any management command on a local checkout, with make run's set-up."""

from __future__ import annotations

import subprocess
import sys

import pytest

from brigade import embedded_redis
from brigade.config import BASE_DIR
from tests.helpers import clean_env


def run(args: list[str], var_dir, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, cwd=BASE_DIR, env=clean_env(BRIGADE_VAR_DIR=str(var_dir), **env), capture_output=True, text=True,
        timeout=120, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip


def test_make_manage_runs_a_command_without_any_settings_and_cleans_up(tmp_path):
    # Given a checkout with no SECRET_KEY, REDIS_URL or DATABASE_URL (plain `manage.py` stops here)
    plain = run([sys.executable, "manage.py", "check"], tmp_path)
    assert plain.returncode != 0
    assert "configuration error" in plain.stderr

    # When the same command runs through make manage
    done = run(["make", "--no-print-directory", "manage", "ARGS=check --fail-level WARNING"], tmp_path)

    # Then it succeeds, and the Redis it started for the command is gone again
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout
    assert (tmp_path / "secret_key").exists()
    assert embedded_redis.running_url(tmp_path) is None


def test_a_command_beside_make_run_uses_its_redis_and_leaves_it_running(tmp_path):
    # Given make run's embedded Redis already up in the var directory
    process, url = embedded_redis.start(tmp_path, persist=False)
    try:
        # When a command that needs the database and Redis runs
        script = (
            "import os; from django.core.cache import cache; from django.contrib.auth import get_user_model; "
            "cache.set('x', 1); print(os.environ['REDIS_URL'], get_user_model().objects.filter(is_superuser=True)"
            ".values_list('username', flat=True).get())"
        )
        migrate = run([sys.executable, "-m", "brigade.launcher", "manage", "migrate", "-v", "0"], tmp_path)
        assert migrate.returncode == 0, migrate.stderr
        create = run(
            [sys.executable, "-m", "brigade.launcher", "manage", "createsuperuser", "--noinput",
             "--username", "boss", "--email", "boss@example.com"],
            tmp_path, DJANGO_SUPERUSER_PASSWORD="a-Long-unusual-pass-42",
        )  # fmt: skip
        shell = run([sys.executable, "-m", "brigade.launcher", "manage", "shell", "-v", "0", "-c", script], tmp_path)

        # Then it used that Redis, the superuser is in the local database, and Redis is still up
        assert create.returncode == 0, create.stderr
        assert "Superuser created successfully." in create.stdout
        assert shell.stdout.strip() == f"{url} boss", shell.stderr
        assert process.poll() is None
        assert embedded_redis.running_url(tmp_path) == url
    finally:
        embedded_redis.stop(process)


@pytest.mark.parametrize("bad", ["REDIS_URL=http://nowhere", "PORT=0"])
def test_bad_settings_stop_with_one_line(tmp_path, bad):
    name, _, value = bad.partition("=")
    done = run([sys.executable, "-m", "brigade.launcher", "manage", "check"], tmp_path, **{name: value})
    assert done.returncode != 0
    assert done.stderr.strip().startswith("brigade: configuration error"), done.stderr
    assert "Traceback" not in done.stderr
