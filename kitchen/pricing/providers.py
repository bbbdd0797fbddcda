"""Where prices come from: a bundled list, an HTTP JSON/CSV feed, or Open Food Facts' Open Prices.

Every provider returns validated PriceQuote objects; anything malformed, non-positive,
non-finite or absurd is rejected and logged, so the last good price stays in place.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import logging
import math
import re
import time
from collections.abc import AsyncGenerator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import aiohttp
import httpx
from django.conf import settings
from httpx_aiohttp import AiohttpTransport

from core.redis_clients import LoopLocal
from kitchen.pricing.units import known_unit

logger = logging.getLogger(__name__)

MAX_PRICE = Decimal("10000")  # per unit: anything above is a feed error, not a truffle
_CURRENCY = re.compile(r"^[A-Z]{3}$")
BUNDLED_PRICE_LIST = Path(__file__).resolve().parent.parent / "data" / "prices.csv"


class ProviderError(Exception):
    """The provider could not be asked (down, timed out, answered garbage)."""


class PriceRejected(ValueError):
    pass


@dataclass(frozen=True)
class IngredientRef:
    name: str
    open_prices_category: str = ""


@dataclass(frozen=True)
class PriceQuote:
    ingredient: str
    price: Decimal
    currency: str
    unit: str
    observed_at: datetime
    source: str


@dataclass
class FetchResult:
    quotes: list[PriceQuote] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


def _decimal(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise PriceRejected(f"price {value!r} is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise PriceRejected(f"price {value!r} is not finite")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise PriceRejected(f"price {value!r} is not a number") from None
    if not number.is_finite():
        raise PriceRejected(f"price {value!r} is not finite")
    if number <= 0:
        raise PriceRejected(f"price {number} is not positive")
    if number > MAX_PRICE:
        raise PriceRejected(f"price {number} is absurd (over {MAX_PRICE} per unit)")
    return number.quantize(Decimal("0.0001"))


def _moment(value: object, *, now: datetime) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise PriceRejected("missing observation date")
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise PriceRejected(f"bad date {text[:40]!r}") from None
    if isinstance(moment, datetime) and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)  # databases refuse offsets past 15:59 and years past 9999
    except OverflowError:
        raise PriceRejected(f"date {text[:40]!r} is out of range") from None
    if moment > now + timedelta(days=1):
        raise PriceRejected(f"date {text[:40]} is in the future")
    return moment


def validate_quote(raw: object, *, source: str, now: datetime) -> PriceQuote:
    """Turn one untrusted record into a PriceQuote or raise PriceRejected with the reason."""
    if not isinstance(raw, dict):
        raise PriceRejected("a price record must be an object")
    name = raw.get("ingredient")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise PriceRejected("missing or bad ingredient name")
    currency = raw.get("currency")
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency.strip().upper()):
        raise PriceRejected(f"bad currency {currency!r}")
    unit = raw.get("unit")
    if not isinstance(unit, str) or not known_unit(unit.strip()):
        raise PriceRejected(f"unknown unit {unit!r}")
    return PriceQuote(
        ingredient=name.strip(),
        price=_decimal(raw.get("price")),
        currency=currency.strip().upper(),
        unit=unit.strip(),
        observed_at=_moment(raw.get("observed_at"), now=now),
        source=source,
    )


def validate_all(records: Iterable[object], *, source: str, wanted: set[str] | None = None) -> FetchResult:
    now = datetime.now(tz=UTC)
    result = FetchResult()
    for raw in records:
        try:
            quote = validate_quote(raw, source=source, now=now)
        except PriceRejected as reason:
            logger.warning("price from %s rejected: %s", source, reason)
            result.rejected.append(str(reason))
            continue
        if wanted is None or quote.ingredient.lower() in wanted:
            result.quotes.append(quote)
    return result


def _parse_csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


class PriceProvider(Protocol):
    name: str

    async def fetch(self, *, ingredients: Sequence[IngredientRef]) -> FetchResult: ...


# -- HTTP -------------------------------------------------------------------------------------

_clients: LoopLocal[tuple[httpx.AsyncClient, AsyncGenerator[None, None]] | None] = LoopLocal(lambda: None)


def http_client() -> httpx.AsyncClient:
    """One pooled client per event loop: connections are reused across requests."""
    entry = _clients.get()
    if entry is None or entry[0].is_closed:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        client = httpx.AsyncClient(
            # httpcore's pool polls every idle connection on each request (O(pool) syscalls, measured
            # at 20 ms CPU per request with 200 open connections); aiohttp's pool is O(1).
            transport=AiohttpTransport(limits=limits),
            timeout=httpx.Timeout(settings.PRICE_HTTP_TIMEOUT, connect=min(1.0, settings.PRICE_HTTP_TIMEOUT)),
            limits=limits,
            headers={"User-Agent": "Brigade/0.1 (kitchen back office)"},
            follow_redirects=False,
        )
        entry = (client, _close_with_loop(client))
        _clients.replace(entry)
    return entry[0]


def _close_with_loop(client: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    """Close the client when its event loop ends, not leak its connections.

    An async generator left suspended on a loop is closed by asyncio.run() (and uvicorn, and
    asgiref's async_to_sync) when the loop ends (``loop.shutdown_asyncgens``); this one then
    closes the client. It is started here, synchronously: nothing before its yield awaits.
    """

    async def guard() -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            await client.aclose()

    generator = guard()
    with contextlib.suppress(StopIteration):
        generator.asend(None).send(None)  # runs to the yield; the running loop now tracks it
    return generator


def _timed_out(exc: httpx.TransportError) -> bool:
    """A real timeout: the aiohttp transport maps every connection error to ConnectTimeout."""
    cause = exc.__cause__
    refused = isinstance(cause, aiohttp.ClientError) and not isinstance(cause, TimeoutError)
    return isinstance(exc, httpx.TimeoutException) and not refused


async def close_http_client() -> None:
    """Close this loop's client: for short-lived loops (a sync view's asyncio.run)."""
    entry = _clients.pop()
    if entry is not None:
        await entry[1].aclose()  # the guard: closes the client


async def get_with_retries(url: str, *, params: dict | None = None, attempts: int = 3) -> httpx.Response:
    """GET with bounded retries on connection errors and 5xx; 4xx is final."""
    delay = 0.1
    for attempt in range(1, attempts + 1):
        try:
            response = await http_client().get(url, params=params)
        except httpx.TransportError as exc:
            if _timed_out(exc):
                raise ProviderError(f"{url} timed out") from exc
            if attempt == attempts:
                raise ProviderError(f"{url} unreachable: {exc}") from exc
        else:
            if _check_status(url, response, last=attempt == attempts):
                return response
        await asyncio.sleep(delay)
        delay *= 2
    raise ProviderError(f"{url} failed")  # pragma: no cover - the loop returns or raises


_sync_client: httpx.Client | None = None


def http_client_sync() -> httpx.Client:
    """One pooled, thread-safe client for sync callers (the sync views)."""
    global _sync_client
    if _sync_client is None:
        _sync_client = httpx.Client(
            timeout=httpx.Timeout(settings.PRICE_HTTP_TIMEOUT, connect=min(1.0, settings.PRICE_HTTP_TIMEOUT)),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=200),
            headers={"User-Agent": "Brigade/0.1 (kitchen back office)"},
        )
    return _sync_client


def _check_status(url: str, response: httpx.Response, *, last: bool) -> bool:
    """True if the response is final and good; raises on a final failure; False means retry."""
    if response.status_code < 400:
        return True
    if response.status_code < 500 or last:
        raise ProviderError(f"{url} answered {response.status_code}")
    return False


def get_with_retries_sync(url: str, *, timeout: float, attempts: int = 3) -> httpx.Response:
    delay = 0.1
    for attempt in range(1, attempts + 1):
        try:
            response = http_client_sync().get(url, timeout=timeout)
        except httpx.TimeoutException as exc:
            raise ProviderError(f"{url} timed out") from exc
        except httpx.TransportError as exc:
            if attempt == attempts:
                raise ProviderError(f"{url} unreachable: {exc}") from exc
        else:
            if _check_status(url, response, last=attempt == attempts):
                return response
        time.sleep(delay)
        delay *= 2
    raise ProviderError(f"{url} failed")  # pragma: no cover


def _json(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError as exc:
        raise ProviderError(f"{response.url} did not answer JSON") from exc


# -- Providers ----------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _read_price_list(path: Path, mtime_ns: int) -> tuple[dict, ...]:
    """The bundled list, parsed once per version of the file."""
    return tuple(_parse_csv(path.read_text(encoding="utf-8")))


class OfflinePriceList:
    """The price list shipped with Brigade: works with no network at all."""

    name = "offline"

    def __init__(self, path: Path = BUNDLED_PRICE_LIST) -> None:
        self.path = path

    async def fetch(self, *, ingredients: Sequence[IngredientRef]) -> FetchResult:
        return self.fetch_sync(ingredients=ingredients, timeout=0)  # a cached local file: no thread needed

    def fetch_sync(self, *, ingredients: Sequence[IngredientRef], timeout: float) -> FetchResult:
        records = _read_price_list(self.path, self.path.stat().st_mtime_ns)
        return validate_all(records, source=self.name, wanted={i.name.lower() for i in ingredients})


class HttpFeed:
    """Any feed of records {ingredient, price, currency, unit, observed_at} as JSON or CSV."""

    name = "feed"

    def __init__(self, url: str, *, fmt: str = "json") -> None:
        self.url = url
        self.fmt = fmt

    async def fetch(self, *, ingredients: Sequence[IngredientRef]) -> FetchResult:
        return self._parse(await get_with_retries(self.url), ingredients)

    def fetch_sync(self, *, ingredients: Sequence[IngredientRef], timeout: float) -> FetchResult:
        return self._parse(get_with_retries_sync(self.url, timeout=timeout), ingredients)

    def _parse(self, response: httpx.Response, ingredients: Sequence[IngredientRef]) -> FetchResult:
        if self.fmt == "csv":
            records: object = _parse_csv(response.text)
        else:
            records = _json(response)
            if isinstance(records, dict):
                records = records.get("prices")
            if not isinstance(records, list):
                raise ProviderError(f"{self.url} did not answer a list of prices")
        # Both branches leave a list; mypy does not narrow the declared `object` of the first.
        return validate_all(records, source=self.name, wanted={i.name.lower() for i in ingredients})  # type: ignore[arg-type]


class OpenPrices:
    """Open Food Facts' Open Prices (GET /api/v1/prices), for raw products by category tag.

    Raw products (type CATEGORY) carry price_per KILOGRAM or UNIT; barcoded products are
    priced per package of unknown size and are skipped.
    """

    name = "open-prices"
    _UNITS: dict[str | None, str] = {"KILOGRAM": "kg", "UNIT": "piece"}

    def __init__(self, base_url: str, *, currency: str = "EUR", concurrency: int = 4) -> None:
        self.base_url = base_url.rstrip("/")
        self.currency = currency
        self._slots = asyncio.Semaphore(concurrency)

    async def fetch(self, *, ingredients: Sequence[IngredientRef]) -> FetchResult:
        tagged = [i for i in ingredients if i.open_prices_category]
        results = await asyncio.gather(*(self._one(i) for i in tagged), return_exceptions=True)
        merged = FetchResult()
        failures = []
        for ref, result in zip(tagged, results, strict=True):
            if isinstance(result, BaseException):
                failures.append(f"{ref.name}: {result}")
                continue
            merged.quotes.extend(result.quotes)
            merged.rejected.extend(result.rejected)
        if tagged and len(failures) == len(tagged):
            raise ProviderError("; ".join(failures)[:500])
        return merged

    async def _one(self, ref: IngredientRef) -> FetchResult:
        params = {"category_tag": ref.open_prices_category, "currency": self.currency, "order_by": "-date", "size": 10}
        async with self._slots:
            payload = _json(await get_with_retries(f"{self.base_url}/api/v1/prices", params=params))
        items = payload.get("items") if isinstance(payload, dict) else None
        if not isinstance(items, list):
            raise ProviderError("Open Prices answered without an items list")
        records = [
            {
                "ingredient": ref.name,
                "price": item.get("price"),
                "currency": item.get("currency"),
                "unit": self._UNITS.get(item.get("price_per"), item.get("price_per")),
                "observed_at": item.get("date"),
            }
            for item in items
            if isinstance(item, dict) and item.get("type", "CATEGORY") == "CATEGORY"
        ]
        result = validate_all(records, source=self.name)
        # Newest valid observation only: the list is ordered by date, newest first.
        result.quotes = result.quotes[:1]
        return result


def configured_provider() -> PriceProvider:
    kind = settings.PRICE_PROVIDER
    if kind == "feed":
        return HttpFeed(settings.PRICE_FEED_URL, fmt=settings.PRICE_FEED_FORMAT)
    if kind == "open-prices":
        return OpenPrices(settings.OPEN_PRICES_URL, currency=settings.PRICE_CURRENCY)
    return OfflinePriceList()
