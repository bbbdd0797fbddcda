"""Every page names its icon, and browsers that ask /favicon.ico anyway are not sent a 404."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders


def test_favicon_ico_redirects_to_the_static_svg(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("/core/favicon.svg")
    assert "max-age=86400" in response["Cache-Control"]


def test_the_icon_is_an_svg_file():
    path = finders.find("core/favicon.svg")
    assert path is not None
    with open(path, encoding="utf-8") as handle:
        assert handle.read().startswith("<svg")


@pytest.mark.django_db
def test_pages_link_the_icon(client):
    body = client.get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/static/core/favicon.svg" type="image/svg+xml">' in body
