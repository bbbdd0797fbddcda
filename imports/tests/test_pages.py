"""Real recipe pages (saved by recipe-scrapers, see data/pages/README.md) read into drafts: by
recipe-scrapers for the sites it knows, and by extruct (JSON-LD, then microdata) for any other."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from imports.records import LineDraft, RecipeDraft
from imports.web import recipes_from_page

PAGES = Path(__file__).parent / "data" / "pages"
ELSEWHERE = "https://recipes.example/page"  # a site recipe-scrapers does not know


def read(page: str, url: str) -> RecipeDraft:
    drafts = recipes_from_page((PAGES / page).read_bytes(), url=url, content_type="text/html; charset=utf-8")
    assert len(drafts) == 1
    assert drafts[0].source_url == url
    return drafts[0]


@pytest.mark.parametrize("url", ["https://kennymcgovern.com/crispy-chicken-strips", ELSEWHERE])
def test_json_ld_graph_with_sections(url):
    draft = read("kennymcgovern.com.html", url)
    assert (draft.name, draft.servings, draft.prep_time) == ("Crispy Chicken Strips", 1, 16)
    assert draft.categories[:3] == ["Appetizer", "Side Dish", "Snack"]
    assert len(draft.lines) == 14
    assert draft.lines[0] == LineDraft(ingredient="panko breadcrumbs", quantity=Decimal(8), unit="tbsp")
    assert LineDraft(ingredient="black pepper", quantity=Decimal(1), unit="pinch") in draft.lines
    assert draft.unparsed == ["vegetable oil (for deep frying)"]
    assert len(draft.steps) == 6
    assert draft.steps[1] == "On a plate, mix plain flour, sea salt & black pepper. Mix well."


def test_json_ld_how_to_section_and_package_sizes():
    draft = read("ricardocuisine.com.html", ELSEWHERE)
    assert (draft.name, draft.servings, draft.prep_time) == ("Slow-Cooked Pulled Pork", 8, 20 + 8 * 60)
    assert draft.description.startswith("Plum tomatoes, ketchup, molasses")
    assert draft.lines[0] == LineDraft(
        ingredient="plum tomatoes", quantity=Decimal(398), unit="ml", note="1 can (398 ml/14 oz), drained"
    )
    assert LineDraft(ingredient="ketchup", quantity=Decimal("0.5"), unit="cup", note="125 ml") in draft.lines
    assert draft.unparsed == ["Hot pepper sauce, to taste", "Salt and pepper"]
    assert len(draft.lines) + len(draft.unparsed) == 12
    assert draft.steps[0] == "In a blender, purée all ingredients except the pork. Season with salt and pepper."
    assert len(draft.steps) == 4
    assert len(draft.categories) == 10
    assert draft.categories[0] == "Main Dishes"


def test_microdata_only():
    draft = read("cdkitchen.com.html", ELSEWHERE)
    assert (draft.name, draft.servings, draft.prep_time) == ("Veal Steak Vesuvio", 4, 45)
    assert len(draft.lines) == 8
    assert LineDraft(ingredient="garlic", quantity=Decimal(3), unit="piece", note="cloves, minced") in draft.lines
    assert draft.unparsed == ["Seasoning"]  # a heading among the ingredients: kept, not lost
    assert len(draft.steps) == 3
    assert draft.steps[2].startswith("Continue broiling potatoes")


def test_a_site_recipe_scrapers_knows_is_read_by_it():
    # The page's JSON-LD runs its steps into one text; recipe-scrapers' nhs.uk scraper reads them
    # from the page itself.
    known = read("nhs.uk.html", "https://www.nhs.uk/healthier-families/recipes/chilli-con-carne/")
    elsewhere = read("nhs.uk.html", ELSEWHERE)
    assert (known.name, known.servings, len(known.steps)) == ("Chilli con carne", 4, 4)
    assert (elsewhere.name, elsewhere.servings, len(elsewhere.steps)) == ("Chilli con carne recipe", 1, 1)
    for draft in (known, elsewhere):
        assert draft.lines[0] == LineDraft(ingredient="extra-lean minced beef", quantity=Decimal(300), unit="g")
        assert draft.unparsed == []
