from __future__ import annotations

import pytest

from core.realtime.messages import MessageError, parse_json_object, require_field


class TestParseJsonObject:
    @pytest.mark.parametrize(
        "text,code",
        [
            (None, "binary_not_supported"),
            ("not json", "invalid_json"),
            ("[1, 2]", "invalid_message"),
            ('"a string"', "invalid_message"),
            ("{}", "invalid_message"),
            ('{"type": 5}', "invalid_message"),
            ('{"type": ""}', "invalid_message"),
            ('{"type": "x", "n": NaN}', "invalid_json"),
            ('{"type": "x", "n": Infinity}', "invalid_json"),
            ('{"type": "x", "n": 1e400}', "invalid_json"),
            ("[" * 100_000 + "]" * 100_000, "frame_too_large"),
        ],
    )
    def test_bad_frames_raise_a_message_error(self, text, code):
        with pytest.raises(MessageError) as caught:
            parse_json_object(text)
        assert caught.value.code == code

    def test_deep_nesting_within_the_size_limit_is_an_error_not_a_crash(self):
        text = '{"type": "x", "a": ' + "[" * 5000 + "]" * 5000 + "}"
        with pytest.raises(MessageError) as caught:
            parse_json_object(text, max_bytes=len(text))
        assert caught.value.code == "invalid_json"

    def test_multibyte_text_is_measured_in_bytes(self):
        text = '{"type": "x", "m": "' + "é" * 9000 + '"}'
        assert len(text) < 16 * 1024 < len(text.encode())
        with pytest.raises(MessageError):
            parse_json_object(text)

    def test_a_good_frame_parses(self):
        assert parse_json_object('{"type": "ping", "n": 1.5}') == {"type": "ping", "n": 1.5}


class TestRequireField:
    def test_bool_is_not_an_int(self):
        with pytest.raises(MessageError):
            require_field({"n": True}, "n", int)

    def test_missing_optional_field(self):
        assert require_field({}, "n", int, optional=True) is None

    def test_missing_required_field(self):
        with pytest.raises(MessageError, match="required"):
            require_field({}, "n", str)


class TestNesting:
    def test_deep_nesting_is_refused_before_parsing(self):
        text = '{"type": "x", "a": ' + "[" * 40 + "]" * 40 + "}"
        with pytest.raises(MessageError, match="nested deeper"):
            parse_json_object(text)

    def test_brackets_inside_strings_do_not_count(self):
        text = '{"type": "x", "s": "' + "[{" * 100 + '\\" ]"}'
        assert parse_json_object(text)["s"].startswith("[{")

    def test_moderate_nesting_parses(self):
        text = '{"type": "x", "a": ' + "[" * 20 + "]" * 20 + "}"
        assert parse_json_object(text)["type"] == "x"
