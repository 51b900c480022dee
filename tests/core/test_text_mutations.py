"""core.text, rule by rule: what its mutants change must fail here (scripts/mutation).

No database: the instances are unsaved.
"""

from __future__ import annotations

import dataclasses

import pytest
from django.core.exceptions import ValidationError

from cases.models import Case
from core import text


def test_normalize_line_endings_and_nfc():
    assert text.text_normalize("a\r\nb\rc\nd") == "a\nb\nc\nd"
    assert text.text_normalize("e\u0301") == "\u00e9"
    assert text.text_normalize("\r\r\n") == "\n\n"


@dataclasses.dataclass(frozen=True)
class Inner:
    name: str
    count: int = 0


@dataclasses.dataclass(frozen=True)
class Outer:
    title: str
    tags: tuple
    inner: Inner


def test_input_normalize_walks_strings_tuples_and_dataclasses():
    value = Outer("a\r\nb", ("x\ry", 3), Inner("e\u0301", 7))
    assert text.text_input_normalize(value) == Outer("a\nb", ("x\ny", 3), Inner("\u00e9", 7))
    assert text.text_input_normalize(["a\r\n"]) == ["a\r\n"]  # lists are not inputs: unchanged
    assert text.text_input_normalize(Inner) is Inner  # a class, not an instance
    assert text.text_input_normalize(None) is None


@pytest.mark.parametrize(
    ("char", "described"),
    [
        ("\x00", "U+0000 (a control character)"),
        ("\x08", "U+0008 (a control character)"),
        ("\x0b", "U+000B (a control character)"),
        ("\x1f", "U+001F (a control character)"),
        ("\x7f", "U+007F (a control character)"),
        ("\x9f", "U+009F (a control character)"),
        ("\ud800", "U+D800 (a lone surrogate)"),
        ("\udfff", "U+DFFF (a lone surrogate)"),
        ("\ue000", "U+E000 (a private-use character)"),
        ("\uf8ff", "U+F8FF (a private-use character)"),
        ("\ufdd0", "U+FDD0 (a non-character)"),
        ("\ufdef", "U+FDEF (a non-character)"),
        ("\ufffe", "U+FFFE (a non-character)"),
        ("\uffff", "U+FFFF (a non-character)"),
        ("\U0001fffe", "U+1FFFE (a non-character)"),
        ("\U0010ffff", "U+10FFFF (a non-character)"),
        ("\U000f0000", "U+F0000 (a private-use character)"),
        ("\U0010fffd", "U+10FFFD (a private-use character)"),
    ],
)
def test_each_refused_character(char, described):
    assert text.text_problems(f"a{char}b") == [f"contains characters that cannot be stored: {described}"]


@pytest.mark.parametrize(
    "char",
    [
        "\t",
        "\n",
        " ",
        "\xa0",
        "\u200b",
        "\u202e",
        "\u00e9",
        "\ud7ff",
        "\uf900",
        "\ufdcf",
        "\ufdf0",
        "\ufffd",
        "\U0001f600",
    ],
)
def test_characters_that_pass(char):
    assert text.text_problems(f"a{char}b") == []


def test_three_are_named_then_others():
    assert text.text_problems("\x03\x01\x02") == [
        "contains characters that cannot be stored: U+0001 (a control character), U+0002 (a control character), "
        "U+0003 (a control character)"
    ]
    assert text.text_problems("\x01\x02\x03\x04") == [
        "contains characters that cannot be stored: U+0001 (a control character), U+0002 (a control character), "
        "U+0003 (a control character) and others"
    ]
    assert text.text_problems("\x01\x01\x01") == [
        "contains characters that cannot be stored: U+0001 (a control character)"
    ]


def test_json_problems_look_inside_keys_values_lists_and_tuples():
    assert text._json_problems({"ok": "fine"}) == []
    assert text._json_problems({"bad\x01": 1})
    assert text._json_problems({"k": ["ok", ("x", "\x02")]})
    assert text._json_problems([1, 2.5, None, True]) == []
    assert text._json_problems(["ok", "\x03"]) == [
        "contains characters that cannot be stored: U+0003 (a control character)"
    ]


def _case(**fields) -> Case:
    return Case(**{"title": "A title", "slug": "a-title", **fields})


def test_character_errors_normalize_in_place_and_name_the_field():
    case = _case(title="A\r\nB", summary="x\x01")
    errors = text.text_character_errors(case, prefix="case-")
    assert case.title == "A\nB"
    assert list(errors) == ["case-summary"]
    assert errors["case-summary"][0].startswith("contains characters")
    narrowed = _case(title="t\x01", summary="s\x01\r\n")
    assert list(text.text_character_errors(narrowed, fields=["summary"])) == ["summary"]
    assert narrowed.title == "t\x01"  # not a field asked for: untouched
    assert narrowed.summary == "s\x01\n"


def test_text_errors_adds_length_limits_for_the_fields_asked():
    long_title = _case(title="x" * 100_000, summary="ok\x01")
    errors = text.text_errors(long_title)
    assert "title" in errors and "summary" in errors
    assert list(text.text_errors(long_title, fields=["summary"])) == ["summary"]
    assert list(text.text_errors(long_title, prefix="p-", fields=["title"])) == ["p-title"]
    with pytest.raises(ValidationError) as refused:
        text.validate_text(_case(summary="\x01"))
    assert list(refused.value.message_dict) == ["summary"]
    text.validate_text(_case())


def test_clean_text_value():
    assert text.clean_text_value("q", "a\r\nb") == "a\nb"
    with pytest.raises(ValidationError) as refused:
        text.clean_text_value("q", "a\x01")
    assert list(refused.value.message_dict) == ["q"]


def test_tree_normalize_names_the_place():
    assert text.text_tree_normalize({"a\r\n": ["x\r", 1, {"b": "e\u0301"}]}) == {"a\n": ["x\n", 1, {"b": "\u00e9"}]}
    with pytest.raises(ValidationError) as refused:
        text.text_tree_normalize({"cases": [{"title": "ok"}, {"title": "bad\x01"}]})
    assert list(refused.value.message_dict) == [".cases[1].title"]
    with pytest.raises(ValidationError) as refused:
        text.text_tree_normalize("bad\x01")
    assert list(refused.value.message_dict) == ["value"]
    assert text.text_tree_normalize(5) == 5


def test_xml_safe():
    assert text.xml_safe("a\x00b\x08c\x0bd\x0ce\x0ef\x1fg\ufffeh\uffffi") == "abcdefghi"
    assert text.xml_safe("keep\t\n\r\x7f\u00e9") == "keep\t\n\r\x7f\u00e9"
    assert text.xml_safe(7) == 7
    assert text.xml_safe(None) is None


class _CaseTextForm(text.TextCleanModelForm):
    class Meta:
        model = Case
        fields = ["title", "summary"]


def test_the_admin_form_refuses_characters_on_its_own_fields_once():
    form = _CaseTextForm(data={"title": "ok\r\nfine", "summary": "bad\x01"})
    assert not form.is_valid()
    assert list(form.errors) == ["summary"]
    assert form.errors["summary"] == ["contains characters that cannot be stored: U+0001 (a control character)"]
    assert form.instance.title == "ok\nfine"
    # a field that already has an error keeps only that one
    form = _CaseTextForm(data={"title": "", "summary": "fine"})
    assert not form.is_valid()
    assert form.errors["title"] == ["This field is required."]
    clean = _CaseTextForm(data={"title": "A title", "summary": "fine"})
    assert clean.is_valid(), clean.errors


def test_a_field_the_form_already_refused_gets_no_second_error():
    form = _CaseTextForm(data={"title": "\x01" + "x" * 400, "summary": "fine"})
    assert not form.is_valid()
    assert len(form.errors["title"]) == 1
    assert "at most 300 characters" in form.errors["title"][0]


def test_json_columns_are_checked_inside():
    from evaluations.models import RubricVersion

    rubric_version = RubricVersion(number=1, scale_labels=["low", "hi\x01gh"], families={"leverage": "fine"})
    errors = text.text_character_errors(rubric_version, prefix="rv-")
    assert list(errors) == ["rv-scale_labels"]
    assert text.text_character_errors(RubricVersion(number=1, scale_labels=["low"])) == {}


def test_text_errors_prefixes_character_errors_too():
    assert list(text.text_errors(_case(summary="\x01"), prefix="p-")) == ["p-summary"]


def test_tree_normalize_names_a_bad_key_by_its_place():
    with pytest.raises(ValidationError) as refused:
        text.text_tree_normalize({"cases": {"bad\x01": 1}})
    assert list(refused.value.message_dict) == [".cases.bad\x01"]


def test_the_admin_form_checks_only_the_fields_it_edits():
    form = _CaseTextForm(data={"title": "A title", "summary": "fine"}, instance=_case(slug="s\x01"))
    assert form.is_valid(), form.errors
