"""Recipe pages fetched by URL, safely, and the recipes read from them.

Fetching someone else's URL from our server is a way into our network (SSRF), so fetch_page:
- takes http and https only, and resolves the host itself; if ANY address it resolves to is
  loopback, private, link-local, shared, multicast, reserved or unspecified (also when embedded in
  an IPv6 address: IPv4-mapped, 6to4, Teredo, NAT64), the URL is refused, unless the address is in
  settings.IMPORT_FETCH_ALLOW_NETWORKS;
- connects to the address it vetted, not to the host name: the request goes to the IP with the
  Host header and the TLS server name (SNI, and so the certificate check) of the host, so a DNS
  answer that changes between the check and the connection (DNS rebinding) is never used;
- follows at most 5 redirects itself, vetting each hop the same way; ignores proxy variables;
- bounds the whole fetch, resolution and redirects included, by IMPORT_FETCH_TIMEOUT (and each
  connect and read by it too), and the body by IMPORT_FETCH_MAX_BYTES, counted as it arrives and
  after decompression, whatever Content-Length says;
- accepts HTML and JSON only. Every failure is a FetchError with a sentence for people.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import socket
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import extruct
import httpx
from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from recipe_scrapers import WebsiteNotImplementedError, scrape_html
from w3lib.encoding import html_to_unicode

from imports.records import RecipeDraft, RecordError
from imports.schema_org import draft_from_schema, recipes_from_jsonld

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
MAX_URL_LENGTH = 2000
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 5_000_000
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
JSON_TYPES = frozenset({"application/json", "application/ld+json"})
ACCEPT = "text/html,application/xhtml+xml,application/ld+json,application/json;q=0.9"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# Host names are resolved on threads of their own: a fetch that gives up on a slow DNS answer
# returns at once, while the loop's default executor would be waited for when the loop closes.
_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="import-resolve")


class FetchError(RecordError):
    """A URL that could not be fetched or held no recipe; its field is "url"."""

    def __init__(self, message: str) -> None:
        super().__init__("url", message)


@dataclass(frozen=True)
class FetchedPage:
    url: str  # after redirects
    content_type: str  # the Content-Type header as sent, parameters (charset) included
    body: bytes


@dataclass(frozen=True)
class _Limits:
    timeout: float
    max_bytes: int
    allowed: tuple[IPNetwork, ...]


def _limits() -> _Limits:
    timeout = getattr(settings, "IMPORT_FETCH_TIMEOUT", DEFAULT_TIMEOUT)
    max_bytes = getattr(settings, "IMPORT_FETCH_MAX_BYTES", DEFAULT_MAX_BYTES)
    networks = getattr(settings, "IMPORT_FETCH_ALLOW_NETWORKS", ())
    try:
        allowed = tuple(ipaddress.ip_network(network, strict=False) for network in networks)
    except (TypeError, ValueError) as error:
        raise ImproperlyConfigured(f"IMPORT_FETCH_ALLOW_NETWORKS must be a list of CIDR networks: {error}") from None
    if not (isinstance(timeout, int | float) and timeout > 0 and isinstance(max_bytes, int) and max_bytes > 0):
        raise ImproperlyConfigured("IMPORT_FETCH_TIMEOUT and IMPORT_FETCH_MAX_BYTES must be positive numbers")
    return _Limits(timeout=float(timeout), max_bytes=max_bytes, allowed=allowed)


def resolve_host(host: str, port: int) -> list[str]:
    """The addresses a host name resolves to, in the system's order of preference (tests replace this)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def address_refused(address: IPAddress) -> bool:
    """Whether an address is inside a network (ours, or anyone's) rather than on the public internet."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
        if address in NAT64:
            embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if any(inner is not None and address_refused(inner) for inner in embedded):
            return True
    return (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _allowed(address: IPAddress, allowed: Sequence[IPNetwork]) -> bool:
    candidates: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        candidates.append(address.ipv4_mapped)
    return any(candidate in network for candidate in candidates for network in allowed)


def _parse_url(url: str, base: httpx.URL | None = None) -> httpx.URL:
    if not isinstance(url, str) or not url.strip() or len(url) > MAX_URL_LENGTH:
        raise FetchError(f"not a web address (at most {MAX_URL_LENGTH} characters)")
    try:
        parsed = base.join(url.strip()) if base else httpx.URL(url.strip())
        port = parsed.port
    except (httpx.InvalidURL, ValueError, TypeError):
        raise FetchError(f"{url[:200]!r} is not a web address") from None
    if parsed.scheme not in {"http", "https"}:
        raise FetchError(f"{url[:200]!r}: only http:// and https:// addresses can be fetched")
    if not parsed.host:
        raise FetchError(f"{url[:200]!r} has no host name")
    if port is not None and not 0 < port < 65536:
        raise FetchError(f"{url[:200]!r} has an impossible port")
    return parsed


def _host(url: httpx.URL) -> str:
    return url.raw_host.decode("ascii")


async def _vetted_addresses(url: httpx.URL, allowed: Sequence[IPNetwork]) -> list[str]:
    """The addresses to connect to for url; FetchError if it resolves to nothing, or to anything internal."""
    host = _host(url)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        found = await asyncio.get_running_loop().run_in_executor(_resolver, resolve_host, host, port)
        addresses = [ipaddress.ip_address(address.split("%", 1)[0]) for address in found]
    except (OSError, UnicodeError, ValueError):
        raise FetchError(f"the host {host} could not be found") from None
    if not addresses:
        raise FetchError(f"the host {host} could not be found")
    for address in addresses:
        if address_refused(address) and not _allowed(address, allowed):
            raise FetchError(f"{host} is an internal address ({address}); only public web pages can be fetched")
    return [str(address) for address in addresses]


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _is_json(media_type: str) -> bool:
    return media_type in JSON_TYPES or media_type.endswith("+json")


def _decompressor(response: httpx.Response) -> Any:
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding in {"", "identity"}:
        return None
    if encoding in {"gzip", "x-gzip"}:
        return zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise FetchError(f"the page is sent with the {encoding[:40]!r} encoding, which cannot be read")


async def _read_body(response: httpx.Response, max_bytes: int) -> bytes:
    """The body, decompressed here (so a compression bomb stops at the cap); FetchError beyond max_bytes."""
    too_big = FetchError(f"the page is larger than {max_bytes:,} bytes")
    declared = response.headers.get("Content-Length", "")
    if declared.isdecimal() and int(declared) > max_bytes:
        raise too_big
    decompressor = _decompressor(response)
    body = bytearray()
    received = 0
    try:
        async for chunk in response.aiter_raw():
            received += len(chunk)
            if decompressor is not None:
                # At most one byte past the cap: enough to know the page is too big.
                chunk = decompressor.decompress(chunk, max_bytes - len(body) + 1)
            body += chunk
            if received > max_bytes or len(body) > max_bytes:
                raise too_big
        if decompressor is not None:
            body += decompressor.flush()
    except zlib.error:
        raise FetchError("the page's compressed body is damaged") from None
    if len(body) > max_bytes:
        raise too_big
    return bytes(body)


def _check_media_type(media_type: str) -> None:
    if media_type not in HTML_TYPES and not _is_json(media_type):
        raise FetchError(f"the address holds {media_type[:80] or 'no content type'}, not a web page or JSON")


async def _get(client: httpx.AsyncClient, url: httpx.URL, addresses: list[str]) -> httpx.Response:
    """GET url from the first of its vetted addresses that answers, as url's host (Host header, SNI)."""
    host = _host(url)
    host_header = f"[{host}]" if ":" in host else host
    if url.port is not None:
        host_header += f":{url.port}"
    is_ip = _is_ip(host)
    error: httpx.ConnectError | None = None
    for address in addresses:
        request = client.build_request(
            "GET",
            url.copy_with(host=address),
            headers={"Host": host_header},
            extensions={} if is_ip else {"sni_hostname": host},
        )
        try:
            return await client.send(request, stream=True)
        except httpx.ConnectError as failed:
            error = failed
    raise FetchError(f"could not connect to {host}") from error


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def _fetch(url: str, limits: _Limits) -> FetchedPage:
    current = _parse_url(url)
    user_agent = f"Mozilla/5.0 (compatible; Brigade recipe import; +{getattr(settings, 'SITE_URL', '')})"
    headers = {"User-Agent": user_agent, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"}
    for _hop in range(MAX_REDIRECTS + 1):
        addresses = await _vetted_addresses(current, limits.allowed)
        # A client per hop: a pooled connection belongs to one address and one TLS name, and a
        # redirect to another host on the same address must not ride on the first host's TLS.
        async with httpx.AsyncClient(
            headers=headers, timeout=limits.timeout, follow_redirects=False, trust_env=False
        ) as client:
            response = await _get(client, current, addresses)
            try:
                if response.has_redirect_location:
                    current = _parse_url(response.headers["Location"], base=current)
                    continue
                if response.status_code >= 300:
                    raise FetchError(f"the server answered {response.status_code} {response.reason_phrase}".strip())
                content_type = response.headers.get("Content-Type", "")
                _check_media_type(_media_type(content_type))
                body = await _read_body(response, limits.max_bytes)
                return FetchedPage(url=str(current), content_type=content_type, body=body)
            finally:
                await response.aclose()
    raise FetchError(f"the address redirects more than {MAX_REDIRECTS} times")


async def afetch_page(url: str) -> FetchedPage:
    """The page at url (HTML or JSON), fetched with the limits above; FetchError on any failure."""
    limits = _limits()
    try:
        async with asyncio.timeout(limits.timeout):
            return await _fetch(url, limits)
    except TimeoutError:
        raise FetchError(f"the page did not arrive within {limits.timeout:g} s") from None
    except httpx.TimeoutException:
        raise FetchError(f"the server did not answer within {limits.timeout:g} s") from None
    except httpx.HTTPError as error:
        raise FetchError(f"the connection failed ({type(error).__name__})") from None


def fetch_page(url: str) -> FetchedPage:
    """afetch_page for synchronous callers (the import job)."""
    return async_to_sync(afetch_page)(url)


def _known_site(html: str, url: str) -> list[dict[str, Any]]:
    """The recipe as recipe-scrapers reads it, for the sites it knows; [] for the others."""
    try:
        scraper = scrape_html(html, org_url=url, supported_only=True)
    except WebsiteNotImplementedError:
        return []
    except Exception:  # third-party code on a stranger's page: fall back to the page's own metadata
        logger.info("recipe-scrapers could not read %s", url, exc_info=True)
        return []
    recipe: dict[str, Any] = {"@type": "Recipe"}
    for key, method in [
        ("name", "title"),
        ("description", "description"),
        ("recipeYield", "yields"),
        ("recipeIngredient", "ingredients"),
        ("recipeInstructions", "instructions_list"),
        ("recipeCategory", "category"),
        ("keywords", "keywords"),
        ("totalTime", "total_time"),
        ("prepTime", "prep_time"),
        ("cookTime", "cook_time"),
    ]:
        try:
            value = getattr(scraper, method)()
        except Exception:  # each field is optional; the site's scraper raises when one is missing
            logger.debug("recipe-scrapers has no %s for %s", method, url, exc_info=True)
            continue
        recipe[key] = f"PT{int(value)}M" if key.endswith("Time") and isinstance(value, int | float) else value
    return [recipe] if recipe.get("name") else []


def _embedded(html: str, url: str) -> list[dict[str, Any]]:
    """Recipes in the page's JSON-LD, else in its microdata (a page often has both, of one recipe)."""
    data = extruct.extract(html, base_url=url, syntaxes=["json-ld", "microdata"], uniform=True, errors="ignore")
    return recipes_from_jsonld(data.get("json-ld", [])) or recipes_from_jsonld(data.get("microdata", []))


def _drafts(recipes: list[dict[str, Any]], url: str) -> list[RecipeDraft]:
    # A Recipe with neither ingredients nor steps next to full ones is a link ("more recipes"), not one.
    full = [recipe for recipe in recipes if recipe.get("recipeIngredient") or recipe.get("recipeInstructions")]
    drafts: list[RecipeDraft] = []
    errors: list[RecordError] = []
    names: set[str] = set()
    for recipe in full or recipes:
        try:
            draft = draft_from_schema(recipe, source_url=url)
        except RecordError as error:
            errors.append(error)
            continue
        if draft.name.casefold() not in names:
            names.add(draft.name.casefold())
            drafts.append(draft)
    if not drafts and errors:
        raise errors[0]
    if not drafts:
        raise FetchError("no recipe found on the page")
    return drafts


def recipes_from_page(body: bytes, *, url: str, content_type: str) -> list[RecipeDraft]:
    """The recipes in a fetched page: JSON(-LD), or HTML read by recipe-scrapers, else by extruct.

    A nameless recipe next to named ones is left out; alone, its RecordError is raised. CPU-bound:
    call it from a worker thread, not on the event loop."""
    media_type = _media_type(content_type)
    _check_media_type(media_type)
    if _is_json(media_type):
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            raise FetchError("the page is not valid JSON") from None
        return _drafts(recipes_from_jsonld(data), url)
    _encoding, html = html_to_unicode(content_type, body)
    return _drafts(_known_site(html, url) or _embedded(html, url), url)
