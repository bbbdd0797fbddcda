"""The kitchen's sockets (/ws/kitchen/prices/, /ws/recipes/<id>/live/) through the real ASGI stack on real Redis."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User

from brigade.asgi import application
from core.realtime.hub import apublish
from jobs.tests.test_consumers import session_headers
from kitchen.models import Recipe
from kitchen.pricing.providers import PriceQuote
from kitchen.pricing.services import PRICES_TOPIC, prices_record, recipe_topic
from kitchen.tasks import refresh_prices
from kitchen.tests.factories import (
    ChefFactory,
    IngredientFactory,
    RecipeFactory,
    RecipeIngredientFactory,
    UserFactory,
)
from tests.helpers import ws_open

pytestmark = pytest.mark.django_db(transaction=True)

LAST_WEEK = datetime(2026, 11, 14, tzinfo=UTC)  # older than the price feed's observation


async def test_anonymous_sockets_are_refused_with_4401():
    socket = WebsocketCommunicator(application, "/ws/kitchen/prices/", headers=[(b"origin", b"http://localhost")])
    assert await ws_open(socket) == (None, 4401)


async def test_a_signed_in_chef_hears_price_changes():
    user = await sync_to_async(UserFactory)()
    headers = await sync_to_async(session_headers)(user)
    socket = WebsocketCommunicator(application, "/ws/kitchen/prices/", headers=headers)
    connected, _ = await socket.connect(timeout=5)
    assert connected
    event = {"type": "prices", "ingredients": []}
    for _ in range(50):  # the subscription is confirmed a moment after the join
        await apublish(PRICES_TOPIC, event)
        if not await socket.receive_nothing(timeout=0.1):
            break
        await asyncio.sleep(0)
    assert await socket.receive_json_from(timeout=5) == event
    await socket.disconnect()


# -- /ws/recipes/<id>/live/: one recipe's cost, for chefs who may see the recipe ------------------


async def open_recipe(user, recipe_id: int) -> tuple[WebsocketCommunicator | None, int | None]:
    """The recipe's socket for `user` (None: anonymous), past its opening cost event; or the close code."""
    headers = [(b"origin", b"http://localhost")]
    if user is not None:
        headers = await sync_to_async(session_headers)(user)
    socket = WebsocketCommunicator(application, f"/ws/recipes/{recipe_id}/live/", headers=headers)
    opening, code = await ws_open(socket)
    if opening is None:
        return None, code
    assert (opening["type"], opening["recipe"]) == ("cost", recipe_id)
    await until_subscribed(socket, recipe_topic(recipe_id))
    return socket, None


async def until_subscribed(socket: WebsocketCommunicator, topic: str) -> None:
    """The hub confirms a subscription a moment after the join: probe the topic until one arrives."""
    probe = {"type": "probe"}
    for _ in range(50):
        await apublish(topic, probe)
        if not await socket.receive_nothing(timeout=0.1):
            break
    assert await socket.receive_json_from(timeout=5) == probe
    while not await socket.receive_nothing(timeout=0.2):  # a late second probe
        assert await socket.receive_json_from() == probe


def butter_recipe(*, status: str = Recipe.Status.COMPLETED) -> tuple[Recipe, User]:
    """A recipe with 200 g of butter at 10 EUR/kg, and a collaborator (not its owner)."""
    butter = IngredientFactory(name="Butter", unit="kg", current_price=Decimal("10"), priced_at=LAST_WEEK)
    collaborator = ChefFactory()
    recipe = RecipeFactory(status=status, servings=4)
    recipe.collaborators.add(collaborator)
    RecipeIngredientFactory(recipe=recipe, ingredient=butter, quantity=Decimal("200"), unit="g", position=1)
    return recipe, collaborator.user


def butter_at(price: str) -> PriceQuote:
    return PriceQuote(ingredient="Butter", price=Decimal(price), currency="EUR", unit="kg",
                      observed_at=datetime.now(tz=UTC), source="test")  # fmt: skip


class TestRecipeLiveSocket:
    async def test_anonymous_sockets_are_refused_with_4401(self):
        recipe, _ = await sync_to_async(butter_recipe)()
        assert await open_recipe(None, recipe.pk) == (None, 4401)

    async def test_a_chef_who_may_not_see_a_draft_is_refused_with_4403(self):
        recipe, _ = await sync_to_async(butter_recipe)(status=Recipe.Status.DRAFT)
        stranger = await sync_to_async(UserFactory)()
        assert await open_recipe(stranger, recipe.pk) == (None, 4403)

    async def test_a_recipe_that_does_not_exist_is_refused_with_4404(self):
        chef = await sync_to_async(UserFactory)()
        assert await open_recipe(chef, 987654) == (None, 4404)
        assert await open_recipe(chef, 2**63) == (None, 4404)

    async def test_a_collaborator_hears_the_new_cost_when_a_price_is_recorded(self):
        recipe, collaborator = await sync_to_async(butter_recipe)(status=Recipe.Status.DRAFT)
        other = await sync_to_async(RecipeIngredientFactory)(ingredient=await sync_to_async(IngredientFactory)())
        socket, _ = await open_recipe(collaborator, recipe.pk)
        bystander, _ = await open_recipe(await sync_to_async(UserFactory)(), other.recipe_id)

        await sync_to_async(prices_record)(quotes=[butter_at("15")])

        event = await socket.receive_json_from(timeout=5)
        assert (event["type"], event["recipe"]) == ("cost", recipe.pk)
        assert (event["total"], event["per_serving"]) == ("3.00", "0.75")
        assert event["lines"][0]["price"] == "15.0000"
        assert await bystander.receive_nothing(timeout=0.5)  # its recipe has no butter
        await socket.disconnect()
        await bystander.disconnect()

    async def test_the_scheduled_refresh_reaches_the_recipe_too(self, feed):
        recipe, _ = await sync_to_async(butter_recipe)()
        socket, _ = await open_recipe(await sync_to_async(UserFactory)(), recipe.pk)

        await sync_to_async(refresh_prices)()  # the feed says 12.5 EUR/kg

        event = await socket.receive_json_from(timeout=5)
        assert (event["total"], event["lines"][0]["priced_at"]) == ("2.50", "2026-11-21T00:00:00+00:00")
        await socket.disconnect()

    async def test_the_client_may_ask_for_the_cost_again_after_a_resync(self):
        recipe, _ = await sync_to_async(butter_recipe)()
        socket, _ = await open_recipe(await sync_to_async(UserFactory)(), recipe.pk)

        await socket.send_json_to({"type": "cost"})
        assert (await socket.receive_json_from(timeout=5))["total"] == "2.00"
        await socket.send_json_to({"type": "sing"})
        assert (await socket.receive_json_from(timeout=5))["code"] == "unknown_type"  # and the socket stays open
        await socket.disconnect()
