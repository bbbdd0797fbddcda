"""The ingredient-sentence reader: the shapes recipe sites write, and no input that makes it raise."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core.validators import clean_name, clean_text
from imports.ingredients import parse_ingredient_line
from imports.records import LineDraft
from kitchen.models import Unit

UNITS = {choice.value for choice in Unit}


def line(ingredient: str, quantity: str, unit: str, note: str = "") -> LineDraft:
    return LineDraft(ingredient=ingredient, quantity=Decimal(quantity), unit=unit, note=note)


class TestParseIngredientLine:
    @pytest.mark.parametrize(
        "text, expected",
        [
            ("1 1/2 cups flour", line("flour", "1.5", "cup")),
            ("1½ cups sugar", line("sugar", "1.5", "cup")),
            ("1 ½ cups sugar", line("sugar", "1.5", "cup")),
            ("1\u20442 cup milk", line("milk", "0.5", "cup")),
            ("½ tsp salt", line("salt", "0.5", "tsp")),
            ("⅓ cup milk", line("milk", "0.333", "cup")),
            ("200 g butter", line("butter", "200", "g")),
            ("200g butter, softened", line("butter", "200", "g", "softened")),
            ("200 grams of butter", line("butter", "200", "g")),
            ("1,5 kg potatoes", line("potatoes", "1.5", "kg")),
            ("1.5kg potatoes", line("potatoes", "1.5", "kg")),
            ("2 large eggs", line("eggs", "2", "piece", "large")),
            ("1 egg", line("egg", "1", "piece")),
            ("one onion, chopped", line("onion", "1", "piece", "chopped")),
            ("3 tbsp olive oil", line("olive oil", "3", "tbsp")),
            ("3 Tablespoons olive oil", line("olive oil", "3", "tbsp")),
            ("2 T sugar", line("sugar", "2", "tbsp")),
            ("1 t salt", line("salt", "1", "tsp")),
            ("500 ml stock", line("stock", "500", "ml")),
            ("1 L water", line("water", "1", "l")),
            ("2 dl cream", line("cream", "200", "ml")),
            # A package size: the total amount, the package in the note.
            ("1 (400 g) can tomatoes", line("tomatoes", "400", "g", "1 (400 g) can")),
            ("2 (400 g) cans chopped tomatoes", line("chopped tomatoes", "800", "g", "2 (400 g) cans")),
            (
                "1 can (398 ml/14 oz) plum tomatoes, drained",
                line("plum tomatoes", "398", "ml", "1 can (398 ml/14 oz), drained"),
            ),
            # A range: its lower bound, the range in the note.
            ("2-3 cloves garlic", line("garlic", "2", "piece", "2-3 cloves")),
            ("2\u20133 cloves garlic, minced", line("garlic", "2", "piece", "2-3 cloves, minced")),
            ("2 to 3 tbsp honey", line("honey", "2", "tbsp", "2 to 3 tbsp")),
            ("3 cloves garlic", line("garlic", "3", "piece", "cloves")),
            ("a pinch of salt", line("salt", "1", "pinch")),
            ("Pinch  black pepper", line("black pepper", "1", "pinch")),
            ("a can of chickpeas", line("chickpeas", "1", "piece", "can")),
            # US customary units in grams and millilitres.
            ("8 oz cream cheese", line("cream cheese", "226.796", "g")),
            ("1 lb ground beef", line("ground beef", "453.592", "g")),
            ("2 fl oz rum", line("rum", "59.147", "ml")),
            ("1 pint milk", line("milk", "473.176", "ml")),
            ("1 quart stock", line("stock", "946.353", "ml")),
            # What the paren says after a unit is a note; so is the paren in the name.
            ("1/2 cup (125 ml) ketchup", line("ketchup", "0.5", "cup", "125 ml")),
            (
                "1  skinless, boneless chicken breast fillet (around 114g)",
                line("boneless chicken breast fillet", "1", "piece", "skinless, around 114g"),
            ),
            ("1 large, ripe avocado, diced", line("ripe avocado", "1", "piece", "large, diced")),
            ("- 2 eggs", line("eggs", "2", "piece")),
            ("1.23456 kg flour", line("flour", "1.235", "kg")),
            ("999999 kg salt", line("salt", "999999", "kg")),
        ],
    )
    def test_reads_quantity_unit_ingredient_and_note(self, text, expected):
        assert parse_ingredient_line(text) == expected

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "   ",
            "salt to taste",
            "Salt and pepper",
            "Hot pepper sauce, to taste",
            "vegetable oil (for deep frying)",
            "an onion",
            "cup of coffee",
            "1½ cups",  # no ingredient
            "1 cup",
            "0 g salt",
            "-2 eggs",
            "1e400",
            "1e400 g sugar",
            "NaN",
            "NaN g sugar",
            "Infinity cups",
            "2x eggs",
            "1,000 g flour",  # a thousand, or one?
            "1000000 g salt",
            "12345678 g sugar",
            "99999999999999999999999999999999 kg",
            "1/0 cup milk",
            "0.0001 g saffron",
            "1 (",
            "1 ((400 g) can",
            "2 eggs (",
            "1 cup " + "x" * 101,
            "1 cup flour, " + "sifted " * 40,
            "Seasoning",
        ],
    )
    def test_what_cannot_be_read_is_none(self, text):
        assert parse_ingredient_line(text) is None

    def test_invisible_and_control_characters_are_removed(self):
        parsed = parse_ingredient_line("200\u00a0g but\u200bter\x00, soft\u00adened")
        assert parsed == line("butter", "200", "g", "softened")

    @pytest.mark.parametrize("value", [None, 12, b"1 cup flour", ["1 cup flour"]])
    def test_anything_but_text_is_none(self, value):
        assert parse_ingredient_line(value) is None


def assert_storable(parsed: LineDraft | None) -> None:
    if parsed is None:
        return
    assert Decimal(0) < parsed.quantity < Decimal(1_000_000)
    assert parsed.quantity.as_tuple().exponent >= -3
    assert parsed.unit in UNITS
    assert clean_name(parsed.ingredient) == parsed.ingredient
    assert len(parsed.ingredient) <= 100
    assert len(parsed.note) <= 200
    assert clean_text(parsed.note) == parsed.note


SENTENCE_PARTS = st.sampled_from(
    [
        "1", "0", "-", "1/2", "1 1/2", "½", "1½", "⅓", "1,5", "1,000", "1.5", "2-3", "to", "or", "1e400",
        "NaN", "999999", "9999999", "(", ")", "(400 g)", "(14 oz)", "g", "kg", "oz", "lb", "fl oz", "cups",
        "T", "t", "pinch", "a", "an", "of", "can", "cloves", "large", "skinless", ",", ";", "flour",
        "eggs", "\u200b", "\x00", "\ud83d", "👩‍🍳", " ", "\t", "\n", "/", "\u2044", "\u2013",
    ]
)  # fmt: skip


class TestParserNeverRaises:
    @hypothesis_settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.text(max_size=80))
    def test_any_text(self, text):
        assert_storable(parse_ingredient_line(text))

    @hypothesis_settings(max_examples=600, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(SENTENCE_PARTS, max_size=10).map(" ".join))
    def test_sentence_shaped_text(self, text):
        assert_storable(parse_ingredient_line(text))
