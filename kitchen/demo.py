"""Demo data for a fresh install: chefs with logins, ingredients, categorised recipes."""

from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.text import slugify

from accounts.services import user_sign_up
from kitchen.models import Category, Chef, Ingredient
from kitchen.pricing.providers import PriceQuote
from kitchen.pricing.services import RecordResult, prices_record
from kitchen.services import LineInput, recipe_create

DEMO_CHEFS = [
    # username, first, last, speciality, years, is_superuser
    ("head", "Auguste", "Marchand", "Head chef", 22, True),
    ("sauce", "Lea", "Moreau", "Sauces", 9, False),
    ("pastry", "Marco", "Bianchi", "Pastry", 6, False),
]

DEMO_INGREDIENTS = [
    # name, stock unit, stock, price per unit today (in PRICE_CURRENCY)
    ("Butter", "kg", "12", "9.80"),
    ("Shallot", "kg", "4", "4.20"),
    ("White wine", "l", "18", "6.50"),
    ("Double cream", "l", "10", "5.10"),
    ("Egg", "piece", "240", "0.32"),
    ("Plain flour", "kg", "25", "1.10"),
    ("Caster sugar", "kg", "20", "1.40"),
    ("Whole milk", "l", "30", "1.05"),
    ("Vanilla pod", "piece", "40", "2.90"),
    ("Sea salt", "kg", "5", "3.00"),
    ("Lemon", "piece", "60", "0.45"),
    ("Salmon fillet", "kg", "6", "24.00"),
]

# Weekly prices for about four months before the demo's "today", so every chart has a shape.
HISTORY_WEEKS = 17
DEMO_SOURCE = "demo"


def demo_price_quotes(*, name: str, unit: str, price: Decimal, until: datetime) -> list[PriceQuote]:
    """HISTORY_WEEKS + 1 weekly quotes ending at `until` with `price`: a random walk back in time,
    seeded by the name, so the same ingredient and `until` always give the same history."""
    rng = random.Random(f"brigade-demo:{name}")  # noqa: S311 - made-up demo prices, not secrets
    step = Decimal("0.01") if price >= 1 else Decimal("0.001")
    prices = [price]
    for _ in range(HISTORY_WEEKS):
        drift = Decimal(str(round(rng.gauss(0, 0.035), 4)))
        earlier = (prices[-1] * (1 - drift)).quantize(step, ROUND_HALF_UP)
        prices.append(min(max(earlier, price * Decimal("0.7"), step), price * Decimal("1.3")).quantize(step))
    return [
        PriceQuote(ingredient=name, price=value, currency=settings.PRICE_CURRENCY, unit=unit,
                   observed_at=until - timedelta(weeks=weeks), source=DEMO_SOURCE)
        for weeks, value in reversed(list(enumerate(prices)))
    ]  # fmt: skip


def demo_history_backfill() -> RecordResult | None:
    """Give demo ingredients loaded with a single price (before history was seeded) their history.

    Anchored on each one's newest demo price, so running it again records nothing new (prices_record
    keeps one observation per ingredient, source and time). None when there is nothing to add.
    """
    wanting = (
        Ingredient.objects.filter(name__in=[name for name, *_ in DEMO_INGREDIENTS])
        .annotate(demo_prices=Count("prices", filter=Q(prices__source=DEMO_SOURCE)),
                  newest=Max("prices__observed_at", filter=Q(prices__source=DEMO_SOURCE)))
        .filter(demo_prices=1)
    )  # fmt: skip
    anchors = {ingredient.name: ingredient.newest for ingredient in wanting}
    quotes = [
        quote
        for name, unit, _, price in DEMO_INGREDIENTS
        if name in anchors
        for quote in demo_price_quotes(name=name, unit=unit, price=Decimal(price), until=anchors[name])
    ]
    return prices_record(quotes=quotes) if quotes else None


DEMO_RECIPES: list[dict[str, Any]] = [
    {
        "name": "Beurre blanc",
        "owner": "sauce",
        "collaborators": ["head"],
        "categories": ["Sauces"],
        "description": "Classic emulsified butter sauce for fish.",
        "servings": 8, "prep_time": 25, "difficulty": "medium", "status": "completed",
        "lines": [("Shallot", "60", "g", "finely chopped"), ("White wine", "150", "ml", ""),
                  ("Butter", "250", "g", "cold, diced"), ("Sea salt", "1", "pinch", "")],
        "steps": ["Reduce the shallots in the wine until almost dry.",
                  "Whisk in the cold butter a piece at a time over low heat.",
                  "Season, strain and hold warm."],
    },
    {
        "name": "Crème anglaise",
        "owner": "pastry",
        "collaborators": ["sauce"],
        "categories": ["Desserts", "Sauces"],
        "description": "Vanilla custard sauce.",
        "servings": 10, "prep_time": 30, "difficulty": "medium", "status": "completed",
        "lines": [("Whole milk", "500", "ml", ""), ("Egg", "6", "piece", "yolks only"),
                  ("Caster sugar", "100", "g", ""), ("Vanilla pod", "1", "piece", "split")],
        "steps": ["Infuse the milk with the vanilla.",
                  "Whisk yolks and sugar, pour over the hot milk.",
                  "Cook to 82 °C, stirring, then chill quickly."],
    },
    {
        "name": "Salmon with beurre blanc",
        "owner": "head",
        "collaborators": ["sauce"],
        "categories": ["Mains", "Fish"],
        "description": "Pan-roasted salmon, lemon, beurre blanc.",
        "servings": 4, "prep_time": 35, "difficulty": "hard", "status": "draft",
        "lines": [("Salmon fillet", "0.72", "kg", "4 portions"), ("Butter", "30", "g", ""),
                  ("Lemon", "1", "piece", ""), ("Sea salt", "2", "pinch", "")],
        "steps": ["Season the salmon and roast skin side down.",
                  "Baste with butter, finish with lemon.",
                  "Plate with the beurre blanc."],
    },
    {
        "name": "Crêpes",
        "owner": "pastry",
        "collaborators": [],
        "categories": ["Desserts"],
        "description": "Thin French pancakes for service.",
        "servings": 12, "prep_time": 40, "difficulty": "easy", "status": "completed",
        "lines": [("Plain flour", "250", "g", ""), ("Egg", "4", "piece", ""),
                  ("Whole milk", "600", "ml", ""), ("Butter", "50", "g", "melted"),
                  ("Caster sugar", "1", "tbsp", "")],
        "steps": ["Whisk flour, eggs and half the milk to a smooth batter.",
                  "Add the rest of the milk and the butter; rest 30 minutes.",
                  "Cook thinly in a hot pan."],
    },
]  # fmt: skip


def demo_present() -> bool:
    return get_user_model().objects.filter(username=DEMO_CHEFS[0][0]).exists()


@transaction.atomic
def load_demo() -> list[tuple[str, str]]:
    """Create the demo data and return (username, password) pairs; call only when absent."""
    logins = []
    chefs: dict[str, Chef] = {}
    for username, first, last, speciality, years, is_superuser in DEMO_CHEFS:
        password = secrets.token_urlsafe(9)
        user = user_sign_up(
            username=username,
            password=password,
            first_name=first,
            last_name=last,
            email=f"{username}@brigade.localhost",
            speciality=speciality,
            experience_years=years,
            is_staff=is_superuser,
        )
        if is_superuser:
            user.is_superuser = True
            user.save(update_fields=["is_superuser"])
        chefs[username] = user.chef
        logins.append((username, password))

    now = timezone.now()
    ingredients = {
        name: Ingredient.objects.create(name=name, unit=unit, stock=Decimal(stock))
        for name, unit, stock, _ in DEMO_INGREDIENTS
    }
    prices_record(
        quotes=[
            quote
            for name, unit, _, price in DEMO_INGREDIENTS
            for quote in demo_price_quotes(name=name, unit=unit, price=Decimal(price), until=now)
        ]
    )
    categories: dict[str, Category] = {}
    for spec in DEMO_RECIPES:
        for name in spec["categories"]:
            if name not in categories:
                categories[name] = Category.objects.create(name=name, slug=slugify(name))
        recipe_create(
            owner=chefs[spec["owner"]],
            name=spec["name"],
            description=spec["description"],
            servings=spec["servings"],
            prep_time=spec["prep_time"],
            difficulty=spec["difficulty"],
            status=spec["status"],
            categories=[categories[n] for n in spec["categories"]],
            collaborators=[chefs[n] for n in spec["collaborators"]],
            lines=[
                LineInput(ingredient=ingredients[name], quantity=Decimal(qty), unit=unit, note=note)
                for name, qty, unit, note in spec["lines"]
            ],
            steps=spec["steps"],
        )
    from expenses.demo import load_demo_expenses  # the head chef's kitchen spending

    load_demo_expenses(user_id=chefs[DEMO_CHEFS[0][0]].user_id)
    return logins
