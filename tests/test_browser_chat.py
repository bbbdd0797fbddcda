"""Two chefs chat in real browsers; hostile text stays text."""

from __future__ import annotations

import pytest

from kitchen.tests.factories import PASSWORD, ChefFactory
from tests.test_browser_shell import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HOSTILE = "<img src=x onerror=alert(1)>"


def open_room(browser, base: str, username: str, room: str):
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, base, username, PASSWORD)
    page.wait_for_url(f"{base}/recipes/")
    page.goto(f"{base}/chat/{room}/")
    page.wait_for_selector("#connection-state[data-state=open]")
    return context, page, dialogs


def test_two_chefs_chat_and_markup_is_shown_as_text(browser, live_server_url):
    alice = ChefFactory(user__username="alice-b").user
    bob = ChefFactory(user__username="bob-b").user
    ctx_a, page_a, dialogs_a = open_room(browser, live_server_url, alice.username, "pass")
    ctx_b, page_b, dialogs_b = open_room(browser, live_server_url, bob.username, "pass")
    try:
        # Both see each other in the room
        page_a.locator(".chat-people li", has_text="bob-b").wait_for()
        page_b.locator(".chat-people li", has_text="alice-b").wait_for()

        # Bob starts typing: Alice is told
        page_b.fill(".chat-form input[name=body]", "Ser")
        page_b.type(".chat-form input[name=body]", "vice!")
        page_a.locator(".chat-typing", has_text="bob-b is typing").wait_for()
        page_b.press(".chat-form input[name=body]", "Enter")
        page_a.locator(".chat-messages li", has_text="Service!").wait_for()

        # Alice sends markup: Bob sees it literally, no element is created, no script runs
        page_a.fill(".chat-form input[name=body]", HOSTILE)
        page_a.click(".chat-form button[type=submit]")
        message = page_b.locator(".chat-messages li .body", has_text=HOSTILE)
        message.wait_for()
        assert message.text_content() == HOSTILE
        assert page_b.locator(".chat-messages img").count() == 0
        assert page_a.locator(".chat-messages img").count() == 0
        assert dialogs_a == dialogs_b == []

        # A reload keeps the conversation
        page_b.reload()
        page_b.locator(".chat-messages li .body", has_text=HOSTILE).wait_for()
        assert page_b.locator(".chat-messages li").count() == 2

        # An over-long message is refused with a clear error
        page_a.evaluate("document.querySelector('.chat-form input[name=body]').removeAttribute('maxlength')")
        page_a.fill(".chat-form input[name=body]", "x" * 2100)
        page_a.click(".chat-form button[type=submit]")
        assert "at most 2000" in page_a.locator(".chat-error").text_content()
    finally:
        ctx_a.close()
        ctx_b.close()
