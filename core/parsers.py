"""The API's JSON parser: DRF's, with the limits a form post has.

A module of its own because the REST_FRAMEWORK settings name it, and DRF reads
them while core.api is still importing rest_framework.views.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from rest_framework import exceptions
from rest_framework.parsers import JSONParser as DRFJSONParser
from rest_framework.utils import json as drf_json

# No body any endpoint takes nests deeper than a rubric's classification (a
# handful of levels); far deeper JSON is refused before Python's recursion
# limit can turn it into a 500 somewhere between the parser and the database.
MAX_JSON_DEPTH = 32


def _json_depth_exceeds(data: Any, limit: int) -> bool:
    """Whether ``data`` nests containers more than ``limit`` deep (iteratively: no recursion to run out of)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(DRFJSONParser):
    """DRF's JSON parser with the limits a form post has: a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE, or nested deeper than MAX_JSON_DEPTH, is a 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise exceptions.ParseError(f"The JSON body is larger than {limit:,} bytes.")
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            text = raw.decode(encoding)
            data = json.loads(text, parse_constant=drf_json.strict_constant if self.strict else None)
        except RecursionError:
            raise exceptions.ParseError(f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.") from None
        except (ValueError, LookupError) as exc:  # UnicodeDecodeError is a ValueError
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
        if _json_depth_exceeds(data, MAX_JSON_DEPTH):
            raise exceptions.ParseError(f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.")
        return data
