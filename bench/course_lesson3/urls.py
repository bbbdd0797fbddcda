"""The course's ``async_recipe_view`` (Lesson 3), pointed at the benchmark's price stub."""

import asyncio
import os

import aiohttp
from asgiref.sync import sync_to_async
from django.http import JsonResponse
from django.urls import path

from kitchen.models import Ingredient, Recipe

PRICES_URL = os.environ["PRICE_FEED_URL"]


async def async_recipe_view(request):
    async def fetch_ingredient_prices():
        async with aiohttp.ClientSession() as session, session.get(PRICES_URL) as response:
            return await response.json()

    @sync_to_async
    def get_recipes():
        return list(Recipe.objects.select_related("owner__user").all()[:10])

    @sync_to_async
    def get_ingredients():
        return list(Ingredient.objects.all()[:20])

    recipes, ingredients, prices = await asyncio.gather(
        get_recipes(), get_ingredients(), fetch_ingredient_prices(), return_exceptions=True
    )
    return JsonResponse(
        {
            "recipes": [{"name": r.name, "chef": str(r.owner)} for r in recipes],
            "ingredients": [{"name": i.name, "stock": i.stock} for i in ingredients],
            "market_prices": prices if not isinstance(prices, Exception) else None,
        }
    )


urlpatterns = [path("recipes/async/", async_recipe_view)]
