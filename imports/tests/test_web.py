"""Fetching a page by URL against local stub servers: internal addresses refused (redirects too),
timeouts, size caps; and recipes read from pages."""

from __future__ import annotations

import gzip
import json
import time

import pytest

from imports import web
from imports.records import RecordError
from imports.web import FetchError, afetch_page, fetch_page, recipes_from_page
from kitchen.tests.stub_http import Reply, StubServer

RECIPE = {
    "@context": "https://schema.org",
    "@type": "Recipe",
    "name": "Stub soup",
    "recipeIngredient": ["1 kg tomatoes"],
    "recipeInstructions": "Cook.",
}
RECIPE_PAGE = (
    '<html><head><script type="application/ld+json">' + json.dumps(RECIPE) + "</script></head>"
    "<body><h1>Stub soup</h1></body></html>"
).encode()


@pytest.fixture(scope="module")
def _servers():
    public, internal = StubServer(host="127.0.0.2"), StubServer()
    public.base, internal.base = public.start(), internal.start()
    yield public, internal
    public.stop()
    internal.stop()


@pytest.fixture
def public_stub(_servers, settings):
    """A stub on 127.0.0.2 that the fetcher may reach (allowed as if public); 127.0.0.1 stays refused."""
    stub = _servers[0]
    stub.replies.clear()
    stub.hits.clear()
    settings.IMPORT_FETCH_ALLOW_NETWORKS = ["127.0.0.2/32"]
    return stub


@pytest.fixture
def internal_stub(_servers):
    """A stub on 127.0.0.1: a service inside our network that a fetch must never reach."""
    stub = _servers[1]
    stub.hits.clear()
    stub.replies.clear()
    stub.replies["/secret"] = Reply(body=RECIPE_PAGE, content_type="text/html")
    return stub


@pytest.fixture
def dns(monkeypatch):
    """Names resolved as the test says (DNS is the outside world); other names as the system does."""
    names: dict[str, list[str]] = {}
    system = web.resolve_host

    def resolve(host: str, port: int) -> list[str]:
        return names[host] if host in names else system(host, port)

    monkeypatch.setattr(web, "resolve_host", resolve)
    return names


class TestRefusedAddresses:
    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1/",
            "http://localhost/",
            "http://10.0.0.1/",
            "http://192.168.1.1:8080/admin",
            "http://172.16.0.1/",
            "http://100.64.0.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://0.0.0.0/",
            "http://224.0.0.1/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:10.0.0.1]/",
            "http://[fe80::1]/",
            "http://[fc00::1]/",
            "http://[2002:7f00:1::]/",  # 6to4 around 127.0.0.1
            "http://[64:ff9b::a00:1]/",  # NAT64 around 10.0.0.1
            "http://2130706433/",  # 127.0.0.1 as one number
        ],
    )
    def test_internal_addresses_are_refused(self, url):
        with pytest.raises(FetchError, match="internal address"):
            fetch_page(url)

    def test_a_public_name_that_resolves_inside_is_refused(self, dns, internal_stub):
        dns["recipes.example"] = ["127.0.0.1"]
        port = internal_stub.base.rsplit(":", 1)[1]
        with pytest.raises(FetchError, match=r"recipes\.example is an internal address \(127\.0\.0\.1\)"):
            fetch_page(f"http://recipes.example:{port}/secret")
        assert internal_stub.hits == []

    def test_one_internal_address_among_public_ones_is_enough_to_refuse(self, dns):
        dns["recipes.example"] = ["93.184.216.34", "10.0.0.5"]
        with pytest.raises(FetchError, match="internal address"):
            fetch_page("http://recipes.example/")

    async def test_a_redirect_to_an_internal_address_is_refused(self, public_stub, internal_stub):
        public_stub.replies["/go"] = Reply(status=302, headers={"Location": f"{internal_stub.base}/secret"})
        with pytest.raises(FetchError, match="internal address"):
            await afetch_page(f"{public_stub.base}/go")
        assert public_stub.hits == ["/go"]
        assert internal_stub.hits == []

    async def test_the_vetted_address_is_the_one_connected_to(self, dns, public_stub):
        # Only the vetted answer knows this name: the system's resolver would fail, so a fetch that
        # resolved the name again at connect time (DNS rebinding's window) could not succeed.
        dns["soup.invalid"] = ["127.0.0.2"]
        public_stub.replies["/soup"] = Reply(body=RECIPE_PAGE, content_type="text/html")
        port = public_stub.base.rsplit(":", 1)[1]
        page = await afetch_page(f"http://soup.invalid:{port}/soup")
        assert page.url == f"http://soup.invalid:{port}/soup"
        assert public_stub.hits == ["/soup"]

    @pytest.mark.parametrize(
        "url, message",
        [
            ("ftp://example.org/recipe", "only http"),
            ("file:///etc/passwd", "only http"),
            ("javascript:alert(1)", "only http"),
            ("example.org/recipe", "only http"),
            ("http://", "no host name"),
            ("http://[::1", "not a web address"),
            ("http://example.org:99999/", "impossible port"),
            ("", "not a web address"),
            ("http://example.org/" + "x" * 2000, "not a web address"),
            ("http://no-such-host.invalid/", "could not be found"),
        ],
    )
    def test_bad_urls_are_clear_errors(self, url, message):
        with pytest.raises(FetchError, match=message):
            fetch_page(url)

    def test_a_fetch_error_is_a_record_error_of_the_url(self):
        with pytest.raises(RecordError) as error:
            fetch_page("http://127.0.0.1/")
        assert error.value.field == "url"


class TestFetchPage:
    async def test_fetches_a_page_through_redirects(self, public_stub):
        public_stub.replies["/old"] = Reply(status=301, headers={"Location": "/older"})
        public_stub.replies["/older"] = Reply(status=307, headers={"Location": f"{public_stub.base}/soup"})
        public_stub.replies["/soup"] = Reply(body=RECIPE_PAGE, content_type="text/html; charset=utf-8")
        page = await afetch_page(f"{public_stub.base}/old")
        assert (page.url, page.content_type, page.body) == (
            f"{public_stub.base}/soup",
            "text/html; charset=utf-8",
            RECIPE_PAGE,
        )
        assert public_stub.hits == ["/old", "/older", "/soup"]

    async def test_at_most_five_redirects(self, public_stub):
        public_stub.replies["/loop"] = Reply(status=302, headers={"Location": "/loop"})
        with pytest.raises(FetchError, match="redirects more than 5 times"):
            await afetch_page(f"{public_stub.base}/loop")
        assert len(public_stub.hits) == 6

    def test_a_slow_server_times_out(self, public_stub, settings):
        settings.IMPORT_FETCH_TIMEOUT = 0.5
        public_stub.replies["/slow"] = Reply(body=RECIPE_PAGE, content_type="text/html", delay=3)
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"within 0\.5 s"):
            fetch_page(f"{public_stub.base}/slow")
        assert time.monotonic() - started < 2

    def test_the_whole_fetch_is_bounded_resolution_included(self, monkeypatch, settings):
        settings.IMPORT_FETCH_TIMEOUT = 0.5
        monkeypatch.setattr(web, "resolve_host", lambda host, port: time.sleep(3) or ["93.184.216.34"])
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"did not arrive within 0\.5 s"):
            fetch_page("http://slow-dns.example/")
        assert time.monotonic() - started < 2

    @pytest.mark.parametrize(
        "headers",
        [
            {},  # an honest Content-Length: refused before reading
            {"Content-Length": None},  # none at all: refused while reading
        ],
    )
    def test_a_huge_page_is_refused(self, public_stub, headers, settings):
        settings.IMPORT_FETCH_MAX_BYTES = 5_000_000
        body = b"<html>" + b"x" * 6_000_000
        public_stub.replies["/huge"] = Reply(body=body, content_type="text/html", headers=headers)
        with pytest.raises(FetchError, match="larger than 5,000,000 bytes"):
            fetch_page(f"{public_stub.base}/huge")

    def test_a_compression_bomb_is_refused(self, public_stub):
        bomb = gzip.compress(b"<html>" + b" " * 50_000_000)
        public_stub.replies["/bomb"] = Reply(body=bomb, content_type="text/html", headers={"Content-Encoding": "gzip"})
        with pytest.raises(FetchError, match="larger than"):
            fetch_page(f"{public_stub.base}/bomb")

    def test_a_compressed_page_is_read(self, public_stub):
        public_stub.replies["/soup"] = Reply(
            body=gzip.compress(RECIPE_PAGE), content_type="text/html", headers={"Content-Encoding": "gzip"}
        )
        assert fetch_page(f"{public_stub.base}/soup").body == RECIPE_PAGE

    @pytest.mark.parametrize(
        "reply, message",
        [
            (Reply(status=404, body=b"gone", content_type="text/html"), "answered 404"),
            (Reply(status=500, body=b"oops", content_type="text/html"), "answered 500"),
            (Reply(status=302), "answered 302"),  # a redirect to nowhere
            (Reply(body=b"\x89PNG", content_type="image/png"), "holds image/png, not a web page"),
            (Reply(body=b"<html>", content_type=""), "holds no content type"),
            (Reply(body=b"<html>", content_type="text/html", headers={"Content-Encoding": "br"}), "'br' encoding"),
            (
                Reply(body=b"not gzip", content_type="text/html", headers={"Content-Encoding": "gzip"}),
                "compressed body is damaged",
            ),
        ],
    )
    def test_what_is_not_a_page_is_a_clear_error(self, public_stub, reply, message):
        public_stub.replies["/x"] = reply
        with pytest.raises(FetchError, match=message):
            fetch_page(f"{public_stub.base}/x")

    def test_a_refused_connection(self, public_stub):
        closed = StubServer(host="127.0.0.2")
        base = closed.start()
        closed.stop()
        with pytest.raises(FetchError, match="could not connect"):
            fetch_page(f"{base}/")

    def test_a_page_without_a_recipe(self, public_stub):
        public_stub.replies["/about"] = Reply(
            body=b"<html><body><p>About us</p></body></html>", content_type="text/html"
        )
        page = fetch_page(f"{public_stub.base}/about")
        with pytest.raises(FetchError, match="no recipe found on the page"):
            recipes_from_page(page.body, url=page.url, content_type=page.content_type)


class TestRecipesFromPage:
    def test_json(self):
        drafts = recipes_from_page(
            json.dumps([RECIPE]).encode(), url="https://x.example/r.json", content_type="application/ld+json"
        )
        assert [(draft.name, draft.source_url) for draft in drafts] == [("Stub soup", "https://x.example/r.json")]

    def test_bad_json(self):
        with pytest.raises(FetchError, match="not valid JSON"):
            recipes_from_page(b"{", url="https://x.example/", content_type="application/json")

    def test_deeply_nested_json(self):
        with pytest.raises(FetchError):
            recipes_from_page(b"[" * 100_000, url="https://x.example/", content_type="application/json")

    def test_the_same_recipe_in_json_ld_and_microdata_is_one_recipe(self):
        page = RECIPE_PAGE.replace(
            b"<h1>Stub soup</h1>",
            b'<div itemscope itemtype="https://schema.org/Recipe"><h1 itemprop="name">Stub soup</h1>'
            b'<span itemprop="recipeIngredient">1 kg tomatoes</span></div>',
        )
        drafts = recipes_from_page(page, url="https://x.example/", content_type="text/html")
        assert [draft.name for draft in drafts] == ["Stub soup"]

    def test_links_to_other_recipes_are_not_recipes(self):
        related = {"@type": "Recipe", "name": "Another soup", "url": "https://x.example/another"}
        body = json.dumps({"@graph": [RECIPE, related]}).encode()
        drafts = recipes_from_page(body, url="https://x.example/", content_type="application/json")
        assert [draft.name for draft in drafts] == ["Stub soup"]

    def test_a_nameless_recipe_alone_is_its_record_error(self):
        body = json.dumps({"@type": "Recipe", "recipeIngredient": ["1 egg"]}).encode()
        with pytest.raises(RecordError, match="no name"):
            recipes_from_page(body, url="https://x.example/", content_type="application/json")

    def test_a_page_in_a_legacy_encoding(self):
        page = RECIPE_PAGE.replace(b"Stub soup", "Crème brûlée".encode("latin-1"))
        drafts = recipes_from_page(page, url="https://x.example/", content_type="text/html; charset=iso-8859-1")
        assert drafts[0].name == "Crème brûlée"
