"""The Expenses page in Chromium: two tabs of one chef stay in step without a reload, limits alert
in both, and a hostile description stays text."""

from __future__ import annotations

import pytest

from expenses import services
from kitchen.tests.factories import ChefFactory
from tests.test_browser_shell import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

XSS = '<img src=x onerror="window.__xss=1">'


def open_tab(context, base: str):
    tab = context.new_page()
    tab.goto(f"{base}/expenses/")
    tab.wait_for_selector("#connection-state[data-state=open]")
    tab.evaluate("window.__marker = 'same page'")
    return tab


def add_expense(tab, amount: str, description: str) -> None:
    tab.fill("#id_amount", amount)
    tab.fill("#id_description", description)
    tab.get_by_role("button", name="Add", exact=True).click()


def test_two_tabs_of_one_chef_see_each_others_changes_and_both_get_the_limit_alerts(browser, live_server_url):
    chef = ChefFactory()
    services.expense_settings_update(user_id=chef.user.pk, monthly_limit="100", notifications=False)
    context = browser.new_context()
    try:
        login = context.new_page()
        log_in(login, live_server_url, chef.user.username)
        login.wait_for_url(f"{live_server_url}/recipes/")
        one, two = open_tab(context, live_server_url), open_tab(context, live_server_url)

        # When one tab adds an expense (85 of a 100 limit) with a hostile description
        add_expense(one, "85", XSS)

        # Then the other shows it, as text, with the new total and the 80% alert, without a reload
        two.locator("#expense-rows tr [data-field=description]", has_text="onerror").wait_for()
        assert two.locator("#expense-rows [data-field=description]").first.text_content() == XSS
        two.locator("#month-total [data-field=total]", has_text="85.00").wait_for()
        for tab in (one, two):
            tab.locator("#expense-alerts .alert-warning").wait_for()
            assert tab.locator("#expense-rows img").count() == 0
            assert tab.evaluate("window.__xss") is None
        assert "85%" in two.locator("#expense-alerts .alert-warning").text_content()

        # When the other tab crosses the limit, both show "exceeded"
        add_expense(two, "20", "Truffle oil")
        for tab in (one, two):
            tab.locator("#expense-alerts .alert-exceeded").wait_for()
            tab.locator("#expense-alerts .alert-warning").wait_for(state="detached")  # replaced, not stacked
            tab.locator("#month-total [data-field=total]", has_text="105.00").wait_for()
            assert tab.locator("#month-total").get_attribute("data-level") == "exceeded"

        # When one tab edits the truffle oil down inline, the other sees it and "exceeded" goes (re-armed)
        row = one.locator("#expense-rows tr", has_text="Truffle oil")
        row.locator("[data-action=edit]").click()
        editing = one.locator("#expense-rows tr.editing")
        editing.locator("input[name=amount]").fill("10")
        editing.get_by_role("button", name="Save").click()
        two.locator("#expense-rows tr", has_text="Truffle oil").locator(
            "[data-field=amount]", has_text="10.00"
        ).wait_for()
        for tab in (one, two):
            tab.locator("#month-total [data-field=total]", has_text="95.00").wait_for()
            tab.locator("#expense-alerts .alert-exceeded").wait_for(state="detached")
        for tab in (one, two):  # back under 100% but over 80%: the warning shows again, once
            tab.locator("#expense-alerts .alert-warning").wait_for()
            assert tab.locator("#expense-alerts .alert").count() == 1

        # When one tab deletes it, it leaves the other's list
        one.once("dialog", lambda dialog: dialog.accept())
        one.locator("#expense-rows tr", has_text="Truffle oil").get_by_role("button", name="Delete").click()
        two.locator("#expense-rows tr", has_text="Truffle oil").wait_for(state="detached")
        two.locator("#month-total [data-field=total]", has_text="85.00").wait_for()
        for tab in (one, two):
            assert tab.evaluate("window.__marker") == "same page"
    finally:
        context.close()


def test_a_bad_amount_is_shown_on_its_field_and_nothing_is_added(page, live_server_url):
    chef = ChefFactory()
    log_in(page, live_server_url, chef.user.username)
    page.wait_for_url(f"{live_server_url}/recipes/")
    page.goto(f"{live_server_url}/expenses/")
    page.wait_for_selector("#connection-state[data-state=open]")
    add_expense(page, "1.234", "Too precise")
    error = page.locator('[data-error-for="amount"]')
    error.wait_for()
    assert "2 decimal places" in error.text_content()
    assert page.locator("#expense-rows tr").count() == 0


def test_the_page_fits_a_phone(browser, live_server_url):
    chef = ChefFactory()
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        log_in(page, live_server_url, chef.user.username)
        page.wait_for_url(f"{live_server_url}/recipes/")
        page.goto(f"{live_server_url}/expenses/")
        page.wait_for_selector("#connection-state[data-state=open]")
        add_expense(page, "12.50", "A rather long description of a delivery of vegetables and herbs")
        page.locator("#expense-rows tr").wait_for()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0
    finally:
        context.close()


def test_a_tab_that_was_offline_reads_the_month_again_when_it_reconnects(browser, live_server_url):
    chef = ChefFactory()
    context = browser.new_context()
    network = {"up": True, "sockets": []}

    def socket_route(ws) -> None:
        # The page's socket goes through this proxy: while the network is "down", it is cut.
        if not network["up"]:
            ws.close(code=1001)
            return
        ws.connect_to_server()
        network["sockets"].append(ws)

    try:
        page = context.new_page()
        page.route_web_socket("**/ws/expenses/", socket_route)
        log_in(page, live_server_url, chef.user.username)
        page.wait_for_url(f"{live_server_url}/recipes/")
        page.goto(f"{live_server_url}/expenses/")
        page.wait_for_selector("#connection-state[data-state=open]")
        page.evaluate("window.__marker = 'same page'")

        # While the tab's connection is down, an expense is added elsewhere: its event cannot reach the tab
        network["up"] = False
        for ws in network["sockets"]:
            ws.close(code=1001)
        page.wait_for_selector("#connection-state[data-state=closed]")
        add_elsewhere(chef.user, "42.00", "Added while you were away")
        assert page.locator("#expense-rows tr").count() == 0
        network["up"] = True

        # Then, once back, the tab reads its month again and shows it, without a reload
        page.locator("#expense-rows tr", has_text="Added while you were away").wait_for(timeout=20_000)
        page.locator("#month-total [data-field=total]", has_text="42.00").wait_for()
        assert page.evaluate("window.__marker") == "same page"
    finally:
        context.close()


def add_elsewhere(user, amount: str, description: str) -> None:
    from django.utils import timezone

    from expenses.inputs import expense_input

    data = expense_input(amount=amount, date=timezone.localdate(), description=description)
    services.expense_add(user=user, data=data)
