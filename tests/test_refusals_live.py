"""Refused sockets against a real uvicorn: the close code reaches the client (a close before the
accept would be an HTTP 403 at the handshake instead, which browsers report as 1006 and retry)."""

from __future__ import annotations

import pytest

from kitchen.models import Recipe
from kitchen.tests.factories import PASSWORD, ChefFactory, RecipeFactory
from tests.helpers import browser_session
from tests.helpers import ws_close_code as close_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_refusals_reach_the_client_as_close_codes(live_server_url):
    ws = live_server_url.replace("http://", "ws://")
    owner, stranger = ChefFactory(), ChefFactory()
    draft = RecipeFactory(owner=owner, status=Recipe.Status.DRAFT)
    session = browser_session(live_server_url, stranger.user.username, PASSWORD)

    assert close_code(f"{ws}/ws/kitchen/prices/") == 4401  # not signed in
    assert close_code(f"{ws}/ws/tasks/") == 4401
    assert close_code(f"{ws}/ws/chat/pass/") == 4401
    assert close_code(f"{ws}/ws/recipes/{draft.pk}/live/", {"Cookie": session["Cookie"]}) == 4403  # not hers
    assert close_code(f"{ws}/ws/recipes/987654/live/", {"Cookie": session["Cookie"]}) == 4404
    assert close_code(f"{ws}/ws/nowhere/") == 4404
