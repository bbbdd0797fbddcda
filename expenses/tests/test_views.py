"""The pages: forms post through the same service (CSRF on), another user's rows are 404, text is escaped."""

from __future__ import annotations

import pytest

from expenses.models import Expense, ExpenseCategory, ExpenseSettings
from expenses.tests.conftest import add

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("queue")]


def test_the_page_shows_the_month_with_totals_and_escapes_descriptions(user, as_user, today):
    add(user, "7.25", description="<script>alert(1)</script>")
    page = as_user(user).get("/expenses/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert "7.25" in html
    assert 'data-socket-path="/ws/expenses/"' in html


def test_adding_through_the_form_saves_and_redirects_to_the_month(user, as_user, today):
    response = as_user(user).post(
        "/expenses/add/", {"amount": "3.10", "date": today.isoformat(), "description": "Eggs"}
    )
    assert response.status_code == 302
    assert f"month={today:%Y-%m}" in response["Location"]
    assert str(Expense.objects.get().amount) == "3.10"


@pytest.mark.parametrize("amount", ["-1", "0", "NaN", "1e400", "1.001", "", "abc"])
def test_a_bad_amount_re_renders_the_form_with_its_error(user, as_user, today, amount):
    response = as_user(user).post("/expenses/add/", {"amount": amount, "date": today.isoformat()})
    assert response.status_code == 400
    assert response.context["form"].errors["amount"]
    assert not Expense.objects.exists()


def test_the_form_needs_the_csrf_token(user, as_user, today):
    response = as_user(user, csrf=True).post("/expenses/add/", {"amount": "3", "date": today.isoformat()})
    assert response.status_code == 403
    assert not Expense.objects.exists()


def test_another_users_expense_is_404_to_edit_or_delete(user, other_user, as_user):
    theirs = add(other_user, "9")
    client = as_user(user)
    assert client.get(f"/expenses/{theirs.pk}/edit/").status_code == 404
    assert client.post(f"/expenses/{theirs.pk}/delete/").status_code == 404
    assert Expense.objects.filter(pk=theirs.pk).exists()


def test_edit_and_delete_pages_work_without_script(user, as_user, today):
    expense = add(user, "9", description="Salt")
    client = as_user(user)
    assert client.get(f"/expenses/{expense.pk}/edit/").status_code == 200
    saved = client.post(f"/expenses/{expense.pk}/edit/", {"amount": "9.50", "date": today.isoformat(),
                                                           "description": "Sea salt"})  # fmt: skip
    assert saved.status_code == 302
    expense.refresh_from_db()
    assert (str(expense.amount), expense.description) == ("9.50", "Sea salt")
    assert client.post(f"/expenses/{expense.pk}/delete/").status_code == 302
    assert not Expense.objects.exists()


def test_settings_and_categories_pages(user, other_user, as_user):
    client = as_user(user)
    assert client.get("/expenses/settings/").status_code == 200
    assert client.post("/expenses/settings/", {"monthly_limit": "500", "notifications": ""}).status_code == 302
    settings_row = ExpenseSettings.objects.get(user=user)
    assert (str(settings_row.monthly_limit), settings_row.notifications) == ("500.00", False)
    assert client.post("/expenses/settings/", {"monthly_limit": "-5"}).status_code == 400
    assert client.post("/expenses/categories/add/", {"name": "Produce", "monthly_limit": "50"}).status_code == 302
    assert client.post("/expenses/categories/add/", {"name": "produce"}).status_code == 400
    theirs = ExpenseCategory.objects.create(owner=other_user, name="Theirs")
    assert client.post(f"/expenses/categories/{theirs.pk}/delete/").status_code == 404
    assert client.post(f"/expenses/categories/{theirs.pk}/", {"name": "Mine now"}).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client):
    assert client.get("/expenses/").status_code == 302
