"""The JSON API: the same rules and the same service as the page and the socket; another user's rows are 404."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from expenses.models import Expense, ExpenseCategory, LimitAlert
from expenses.tests.conftest import add

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("queue")]


def post(client, path: str, body: object, method: str = "post"):
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json")


def test_an_expense_is_added_with_its_amount_as_a_string_and_shows_in_the_month(user, as_user, today):
    client = as_user(user)
    created = post(client, "/api/expenses", {"amount": "12.50", "date": today.isoformat(), "description": "Leeks"})
    assert created.status_code == 201, created.content
    assert created.json()["amount"] == "12.50"
    listed = client.get("/api/expenses", {"month": f"{today:%Y-%m}"}).json()
    assert listed["count"] == 1
    assert listed["items"][0]["description"] == "Leeks"
    summary = client.get("/api/expenses/summary", {"month": f"{today:%Y-%m}"}).json()
    assert summary["total"] == "12.50"


@pytest.mark.parametrize(
    ("amount", "words"),
    [("-5", "more than 0"), ("0", "more than 0"), ("NaN", "as a number"), ("Infinity", "as a number"),
     ("1e400", "as a number"), ("1.234", "2 decimal"), ("abc", "as a number"), ("", "Enter the amount"),
     (12.5, "string"), (1e400, None), ("0012", "digits")],
)  # fmt: skip
def test_bad_amounts_are_422_with_the_field_named_and_nothing_saved(user, as_user, today, amount, words):
    client = as_user(user)
    body = '{{"amount": {}, "date": "{}"}}'.format(
        json.dumps(amount) if amount != 1e400 else "1e400", today.isoformat()
    )
    response = client.post("/api/expenses", data=body, content_type="application/json")
    assert response.status_code in (400, 422), response.content
    if words:
        detail = json.dumps(response.json()["detail"])
        assert "amount" in detail
        assert words in detail
    assert not Expense.objects.exists()


def test_other_bad_fields_are_422(user, other_user, as_user, today):
    client = as_user(user)
    theirs = ExpenseCategory.objects.create(owner=other_user, name="Theirs")
    cases = [
        {"amount": "5", "date": (today + timedelta(days=2)).isoformat()},
        {"amount": "5", "date": (today - timedelta(days=6 * 365)).isoformat()},
        {"amount": "5", "date": today.isoformat(), "currency": "USD"},
        {"amount": "5", "date": today.isoformat(), "description": "x" * 501},
        {"amount": "5", "date": today.isoformat(), "category_id": theirs.pk},
        {"amount": "5", "date": today.isoformat(), "category_id": 2**62},
        {"date": today.isoformat()},
        {"amount": "5"},
        ["not", "an", "object"],
    ]
    for body in cases:
        response = post(client, "/api/expenses", body)
        assert response.status_code == 422, (body, response.content)
    assert not Expense.objects.exists()


def test_another_users_expense_is_not_found_to_read_change_or_delete(user, other_user, as_user):
    theirs = add(other_user, "9")
    client = as_user(user)
    assert client.get(f"/api/expenses/{theirs.pk}").status_code == 404
    assert post(client, f"/api/expenses/{theirs.pk}", {"amount": "1"}, method="patch").status_code == 404
    assert client.delete(f"/api/expenses/{theirs.pk}").status_code == 404
    assert Expense.objects.get(pk=theirs.pk).amount == 9


def test_patch_changes_only_what_is_sent_and_delete_removes(user, as_user):
    expense = add(user, "9", description="Salt")
    client = as_user(user)
    changed = post(client, f"/api/expenses/{expense.pk}", {"amount": "10.10"}, method="patch")
    assert changed.status_code == 200
    assert changed.json()["description"] == "Salt"
    assert client.delete(f"/api/expenses/{expense.pk}").status_code == 204
    assert not Expense.objects.exists()


def test_categories_limits_and_settings_through_the_api(user, as_user, today):
    client = as_user(user)
    created = post(client, "/api/expense-categories", {"name": "Produce", "monthly_limit": "100"})
    assert created.status_code == 201, created.content
    category = created.json()
    assert post(client, "/api/expense-categories", {"name": "produce"}).status_code == 422
    post(client, "/api/expenses", {"amount": "85", "date": today.isoformat(), "category_id": category["id"]})
    assert list(LimitAlert.objects.values_list("level", flat=True)) == ["warning"]
    updated = post(client, f"/api/expense-categories/{category['id']}", {"name": "Veg", "monthly_limit": "80"},
                   method="put")  # fmt: skip
    assert updated.json() == {"id": category["id"], "name": "Veg", "monthly_limit": "80.00"}
    assert sorted(LimitAlert.objects.values_list("level", flat=True)) == ["exceeded", "warning"]
    settings = post(client, "/api/expense-settings", {"monthly_limit": "1000", "notifications": False}, method="put")
    assert settings.json() == {"monthly_limit": "1000.00", "notifications": False}
    assert post(client, "/api/expense-settings", {"monthly_limit": "-1"}, method="put").status_code == 422


def test_writes_need_the_csrf_token_in_a_browser_session(user, as_user, today):
    client = as_user(user, csrf=True)
    response = post(client, "/api/expenses", {"amount": "5", "date": today.isoformat()})
    assert response.status_code == 403
    assert not Expense.objects.exists()


def test_the_openapi_schema_documents_expenses_with_string_amounts(client):
    schema = client.get("/api/openapi.json").json()
    assert "/api/expenses" in schema["paths"]
    assert "/api/expense-categories" in schema["paths"]
    amount = schema["components"]["schemas"]["ExpenseIn"]["properties"]["amount"]
    assert amount["type"] == "string"
    assert "pattern" in amount
