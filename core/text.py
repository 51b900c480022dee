"""Text is clean at the door: the one normalization for every text field on every write path.

``text_errors`` runs where the length limits are checked (the services, the
admin's forms, the backup import, the demo loader): it normalizes an
instance's text in place (Unicode NFC; CRLF and lone CR become LF; spaces
and tabs at the end of a line go) and returns field errors for characters a
page cannot carry: control characters
other than newline and tab, private-use characters (renderers must be free to
reserve them), non-characters (U+FDD0..U+FDEF and U+xFFFE/U+xFFFF) and lone
surrogates. Bidirectional and zero-width characters are legitimate in some
languages: they pass, and the renderers escape them like any other text.

Renderers never trust this alone: text stored before the rule (published
versions are immutable) still renders, through ``xml_safe`` for XML and the
renderers' own escaping for HTML.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from core.limits import text_length_errors

_NEWLINES = re.compile(r"\r\n?")
_TRAILING = re.compile(r"[ \t]+\n")
# Refused at the door: C0 controls but tab and newline (CR is normalized away first), DEL and
# the C1 controls, surrogates, the private-use areas and the non-characters.
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff\ufdd0-\ufdef"
    + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17))
    + "\U000f0000-\U000ffffd\U00100000-\U0010fffd]"
)
# What XML 1.0 cannot carry at all (feeds, sitemaps): stripped at render, whatever is stored.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def text_normalize(value: str) -> str:
    """NFC, with every line ending a plain LF and no spaces or tabs before it.

    Browsers send CRLF, other clients LF, editors leave trailing spaces: text
    that reads the same is stored the same, so a compare shows only real
    changes. (Markdown's two-space hard break goes with them; a backslash at
    the end of the line still breaks it.)
    """
    return unicodedata.normalize("NFC", _TRAILING.sub("\n", _NEWLINES.sub("\n", value)))


def text_input_normalize[T](value: T) -> T:
    """A service's input with every string in it normalized: a str, or a (frozen) dataclass whose
    fields are strings, tuples of them, or such dataclasses. Anything else comes back as it was."""
    # A str or tuple comes back as a new str or tuple: T, as the caller passed one in.
    if isinstance(value, str):
        return cast(T, text_normalize(value))
    if isinstance(value, tuple):
        return cast(T, tuple(text_input_normalize(item) for item in value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: text_input_normalize(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value


def _describe(char: str) -> str:
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        kind = "a lone surrogate"
    elif unicodedata.category(char) == "Co":
        kind = "a private-use character"
    elif unicodedata.category(char) == "Cc":
        kind = "a control character"
    else:
        kind = "a non-character"
    return f"U+{code:04X} ({kind})"


def text_problems(value: str) -> list[str]:
    """Why ``value`` (already normalized) cannot be stored: empty when it can."""
    found = sorted(set(_FORBIDDEN.findall(value)))
    if not found:
        return []
    shown = ", ".join(_describe(char) for char in found[:3]) + (" and others" if len(found) > 3 else "")
    return [f"contains characters that cannot be stored: {shown}"]


def _json_problems(value: Any) -> list[str]:
    if isinstance(value, str):
        return text_problems(value)
    if isinstance(value, dict):
        items: Iterable[Any] = [*value.keys(), *value.values()]
    elif isinstance(value, list | tuple):
        items = value
    else:
        return []
    for item in items:
        problems = _json_problems(item)
        if problems:
            return problems
    return []


def text_character_errors(
    instance: models.Model, *, prefix: str = "", fields: Iterable[str] | None = None
) -> dict[str, list[str]]:
    """Normalize the instance's text fields in place; field errors for the characters refused.

    Covers every character and text column, and the strings inside JSON
    columns. ``fields`` narrows it to the fields a form edits.
    """
    wanted = None if fields is None else set(fields)
    errors: dict[str, list[str]] = {}
    for field in instance._meta.concrete_fields:
        if wanted is not None and field.name not in wanted:
            continue
        value = getattr(instance, field.attname, None)
        if isinstance(value, str):
            value = text_normalize(value)
            setattr(instance, field.attname, value)
            problems = text_problems(value)
        elif isinstance(field, models.JSONField):
            problems = _json_problems(value)
        else:
            continue
        if problems:
            errors[f"{prefix}{field.name}"] = problems
    return errors


def text_errors(
    instance: models.Model, *, prefix: str = "", fields: Iterable[str] | None = None
) -> dict[str, list[str]]:
    """``text_character_errors`` plus the length limits of ``core.limits``: the check every write runs."""
    wanted = None if fields is None else set(fields)
    errors = text_character_errors(instance, prefix=prefix, fields=wanted)
    for name, messages in text_length_errors(instance, prefix=prefix).items():
        if wanted is None or name.removeprefix(prefix) in wanted:
            errors.setdefault(name, []).extend(messages)
    return errors


def validate_text(instance: models.Model) -> None:
    """``text_errors`` as a ValidationError."""
    errors = text_errors(instance)
    if errors:
        raise ValidationError(errors)


def clean_text_value(name: str, value: str) -> str:
    """One free-standing value (not a model field): normalized, or a ValidationError on ``name``."""
    value = text_normalize(value)
    problems = text_problems(value)
    if problems:
        raise ValidationError({name: problems})
    return value


class TextCleanModelForm(forms.ModelForm):
    """A model form (the admin's) that applies ``text_errors`` to the fields it edits."""

    # _post_clean is Django's private hook after the instance is built (not in django-stubs).
    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]
        for name, messages in text_errors(self.instance, fields=self.fields).items():
            if name not in self.errors:
                for message in messages:
                    self.add_error(name, message)


def text_tree_normalize(value: Any, *, where: str = "") -> Any:
    """JSON-shaped data (a loader's input) with every string normalized; a ValidationError names the
    first place holding a refused character."""
    if isinstance(value, str):
        return clean_text_value(where or "value", value)
    if isinstance(value, dict):
        return {
            text_tree_normalize(key, where=f"{where}.{key}"): text_tree_normalize(item, where=f"{where}.{key}")
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [text_tree_normalize(item, where=f"{where}[{index}]") for index, item in enumerate(value)]
    return value


def xml_safe(value: Any) -> Any:
    """A string XML 1.0 can carry: characters it cannot are dropped (other values pass through)."""
    return _XML_ILLEGAL.sub("", value) if isinstance(value, str) else value
