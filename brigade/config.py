"""Read Brigade's configuration from the environment, failing with one clear line."""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import dj_database_url
from dj_database_url import DBConfig

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigurationError(SystemExit):
    """A missing or malformed setting: exits with a one-line message, no traceback."""

    def __init__(self, name: str, problem: str) -> None:
        self.name = name
        self.problem = problem
        super().__init__(f"brigade: configuration error: {name} {problem}")


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ConfigurationError(name, "is required but not set")
        return default
    return value


def env_bool(name: str, *, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(name, f"must be true or false (1/0, yes/no), got {raw!r}")


def env_int(name: str, *, default: int, minimum: int = 0, maximum: int = 2**31) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(name, f"must be a whole number, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ConfigurationError(name, f"must be between {minimum} and {maximum}, got {value}")
    return value


def env_choice(name: str, *, default: str, choices: tuple[str, ...]) -> str:
    raw = os.environ.get(name)
    value = default if raw is None or raw.strip() == "" else raw.strip().lower()
    if value not in choices:
        raise ConfigurationError(name, f"must be one of {', '.join(choices)}, got {raw!r}")
    return value


def env_list(name: str, default: str) -> list[str]:
    raw = os.environ.get(name, default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def var_dir() -> Path:
    """Where embedded state (SQLite file, Redis socket, secret key) lives."""
    return Path(os.environ.get("BRIGADE_VAR_DIR") or BASE_DIR / "var").resolve()


def local_secret_key() -> str:
    """A random key kept in the var directory, for DEBUG runs that set no SECRET_KEY."""
    directory = var_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "secret_key"
    if not path.exists():
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(64))
    return path.read_text().strip()


@dataclass(frozen=True)
class PoolSettings:
    """psycopg's connection pool for PostgreSQL; max_size 0 means no pool (a connection per call)."""

    min_size: int
    max_size: int
    timeout: int  # seconds a caller waits for a free connection before an error
    conn_max_age: int = 0  # persistent per-thread connections, only without a pool


def pool_settings() -> PoolSettings:
    pool = PoolSettings(
        min_size=env_int("DB_POOL_MIN", default=2, maximum=1000),
        max_size=env_int("DB_POOL_MAX", default=10, maximum=1000),
        timeout=env_int("DB_POOL_TIMEOUT", default=10, minimum=1, maximum=3600),
        conn_max_age=env_int("DB_CONN_MAX_AGE", default=0),
    )
    if pool.max_size and pool.min_size > pool.max_size:
        raise ConfigurationError("DB_POOL_MIN", f"must not exceed DB_POOL_MAX ({pool.max_size}), got {pool.min_size}")
    if pool.max_size and pool.conn_max_age:
        # Django refuses persistent connections with a pool; they are the pre-pool alternative.
        raise ConfigurationError("DB_CONN_MAX_AGE", "applies only without the pool (DB_POOL_MAX=0)")
    return pool


def database_config(*, pool: PoolSettings) -> DBConfig:
    raw = os.environ.get("DATABASE_URL", "").strip()
    if not raw:
        path = var_dir() / "brigade.sqlite3"
        return sqlite_config(path)
    scheme = urlsplit(raw).scheme
    if scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
        raise ConfigurationError("DATABASE_URL", f"must start with postgres:// or sqlite://, got scheme {scheme!r}")
    try:
        config = dj_database_url.parse(raw, conn_max_age=pool.conn_max_age, conn_health_checks=True)
    except (ValueError, KeyError) as exc:
        raise ConfigurationError("DATABASE_URL", f"is malformed: {exc}") from None
    if config["ENGINE"].endswith("sqlite3"):
        return sqlite_config(Path(config["NAME"]))
    if not config.get("NAME"):
        raise ConfigurationError("DATABASE_URL", "must name a database, e.g. postgres://host/brigade")
    if pool.max_size:
        # Under ASGI, database work runs in whichever worker thread sync_to_async picks, and
        # each call ends by closing its connection: with a pool, "closing" hands the
        # connection back instead of ending a PostgreSQL backend.
        config.setdefault("OPTIONS", {})["pool"] = {
            "min_size": pool.min_size,
            "max_size": pool.max_size,
            "timeout": pool.timeout,
        }
    return config


def sqlite_config(path: Path) -> DBConfig:
    # WAL lets readers (web) and a writer (worker) share the file; IMMEDIATE transactions
    # plus a busy timeout turn lock contention into a short wait instead of "database is locked".
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
        # A file, not :memory:, so that live servers and workers started by tests share it.
        "TEST": {"NAME": str(path.with_name(f"test_{path.name}"))},
    }


def redis_url() -> str:
    """REDIS_URL as redis-py understands it (redis://, rediss:// or unix://)."""
    raw = os.environ.get("REDIS_URL", "").strip()
    if not raw:
        raise ConfigurationError(
            "REDIS_URL",
            "is required (make run starts an embedded Redis and sets it; otherwise use e.g. redis://127.0.0.1:6379/0)",
        )
    parts = urlsplit(raw)
    if parts.scheme not in {"redis", "rediss", "unix"}:
        raise ConfigurationError("REDIS_URL", f"must start with redis://, rediss:// or unix://, got {raw!r}")
    if parts.scheme == "unix" and not parts.path:
        raise ConfigurationError("REDIS_URL", "unix:// needs a socket path")
    if parts.scheme != "unix" and not parts.hostname:
        raise ConfigurationError("REDIS_URL", f"needs a host, got {raw!r}")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ConfigurationError("REDIS_URL", f"has a bad port in {raw!r}") from None
    return raw


def celery_redis_url(url: str) -> str:
    """Kombu spells a unix-socket Redis as redis+socket:///path?virtual_host=N."""
    parts = urlsplit(url)
    if parts.scheme != "unix":
        return url
    query = parse_qs(parts.query)
    db = query.get("db", ["0"])[0]
    return f"redis+socket://{parts.path}?{urlencode({'virtual_host': db})}"


def celery_broker_url(redis: str) -> str:
    """CELERY_BROKER_URL: RabbitMQ (amqp://, amqps://) or Redis; by default the Redis of REDIS_URL."""
    raw = os.environ.get("CELERY_BROKER_URL", "").strip()
    if not raw:
        return celery_redis_url(redis)
    parts = urlsplit(raw)
    if parts.scheme in {"amqp", "amqps", "redis", "rediss"} and not parts.hostname:
        raise ConfigurationError("CELERY_BROKER_URL", f"needs a host (scheme {parts.scheme}://)")
    if parts.scheme in {"amqp", "amqps"}:
        return raw
    if parts.scheme in {"redis", "rediss", "unix"}:
        return celery_redis_url(raw)
    # The URL may hold a password: name only its scheme.
    raise ConfigurationError(
        "CELERY_BROKER_URL", f"must start with amqp://, amqps://, redis://, rediss:// or unix://, not {parts.scheme!r}"
    )
