"""The request form, answering a request, and the jobs page's request panel."""

from __future__ import annotations

import pytest

from kitchen.models import Recipe
from kitchen.tests.factories import ChefFactory
from notifications import services
from notifications.models import RecipeRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def chefs(db):
    return ChefFactory(user__username="lea"), ChefFactory(user__username="marc")


def test_the_form_asks_another_chef_and_lands_on_the_jobs_page(chefs, as_user, queue):
    lea, marc = chefs
    client = as_user(lea.user, csrf=False)
    page = client.get("/requests/new/?name=Bouillabaisse")
    assert page.status_code == 200
    assert b'value="Bouillabaisse"' in page.content
    assert f'<option value="{lea.pk}"'.encode() not in page.content  # nobody asks themselves

    response = client.post("/requests/new/", {"chef": marc.pk, "name": " Bouillabaisse ", "note": "for 40"})

    assert response.status_code == 302
    assert response["Location"] == "/tasks/"
    request = RecipeRequest.objects.get()
    assert (request.requester, request.chef, request.name, request.note) == (lea, marc, "Bouillabaisse", "for 40")


@pytest.mark.parametrize(
    "form, field",
    [
        ({"chef": "99999999999999999999999", "name": "Soup"}, "chef"),  # beyond a bigint: no 500
        ({"chef": "x", "name": "Soup"}, "chef"),
        ({"chef": "", "name": "Soup"}, "chef"),
        ({"name": "\u202esoup"}, "name"),  # a bidirectional override
        ({"name": ""}, "name"),
        ({"name": "Soup", "note": "x" * 2001}, "note"),
    ],
)
def test_bad_input_is_a_form_error(chefs, as_user, form, field):
    lea, marc = chefs
    response = as_user(lea.user).post("/requests/new/", {"chef": marc.pk, **form})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not RecipeRequest.objects.exists()


def test_asking_yourself_by_a_forged_choice_is_refused(chefs, as_user):
    lea, _ = chefs
    response = as_user(lea.user).post("/requests/new/", {"chef": lea.pk, "name": "Soup"})
    assert response.status_code == 400
    assert "chef" in response.context["form"].errors


def test_posting_without_the_csrf_token_is_refused(chefs, as_user):
    lea, marc = chefs
    response = as_user(lea.user, csrf=True).post("/requests/new/", {"chef": marc.pk, "name": "Soup"})
    assert response.status_code == 403


def test_the_chef_asked_sees_it_on_the_jobs_page_and_accepts_it(chefs, as_user, queue):
    lea, marc = chefs
    request = services.recipe_request_create(requester=lea.user, chef=marc, name="Soup <b>thick</b>")
    marc_client = as_user(marc.user)

    page = marc_client.get("/tasks/").content.decode()
    assert "Waiting for your answer" in page
    assert "Soup &lt;b&gt;thick&lt;/b&gt;" in page
    assert "Recipe request" in page  # its job, in marc's own job list
    assert "Waiting for your answer" not in as_user(lea.user).get("/tasks/").content.decode()

    assert as_user(lea.user).post(f"/requests/{request.pk}/accept/").status_code == 403  # not hers to answer
    stranger = ChefFactory()
    assert as_user(stranger.user).post(f"/requests/{request.pk}/accept/").status_code == 404

    response = marc_client.post(f"/requests/{request.pk}/accept/")
    draft = Recipe.objects.get()
    assert response["Location"] == f"/recipes/{draft.pk}/"
    assert marc_client.post(f"/requests/{request.pk}/accept/")["Location"] == "/tasks/"  # already answered
    assert Recipe.objects.count() == 1


def test_the_panel_alone_is_what_the_page_swaps_in(chefs, as_user, queue):
    lea, marc = chefs
    services.recipe_request_create(requester=lea.user, chef=marc, name="Soup")
    panel = as_user(marc.user).get("/requests/panel/").content.decode()
    assert panel.lstrip().startswith("{#") is False
    assert 'id="request-panel"' in panel
    assert as_user(lea.user).get("/requests/panel/").status_code == 200
    assert as_user(marc.user).post("/requests/panel/").status_code == 405
