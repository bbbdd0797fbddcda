"""core.validators: what a name and a free text may hold, and the forms and API that share the rule."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from accounts.models import ApiToken
from chat.models import Room
from core.validators import clean_name, clean_text
from kitchen.models import Recipe


class TestNames:
    @pytest.mark.parametrize(
        ("given", "kept"),
        [
            ("  Beurre blanc \n", "Beurre blanc"),
            ("Crème brûlée", "Crème brûlée"),
            ("👩\u200d🍳 Chef's special", "👩\u200d🍳 Chef's special"),  # ZWJ emoji sequence
            ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", None),  # ZWNJ in Persian
            ("🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f pie", None),  # England's flag: tags
            ("Soupe 2", "Soupe 2"),
        ],
    )
    def test_visible_names_are_kept_trimmed(self, given, kept):
        assert clean_name(given) == (kept if kept is not None else given)

    @pytest.mark.parametrize(
        "name",
        [
            "\x01\x02",  # Cc
            "tab\there",  # Cc inside a one-line name
            "bell\x07",
            "c1 \x9b",
            "lone \ud83d",  # Cs
            "zero\u200bwidth",  # Cf
            "\u202eevil",  # Cf: right-to-left override
            "soft\u00adhyphen",  # Cf
            "private \ue000",  # Co
            "unassigned \U000e0200x\U0008badc",  # Cn
            "line\u2028sep",  # Zl
            "",
            "   ",
            "\u200d",  # a joiner alone is invisible
            "\u0301\u0301",  # combining marks alone
        ],
    )
    def test_control_invisible_and_unassigned_characters_are_refused(self, name):
        with pytest.raises(ValidationError):
            clean_name(name)


class TestText:
    def test_tab_and_line_breaks_are_kept_and_cr_becomes_lf(self):
        assert clean_text("a\tb\r\nc\rd\ne \u200b f \ue000") == "a\tb\nc\nd\ne \u200b f \ue000"

    @pytest.mark.parametrize("text", ["nul \x00", "esc \x1b[31m", "del \x7f", "c1 \x85", "lone \udc00", "vt \x0b"])
    def test_other_controls_and_lone_surrogates_are_refused(self, text):
        with pytest.raises(ValidationError):
            clean_text(text)


@pytest.mark.django_db
class TestTheSameRuleEverywhere:
    CONTROL_NAME = "\x07\u202e\x01"

    def test_the_recipe_form_refuses_a_control_character_name(self, chef_client):
        response = chef_client.post("/recipes/new/", {"name": self.CONTROL_NAME, "servings": 1, "prep_time": 1,
                                                      "difficulty": "easy", "status": "draft",
                                                      "lines-TOTAL_FORMS": 0, "lines-INITIAL_FORMS": 0})  # fmt: skip
        assert response.status_code == 400
        assert "A name cannot contain control" in response.content.decode()
        assert not Recipe.objects.exists()

    def test_the_room_form_refuses_a_control_character_name(self, chef_client):
        response = chef_client.post("/chat/", {"name": "room\x07"})
        assert response.status_code == 400
        assert "A name cannot contain control" in response.content.decode()
        assert not Room.objects.exists()

    def test_the_profile_and_token_forms_refuse_invisible_names(self, chef_client, chef):
        response = chef_client.post("/accounts/profile/", {"first_name": "\u200b", "experience_years": 1})
        assert response.status_code == 400
        response = chef_client.post("/accounts/tokens/", {"name": "\x1b[2J"})
        assert response.status_code == 400
        assert not ApiToken.objects.exists()
        assert chef_client.post("/accounts/tokens/", {"name": "  nightly  "}).status_code == 201
        assert ApiToken.objects.get().name == "nightly"

    def test_the_api_refuses_them_with_422_and_trims_good_names(self, chef_client):
        def create(payload):
            return chef_client.post("/api/recipes", data=json.dumps(payload), content_type="application/json")

        refused = create({"name": self.CONTROL_NAME})
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"] == ["body", "payload", "name"]
        assert create({"name": "ok", "steps": ["stir \x1b"]}).status_code == 422
        assert create({"name": "ok", "description": "nul \x00"}).status_code == 422
        assert create({"name": "  Beurre blanc  "}).json()["name"] == "Beurre blanc"
        assert Recipe.objects.count() == 1
