from __future__ import annotations

from decimal import Decimal

import pytest

from kitchen.models import Ingredient, IngredientPrice
from kitchen.tests.factories import ChefFactory, IngredientFactory


@pytest.fixture
def admin_client(client):
    chef = ChefFactory(user__is_staff=True, user__is_superuser=True)
    client.force_login(chef.user)
    return client


@pytest.mark.django_db
def test_adding_a_price_in_the_admin_goes_through_the_pricing_service(admin_client):
    butter = IngredientFactory(name="Butter", unit="g", current_price=None, priced_at=None)
    response = admin_client.post(
        "/admin/kitchen/ingredientprice/add/",
        {
            "ingredient": butter.pk,
            "price": "12.00",
            "currency": "EUR",
            "unit": "kg",
            "observed_at_0": "2026-11-24",
            "observed_at_1": "00:00:00",
        },
    )
    assert response.status_code in (200, 302)
    butter.refresh_from_db()
    price = IngredientPrice.objects.get(ingredient=butter)
    assert price.source == "admin"
    assert butter.current_price == Decimal("0.0120")


@pytest.mark.django_db(transaction=True)
def test_the_refresh_action_records_the_bundled_list(admin_client):
    butter = Ingredient.objects.create(name="Butter", unit="kg")
    response = admin_client.post(
        "/admin/kitchen/ingredient/", {"action": "refresh_prices", "_selected_action": [butter.pk]}, follow=True
    )
    assert "price(s) changed" in response.content.decode()
    butter.refresh_from_db()
    assert butter.current_price == Decimal("9.8000")


@pytest.mark.django_db
def test_the_admin_pages_load(admin_client):
    urls = ["/admin/kitchen/recipe/", "/admin/kitchen/ingredient/", "/admin/kitchen/ingredientprice/"]
    urls += ["/admin/chat/room/", "/admin/accounts/apitoken/", "/admin/kitchen/recipe/add/"]
    for url in urls:
        assert admin_client.get(url).status_code == 200, url
