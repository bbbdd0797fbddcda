"""The demo data: priced ingredients with a few months of weekly history, loaded once."""

from __future__ import annotations

import io
import itertools
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Max

from kitchen.charts import price_chart
from kitchen.demo import DEMO_INGREDIENTS, HISTORY_WEEKS, demo_price_quotes
from kitchen.models import Ingredient, IngredientPrice
from kitchen.selectors import ingredients_with_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed(tmp_path, monkeypatch):
    monkeypatch.setenv("BRIGADE_VAR_DIR", str(tmp_path))

    def run() -> None:
        call_command("seed_demo", stdout=io.StringIO())

    return run


def test_every_demo_ingredient_has_weekly_history_ending_at_its_list_price(seed):
    seed()
    for name, unit, _, price in DEMO_INGREDIENTS:
        ingredient = ingredients_with_history().get(name=name)
        history = sorted(ingredient.recent, key=lambda observation: observation.observed_at)
        assert len(history) == HISTORY_WEEKS + 1
        assert (history[-1].price, history[-1].unit) == (Decimal(price), unit)
        assert ingredient.current_price == Decimal(price)
        assert all(Decimal(price) * Decimal("0.7") <= o.price <= Decimal(price) * Decimal("1.3") for o in history)
        assert len({o.price for o in history}) > 3, f"{name}'s price never moves"
        gaps = {(later.observed_at - earlier.observed_at).days for earlier, later in itertools.pairwise(history)}
        assert gaps == {7}
        assert len(price_chart(ingredient).dots) == HISTORY_WEEKS + 1


def test_seeding_again_adds_nothing(seed):
    seed()
    before = IngredientPrice.objects.count()
    seed()
    assert IngredientPrice.objects.count() == before


def test_an_install_seeded_with_one_price_each_gets_its_history_once(seed):
    # Given demo data from before history was seeded: only the newest demo price of each ingredient
    seed()
    newest = IngredientPrice.objects.values("ingredient").annotate(at=Max("observed_at"))
    keep = [IngredientPrice.objects.get(ingredient=row["ingredient"], observed_at=row["at"]).pk for row in newest]
    IngredientPrice.objects.exclude(pk__in=keep).delete()
    assert IngredientPrice.objects.count() == len(DEMO_INGREDIENTS)

    seed()
    assert IngredientPrice.objects.count() == len(DEMO_INGREDIENTS) * (HISTORY_WEEKS + 1)
    seed()
    assert IngredientPrice.objects.count() == len(DEMO_INGREDIENTS) * (HISTORY_WEEKS + 1)
    assert Ingredient.objects.get(name="Butter").current_price == Decimal("9.80")


def test_the_history_is_the_same_every_time():
    until = datetime(2026, 11, 20, tzinfo=UTC)
    first = demo_price_quotes(name="Butter", unit="kg", price=Decimal("9.80"), until=until)
    again = demo_price_quotes(name="Butter", unit="kg", price=Decimal("9.80"), until=until)
    assert first == again
    assert first[-1].observed_at == until


def test_the_head_chef_has_two_months_of_expenses_in_three_categories(seed):
    from expenses.models import Expense, ExpenseCategory, ExpenseSettings

    seed()
    head = ExpenseSettings.objects.get(user__username="head")
    assert head.monthly_limit == Decimal("3000")
    assert ExpenseCategory.objects.filter(owner=head.user).count() == 3
    expenses = Expense.objects.filter(owner=head.user)
    assert expenses.count() > 20
    assert not expenses.filter(mailed_at__isnull=True).exists()  # no e-mail flood for demo rows
