"""Every private or undocumented name of Django, asgiref and Ninja that Brigade relies on, and
fingerprints of the upstream code copied or relied upon, so that an upgrade cannot slip past.

`UPSTREAM` holds the sha256 of `inspect.getsource` of each upstream function or class, as read
on the versions in `RECORDED_ON`; `PRIVATE_NAMES` the private attributes used. When one changes
or disappears, core/tests/test_upstream.py fails (and `manage.py check` warns, brigade.W010)
naming our file to compare with it; meanwhile `FASTPATH=0` runs on Django's stock path.

Where each name is used, and what it is:

core/fastpath/handlers.py
- `django.core.handlers.asgi.ASGIHandler` is subclassed, though not public API (Django's
  `get_asgi_application` says so): `handle`, `__call__` and `django.core.asgi.get_asgi_application`
  are copied; `read_body`, `create_request`, `send_response`, `run_get_response`,
  `listen_for_disconnect` and the module's `get_script_prefix` are called.
- `Signal._live_receivers(sender)`: the (sync, async) receivers a send would call; when all
  are Django's per-thread resets (`close_old_connections`, `reset_queries`, `close_caches`,
  `reset_urlconf`: hashed, since "only resets the calling thread" is our reading of them),
  `request_started`/`request_finished` are sent inline.
- `SyncToAsync.thread_sensitive_context` (the ContextVar holding the request's
  `ThreadSensitiveContext`) and `SyncToAsync.context_to_thread_executor` (the executor that
  context's first `sync_to_async` call made): "did this request use its worker thread?".
- `HttpResponseBase._handler_class`: set by `run_get_response`, the sender of the
  `request_finished` that `HttpResponseBase.close` sends.
- `request.__dict__.clear()` after `handle`: assumes nothing reads the request afterwards
  (Django's `__call__` does not).

core/fastpath/middleware.py
- `MiddlewareMixin`: its `__call__`/`__acall__` are replaced and `async_mode`/`get_response`
  read; `BaseHandler.load_middleware` adapts `process_view` by what it finds on the instance.
  The hooks of the seven standard middleware run on the event loop because they do no I/O: a
  judgement to make again whenever one of those classes changes.
- `SimpleLazyObject._wrapped` and `django.utils.functional.empty`: was the message storage built?
- `request._messages`: where `django.contrib.messages` finds the storage.

core/fastpath/cache.py
- `RedisCache._cache` (a cached_property, overridden), `RedisCache._servers`, `._options`,
  `._class` (set by `RedisCache.__init__`), `RedisCacheClient._serializer`: the native async
  methods use the same keys, serializer and timeout rules as `RedisCacheClient`'s sync ones.

core/fastpath/sessions.py, accounts/backends.py
- `cached_db.SessionStore` and `ModelBackend.get_user`/`aget_user` are public, overridden with
  their contract kept, so hashed too. `Model._default_manager` and `Model._meta` (the Model
  _meta API) are documented API.
- `SessionUser._session_auth_hash` and `._session_auth_fallback_hashes` are ours (accounts/models.py):
  the HMACs kept in the cached entry, set by the backend when it builds the user.

core/api.py
- Ninja's `APIKeyCookie._get_key(request)`: runs the CSRF check for unsafe methods, then reads
  the session cookie.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from collections.abc import Callable
from importlib.metadata import version
from typing import Any, NamedTuple

RECORDED_ON = {"Django": "5.2.19", "asgiref": "3.13.0", "django-ninja": "1.7.1"}
DISTRIBUTIONS = {"django": "Django", "asgiref": "asgiref", "ninja": "django-ninja"}
FASTPATH_FILES = ("core/fastpath/", "accounts/backends.py")


class Recorded(NamedTuple):
    sha256: str
    where: str  # our code that copies or relies on it: what to compare the new source with


_HANDLERS = "core/fastpath/handlers.py"
_MIDDLEWARE = "core/fastpath/middleware.py"
_CACHE = "core/fastpath/cache.py"

UPSTREAM: dict[str, Recorded] = {
    "django.core.handlers.asgi.ASGIHandler.__call__": Recorded(
        "f756809e9c9308dcccb78a301fccf09196e80cdc4745690f80384d09b69dd102", _HANDLERS
    ),
    "django.core.handlers.asgi.ASGIHandler.handle": Recorded(
        "98faeb5bef800331e6a8002fbc96b30e4122a23438ae45a047190a531ea11323", _HANDLERS
    ),
    "django.core.handlers.asgi.ASGIHandler.run_get_response": Recorded(
        "0234ea5fe09a577785a5f895752910cbb439f5e28ebb53bdd27247251c00e6ef", _HANDLERS
    ),
    "django.core.handlers.asgi.ASGIHandler.listen_for_disconnect": Recorded(
        "c729aa315c734f98cc8a6460d75adcae548e97549b6600388666fbbf6fcba2a9", _HANDLERS
    ),
    "django.core.asgi.get_asgi_application": Recorded(
        "5f47704332ead684b772c1d321232112231737bee23d89288bddfeacba0f6cf5", _HANDLERS
    ),
    "django.dispatch.Signal._live_receivers": Recorded(
        "0a7af5d851f7fd8789bc95621f84ff0289b143671344692da26c68903a79caff", _HANDLERS
    ),
    "django.http.response.HttpResponseBase.close": Recorded(
        "84589f5b23acbb23aa9010f3506ef411b72b1053f2fc2764590e2b3bf3470438", _HANDLERS
    ),
    "django.db.close_old_connections": Recorded(
        "c352dd45e8333c97d83fb0905f187e31475cb3d8bb9308611077febb6e21deb6", _HANDLERS
    ),
    "django.db.reset_queries": Recorded("9989bcde56b2f76a5f82e3e24bccd1808759ca6ae72b501470e171628f1fe712", _HANDLERS),
    "django.core.cache.close_caches": Recorded(
        "abe7badf0640b1466b5352dffad178f043f14c2dfab96eabb1275b50f4e301a6", _HANDLERS
    ),
    "django.core.handlers.base.reset_urlconf": Recorded(
        "7ad5ce3f320f5c51f1a6bc7867df5574482acc6df32968e4bb7842026b4d4707", _HANDLERS
    ),
    "asgiref.sync.SyncToAsync.__call__": Recorded(
        "6376e33c6d3d94c58df80c3f2386c38401d19a543d08626a34721abe309845f6", _HANDLERS
    ),
    "asgiref.sync.ThreadSensitiveContext": Recorded(
        "da8ec00f861b8bdf79b0d318c32d1c6b844b1fd68e18ff7a70e4cae0990047d6", _HANDLERS
    ),
    "django.utils.deprecation.MiddlewareMixin": Recorded(
        "719062a110865f71699d2ba8aa41406051cd16e2c4b163bd0429d8a6015b6036", _MIDDLEWARE
    ),
    "django.core.handlers.base.BaseHandler.load_middleware": Recorded(
        "a1fb7ee5f8586195da2174d1bbc2bbfc7ca19b9d26ea66412cb434f45bf6d467", _MIDDLEWARE
    ),
    "django.middleware.security.SecurityMiddleware": Recorded(
        "7c0daafdd127de47ad2bb47f63a6c4cb7b77ca64fa0102c8bf35ae54bfe8d15d", _MIDDLEWARE
    ),
    "django.contrib.sessions.middleware.SessionMiddleware": Recorded(
        "81dfc7bdab25942992c90fcc9bbf9fb4ba3fd83395255331d8f80f4bd00983b2", _MIDDLEWARE
    ),
    "django.middleware.common.CommonMiddleware": Recorded(
        "0a9411bc1510a38cb8bca40c49c548482598593939e76e9ca20609ad8bf8cc04", _MIDDLEWARE
    ),
    "django.middleware.csrf.CsrfViewMiddleware": Recorded(
        "461e7a1110dea43fffad25fd756dbcdf5d8ea6d616fe157537a39951dcdd995d", _MIDDLEWARE
    ),
    "django.contrib.auth.middleware.AuthenticationMiddleware": Recorded(
        "016788fb7214c6edd10b3022e2cda7c84b25fd5efe5141d87d5a79cb92e54d38", _MIDDLEWARE
    ),
    "django.contrib.messages.middleware.MessageMiddleware": Recorded(
        "68bbf99a11d6e87ea36b2ab43ee4190d97d1b74249b261cecebd5071d138ebb4", _MIDDLEWARE
    ),
    "django.middleware.clickjacking.XFrameOptionsMiddleware": Recorded(
        "b005c3dcd16801e1f195424685998882d855be76154b4571fb9e391f47b12865", _MIDDLEWARE
    ),
    "django.utils.functional.SimpleLazyObject": Recorded(
        "45722f835702341cb7a22648f8a589f429014439ca54d2d32d70e2701502b25d", _MIDDLEWARE
    ),
    "django.core.cache.backends.redis.RedisCache.__init__": Recorded(
        "40131bec6169f7fabfaebec788863364d123d7a6a13e9dc8de1a92bb00cd451f", _CACHE
    ),
    "django.core.cache.backends.redis.RedisCache._cache": Recorded(
        "9ff16af6c04a2401b81c722bb57c120805f496039011d3a8c76c8163df6b0970", _CACHE
    ),
    "django.core.cache.backends.redis.RedisCacheClient": Recorded(
        "5de49e5f7f9af97043f28bfd2746bc6effe7d03489d233210065ce1010dc2b5d", _CACHE
    ),
    "django.contrib.sessions.backends.cached_db.SessionStore": Recorded(
        "fbf044fd08e5291b3e439e712ea842f2e8207e93a641820740501ea98864e562", "core/fastpath/sessions.py"
    ),
    "django.contrib.auth.backends.ModelBackend.get_user": Recorded(
        "ab2f0fe76793811045cc08f3bed420b14226abf77356fe328f9c544d173f11b7", "accounts/backends.py"
    ),
    "django.contrib.auth.backends.ModelBackend.aget_user": Recorded(
        "4117914607303ccd85f7083c3d76590227d9fbb9127ff4b91c17c88cd2adf846", "accounts/backends.py"
    ),
    "ninja.security.apikey.APIKeyCookie._get_key": Recorded(
        "a5219a21c26da15e31973fade80adf152873ddf4065b2e6644b84311095ae5b5", "core/api.py"
    ),
}

# Private attributes, each with a check that it still exists (and still means the same).
PRIVATE_NAMES: dict[str, tuple[Callable[[], bool], str]] = {}


def _private(name: str, where: str) -> Callable[[Callable[[], bool]], Callable[[], bool]]:
    def register(check: Callable[[], bool]) -> Callable[[], bool]:
        PRIVATE_NAMES[name] = (check, where)
        return check

    return register


def _static(dotted: str) -> Callable[[], bool]:
    def exists() -> bool:
        try:
            _resolve(dotted)
        except (ImportError, AttributeError):
            return False
        return True

    return exists


for _name, _where in {
    "django.dispatch.Signal._live_receivers": _HANDLERS,
    "asgiref.sync.SyncToAsync.context_to_thread_executor": _HANDLERS,
    "django.core.handlers.asgi.ASGIHandler.read_body": _HANDLERS,
    "django.core.handlers.asgi.ASGIHandler.create_request": _HANDLERS,
    "django.core.handlers.asgi.ASGIHandler.send_response": _HANDLERS,
    "django.core.handlers.asgi.get_script_prefix": _HANDLERS,
    "django.core.cache.backends.redis.RedisCache._cache": _CACHE,
    "ninja.security.apikey.APIKeyCookie._get_key": "core/api.py",
}.items():
    PRIVATE_NAMES[_name] = (_static(_name), _where)


@_private("asgiref.sync.SyncToAsync.thread_sensitive_context", _HANDLERS)
def _thread_sensitive_context() -> bool:
    from contextvars import ContextVar

    from asgiref.sync import SyncToAsync

    return isinstance(getattr(SyncToAsync, "thread_sensitive_context", None), ContextVar)


@_private("django.http.HttpResponseBase._handler_class", _HANDLERS)
def _handler_class() -> bool:
    from django.http import HttpResponse

    return hasattr(HttpResponse(), "_handler_class")


@_private("django.core.cache.backends.redis.RedisCache._servers, _options, _class", _CACHE)
def _cache_attributes() -> bool:
    from django.core.cache.backends.redis import RedisCache

    cache = RedisCache("redis://127.0.0.1:1/0", {})  # connects to nothing until used
    return all(hasattr(cache, name) for name in ("_servers", "_options", "_class"))


@_private("django.core.cache.backends.redis.RedisCacheClient._serializer", _CACHE)
def _serializer() -> bool:
    from django.core.cache.backends.redis import RedisCacheClient

    serializer = getattr(RedisCacheClient(["redis://127.0.0.1:1/0"]), "_serializer", None)
    return hasattr(serializer, "dumps") and hasattr(serializer, "loads")


@_private("django.utils.functional.SimpleLazyObject._wrapped", _MIDDLEWARE)
def _wrapped() -> bool:
    from django.utils.functional import SimpleLazyObject, empty

    return SimpleLazyObject(dict)._wrapped is empty  # type: ignore[attr-defined]  # the private name checked


@_private("django.http.HttpRequest._messages", _MIDDLEWARE)
def _messages() -> bool:
    from django.contrib.messages import get_messages
    from django.http import HttpRequest

    request, storage = HttpRequest(), object()
    request._messages = storage  # type: ignore[attr-defined]
    return get_messages(request) is storage


def _resolve(dotted: str) -> Any:
    """The object named by `dotted` (module path, then attributes), descriptors not invoked."""
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            obj = inspect.getattr_static(obj, attribute)
        return obj
    raise ImportError(dotted)


def source_of(dotted: str) -> str:
    obj = _resolve(dotted)
    # The function inside a descriptor: Django's cached_property, functools', property, static/classmethod.
    for inner in ("real_func", "func", "fget", "__func__"):
        if not inspect.isclass(obj) and not inspect.isfunction(obj) and hasattr(obj, inner):
            obj = getattr(obj, inner)
            break
    return inspect.getsource(obj)


def fingerprint(dotted: str) -> str:
    return hashlib.sha256(source_of(dotted).encode()).hexdigest()


def _versions(dotted: str) -> str:
    distribution = DISTRIBUTIONS[dotted.split(".")[0]]
    return f"recorded on {distribution} {RECORDED_ON[distribution]}, installed {version(distribution)}"


def source_problem(dotted: str) -> str | None:
    """None if the upstream source is as recorded, else what changed and what to re-check."""
    recorded = UPSTREAM[dotted]
    owner = DISTRIBUTIONS[dotted.split(".")[0]]
    try:
        found = fingerprint(dotted)
    except (ImportError, AttributeError, OSError, TypeError):
        return f"{owner}'s {dotted} no longer exists ({_versions(dotted)}): rework {recorded.where}"
    if found == recorded.sha256:
        return None
    return (
        f"{owner}'s {dotted} changed ({_versions(dotted)}): compare it with {recorded.where}, "
        f"then re-record its sha256 {found} in core/upstream.py"
    )


def private_name_problem(name: str) -> str | None:
    check, where = PRIVATE_NAMES[name]
    owner = DISTRIBUTIONS[name.split(".")[0]]
    if check():
        return None
    return f"{owner}'s private {name} is gone or changed ({_versions(name)}): rework {where}"


def problems(*, fastpath: bool = True) -> list[str]:
    """Every problem; without the fast path's files when it is off (FASTPATH=0)."""

    def relevant(where: str) -> bool:
        return fastpath or not where.startswith(FASTPATH_FILES)

    found = [source_problem(name) for name, recorded in UPSTREAM.items() if relevant(recorded.where)]
    found += [private_name_problem(name) for name, (_, where) in PRIVATE_NAMES.items() if relevant(where)]
    return [problem for problem in found if problem is not None]
