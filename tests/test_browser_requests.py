"""A recipe request between two chefs in Chromium, with a real worker and SMTP server: the chef
asked sees the request and its job arrive live on the jobs page, accepts it, and the draft appears."""

from __future__ import annotations

import pytest

from kitchen.models import Recipe
from kitchen.tests.factories import ChefFactory
from tests.test_browser_jobs import open_jobs_page
from tests.test_browser_shell import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_chef_requests_a_recipe_and_the_other_accepts_it_live(browser, live_server_url, celery_worker, smtp_server):
    lea, marc = ChefFactory(user__first_name="Léa"), ChefFactory(user__first_name="Marc")
    marc_context, lea_context = browser.new_context(), browser.new_context()
    marc_page, lea_page = marc_context.new_page(), lea_context.new_page()
    try:
        # Given Marc has his jobs page open, with nothing waiting
        open_jobs_page(marc_page, live_server_url, marc.user.username)
        assert marc_page.locator("#request-panel").inner_text().strip() == "No requests yet."
        marc_page.evaluate("window.__marker = 'same page'")

        # When Léa asks him for a recipe through the form
        log_in(lea_page, live_server_url, lea.user.username)
        lea_page.wait_for_url(f"{live_server_url}/recipes/")
        lea_page.goto(f"{live_server_url}/requests/new/")
        lea_page.select_option("select[name=chef]", str(marc.pk))
        lea_page.fill("input[name=name]", "Sauce <bordelaise>")
        lea_page.fill("textarea[name=note]", "For Friday's tasting menu")
        lea_page.get_by_role("button", name="Send the request").click()
        lea_page.wait_for_url(f"{live_server_url}/tasks/")
        assert "You asked" in lea_page.locator("main").inner_text()

        # Then Marc's page shows the request (as text) and its job running to done, without a reload
        waiting = marc_page.locator("#request-panel li.request[data-state=open]")
        waiting.wait_for()
        assert "Sauce <bordelaise>" in waiting.inner_text()
        assert "For Friday's tasting menu" in waiting.inner_text()
        marc_page.locator("#job-list li.job[data-state=done]", has_text="Recipe request").wait_for()
        [message] = smtp_server.wait_for(1, timeout=30)
        assert message["To"] == marc.user.email
        assert marc_page.evaluate("window.__marker") == "same page"

        # When he accepts it, the draft opens: his, shared with Léa
        waiting.get_by_role("button", name="Accept and start a draft").click()
        marc_page.wait_for_url(f"{live_server_url}/recipes/*/")
        draft = Recipe.objects.get(name="Sauce <bordelaise>")
        assert marc_page.url == f"{live_server_url}/recipes/{draft.pk}/"
        assert marc_page.locator("h1").inner_text() == "Sauce <bordelaise>"
        assert (draft.owner, draft.status, list(draft.collaborators.all())) == (marc, "draft", [lea])

        # And Léa's jobs page, still open, hears that it was accepted, with a link to the draft
        lea_page.locator("#request-panel li.request[data-state=accepted]").wait_for()
        assert lea_page.locator("#request-panel a", has_text="open the draft").get_attribute("href") == (
            f"/recipes/{draft.pk}/"
        )
    finally:
        marc_context.close()
        lea_context.close()
