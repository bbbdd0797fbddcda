"""Text from pages made to fit core.validators: markup stripped, refused characters removed."""

from __future__ import annotations

import pytest

from imports.text import plain_lines, plain_name, plain_text, visible_line


class TestPlainName:
    @pytest.mark.parametrize(
        "value, expected",
        [
            ("  Crispy <b>Chicken</b> Strips ", "Crispy Chicken Strips"),
            ("Mac &amp; Cheese", "Mac & Cheese"),
            ("Soft\u00adboiled\u200b eggs\x07", "Softboiled eggs"),
            ("Two\nlines\tand tabs", "Two lines and tabs"),
            ("Bad \ud83d surrogate", "Bad surrogate"),
            ("\u202eevil", "evil"),  # a bidirectional override reads a name backwards
            ("Chef 👩\u200d🍳 special", "Chef 👩\u200d🍳 special"),
            ("&lt;script&gt;", "<script>"),  # text, not markup: Brigade escapes it when it shows it
        ],
    )
    def test_visible_text_only(self, value, expected):
        assert plain_name(value) == expected

    @pytest.mark.parametrize("value", ["", "   ", "<p></p>", "\u200b\u200d", "\x00\x01"])
    def test_nothing_visible_is_empty(self, value):
        assert plain_name(value) == ""


class TestPlainLines:
    def test_lines_of_text_and_blocks_of_markup_are_lines(self):
        assert plain_lines("Mix.\r\n\r\n  Bake  well. \nServe.") == ["Mix.", "Bake well.", "Serve."]
        assert plain_lines("<ol><li>Mix <b>well</b>.</li><li>Bake.</li></ol>") == ["Mix well.", "Bake."]
        assert plain_lines("<p>One</p><p>Two<br>Three</p>") == ["One", "Two", "Three"]

    def test_control_characters_go(self):
        assert plain_lines("Mix\x1b[31m.\x00") == ["Mix[31m."]


class TestPlainText:
    def test_paragraphs_are_kept_and_trimmed(self):
        assert plain_text("  First  para.\r\n\r\n\r\nSecond\tpara.  ") == "First para.\n\nSecond para."

    def test_markup_becomes_text(self):
        assert plain_text("<p>A &amp; B</p>") == "A & B"


def test_visible_line_collapses_whitespace():
    assert visible_line(" 200\u00a0g\t butter\n") == "200 g butter"
