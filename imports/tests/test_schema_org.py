"""schema.org Recipe objects found in JSON-LD documents and mapped to drafts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from imports.records import LineDraft, RecordError
from imports.schema_org import draft_from_schema, recipes_from_jsonld

SOUP = {"@context": "https://schema.org", "@type": "Recipe", "name": "Soup"}


class TestRecipesFromJsonld:
    def test_a_recipe_object(self):
        assert recipes_from_jsonld(SOUP) == [SOUP]

    def test_a_list(self):
        stew = {**SOUP, "name": "Stew"}
        assert recipes_from_jsonld([SOUP, {"@type": "Person"}, stew]) == [SOUP, stew]

    def test_a_graph(self):
        document = {
            "@context": "https://schema.org",
            "@graph": [{"@type": "WebPage", "name": "Page"}, {"@type": "Recipe", "name": "Soup"}],
        }
        assert [recipe["name"] for recipe in recipes_from_jsonld(document)] == ["Soup"]

    def test_a_list_of_types(self):
        recipe = {"@type": ["Recipe", "NewsArticle"], "name": "Soup"}
        assert recipes_from_jsonld(recipe) == [recipe]

    def test_nested_in_another_node(self):
        page = {"@type": "WebPage", "mainEntity": {"@type": "http://schema.org/Recipe", "name": "Soup"}}
        assert [recipe["name"] for recipe in recipes_from_jsonld(page)] == ["Soup"]

    @pytest.mark.parametrize("data", [None, "Recipe", 3, [], {}, {"@type": "Person"}, [[[]]], {"@type": 5}])
    def test_no_recipe(self, data):
        assert recipes_from_jsonld(data) == []

    def test_a_very_deep_document_is_cut_off_not_a_crash(self):
        deep: object = SOUP
        for _ in range(5000):
            deep = {"child": deep}
        assert recipes_from_jsonld(deep) == []


class TestDraftFromSchema:
    def test_maps_a_full_recipe(self):
        draft = draft_from_schema(
            {
                "@type": "Recipe",
                "name": " Tomato <b>soup</b> ",
                "description": "<p>Quick &amp; warm.</p>",
                "recipeYield": ["4", "4 portions"],
                "prepTime": "PT15M",
                "cookTime": "PT1H",
                "recipeIngredient": ["1 kg tomatoes", "salt to taste", "2 tbsp olive oil", ""],
                "recipeInstructions": "Chop the tomatoes.\nSimmer for an hour.\n\n",
                "recipeCategory": "Soup",
                "keywords": "vegan, quick, soup",
            },
            source_url="https://example.org/soup",
        )
        assert draft.name == "Tomato soup"
        assert draft.description == "Quick & warm."
        assert draft.servings == 4
        assert draft.prep_time == 75
        assert draft.lines == [
            LineDraft(ingredient="tomatoes", quantity=Decimal("1"), unit="kg"),
            LineDraft(ingredient="olive oil", quantity=Decimal("2"), unit="tbsp"),
        ]
        assert draft.unparsed == ["salt to taste"]
        assert draft.steps == ["Chop the tomatoes.", "Simmer for an hour."]
        assert draft.categories == ["Soup", "vegan", "quick"]
        assert draft.source_url == "https://example.org/soup"

    def test_how_to_sections_of_steps(self):
        draft = draft_from_schema(
            {
                **SOUP,
                "recipeInstructions": [
                    {
                        "@type": "HowToSection",
                        "name": "The base",
                        "itemListElement": [
                            {"@type": "HowToStep", "text": "Sweat the onions &amp; garlic."},
                            {"@type": "HowToStep", "name": "Only a name"},
                            {"@type": "HowToStep", "text": "  "},
                        ],
                    },
                    {
                        "@type": "HowToSection",
                        "name": "Finish",
                        "itemListElement": {"@type": "HowToStep", "text": "Blend."},
                    },
                    {"@type": "HowToStep", "itemListElement": [{"@type": "HowToDirection", "text": "Serve."}]},
                    "<p>Eat.</p>",
                ],
            }
        )
        assert draft.steps == ["Sweat the onions & garlic.", "Only a name", "Blend.", "Serve.", "Eat."]

    def test_instructions_as_html_text(self):
        draft = draft_from_schema({**SOUP, "recipeInstructions": "<ol><li>Chop.</li><li>Cook <i>slowly</i>.</li></ol>"})
        assert draft.steps == ["Chop.", "Cook slowly."]

    @pytest.mark.parametrize(
        "value, servings",
        [
            ("4", 4),
            ("4 servings", 4),
            (["4", "4 portions"], 4),
            (6, 6),
            ("Makes 12 cookies", 12),
            ("4-6", 4),
            ("0", 1),
            ("5000", 1000),
            ("lots", 1),
            (None, 1),
            (True, 1),
            (float("nan"), 1),
            ("9" * 5000, 1),
        ],
    )
    def test_servings(self, value, servings):
        assert draft_from_schema({**SOUP, "recipeYield": value}).servings == servings

    @pytest.mark.parametrize(
        "times, minutes",
        [
            ({"totalTime": "PT1H30M"}, 90),
            ({"totalTime": "PT1H30M", "prepTime": "PT5M"}, 90),
            ({"prepTime": "PT20M", "cookTime": "PT8H"}, 500),
            ({"prepTime": "P0DT0H20M"}, 20),
            ({"totalTime": "PT45S"}, 1),
            ({"totalTime": "45"}, 45),
            ({"totalTime": "P30D"}, 7 * 24 * 60),
            ({"totalTime": "P1Y"}, 0),
            ({"totalTime": "1 hour"}, 0),
            ({"totalTime": "-PT5M"}, 0),
            ({"totalTime": "P9999999999D"}, 0),
            ({}, 0),
        ],
    )
    def test_times_are_minutes_within_a_week(self, times, minutes):
        assert draft_from_schema({**SOUP, **times}).prep_time == minutes

    def test_categories_are_distinct_short_and_few(self):
        keywords = ["Soup", "soup", "x" * 61, *(f"tag {n}" for n in range(20))]
        draft = draft_from_schema({**SOUP, "recipeCategory": ["Soup", "Starter"], "keywords": keywords})
        assert draft.categories == ["Soup", "Starter", *(f"tag {n}" for n in range(8))]

    def test_unreadable_ingredients_are_kept_as_written(self):
        sentences = ["Seasoning", "a few <i>sprigs</i> of thyme", "1 (", "salt &amp; pepper", 42]
        draft = draft_from_schema({**SOUP, "recipeIngredient": sentences})
        assert draft.lines == []
        assert draft.unparsed == ["Seasoning", "a few sprigs of thyme", "1 (", "salt & pepper", "42"]

    def test_control_characters_are_removed_not_refused(self):
        draft = draft_from_schema(
            {
                "@type": "Recipe",
                "name": "Soup\x00\u200b",
                "description": "Warm\x07 soup\r\nfor two",
                "recipeInstructions": ["Stir\x1b."],
            }
        )
        assert (draft.name, draft.description, draft.steps) == ("Soup", "Warm soup\nfor two", ["Stir."])

    def test_the_url_in_the_recipe_is_the_source_when_none_is_given(self):
        assert draft_from_schema({**SOUP, "url": "https://example.org/soup"}).source_url == "https://example.org/soup"
        assert draft_from_schema({**SOUP, "url": "javascript:alert(1)"}).source_url == ""

    def test_a_language_tagged_name(self):
        assert draft_from_schema({"@type": "Recipe", "name": {"@value": "Soupe", "@language": "fr"}}).name == "Soupe"

    @pytest.mark.parametrize("name", [None, "", "   ", "<p> </p>", "\u200b", 42.5j, {"@type": "Thing"}])
    def test_a_recipe_without_a_name_is_a_record_error(self, name):
        with pytest.raises(RecordError) as error:
            draft_from_schema({"@type": "Recipe", "name": name})
        assert (error.value.field, error.value.message) == ("name", "the recipe has no name")

    def test_a_name_too_long_is_a_record_error(self):
        with pytest.raises(RecordError, match="201 characters"):
            draft_from_schema({"@type": "Recipe", "name": "x" * 201})

    def test_the_headline_names_a_recipe_without_a_name(self):
        assert draft_from_schema({"@type": "Recipe", "headline": "Soup"}).name == "Soup"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
RECIPE_KEYS = st.sampled_from(
    ["name", "description", "recipeYield", "prepTime", "cookTime", "totalTime", "recipeIngredient",
     "recipeInstructions", "recipeCategory", "keywords", "url", "itemListElement", "text", "@type"]
)  # fmt: skip


@hypothesis_settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(RECIPE_KEYS, JSON_VALUES, max_size=8))
def test_any_json_is_a_draft_or_a_record_error(recipe):
    try:
        draft = draft_from_schema({"@type": "Recipe", **recipe})
    except RecordError:
        return
    assert 1 <= draft.servings <= 1000
    assert 0 <= draft.prep_time <= 7 * 24 * 60
    assert all(step.strip() for step in draft.steps)
