"""Keyset pagination for the public lists: as fast on the last page as on the first.

A page is addressed by a signed cursor holding the sort value and id of the
row next to it, never by an OFFSET. A tampered or stale cursor is reported as
``BadCursor`` so the view can answer 400 with a message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core import signing
from django.db.models import Expression, F, Q, QuerySet

SALT = "moatwatch.keyset"


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class Sort:
    """One way to order a list: the expression, its direction and how to read it back."""

    key: str
    label: str
    expression: Expression | F
    descending: bool
    parse: Callable[[Any], Any]


def parse_date(value: Any) -> date:
    return date.fromisoformat(value)


def parse_decimal(value: Any) -> Decimal:
    return Decimal(str(value))


def parse_float(value: Any) -> float:
    return float(value)


def _encode(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


@dataclass
class Page:
    items: list
    next_cursor: str | None
    previous_cursor: str | None
    is_first: bool
    is_last: bool

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def has_other_pages(self) -> bool:
        return not (self.is_first and self.is_last)


def make_cursor(direction: str, value: Any = None, pk: int | None = None) -> str:
    return signing.dumps({"d": direction, "v": _encode(value), "i": pk}, salt=SALT, compress=True)


def read_cursor(cursor: str, sort: Sort) -> tuple[str, Any, int | None]:
    try:
        data = signing.loads(cursor, salt=SALT)
        direction = data["d"]
        if direction not in ("next", "prev", "last"):
            raise ValueError(direction)
        if direction == "last":
            return direction, None, None
        return direction, sort.parse(data["v"]), int(data["i"])
    except (signing.BadSignature, KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise BadCursor("This page link is not valid; start again from the first page.") from exc


def _sorted_by(queryset: QuerySet, sort: Sort) -> tuple[QuerySet, str]:
    """The queryset and the name it is ordered by: an annotation the rows already carry (a search's
    rank) as it is, since a second annotation of the same expression is computed again for every
    row; any other expression as ``sort_value``."""
    name = getattr(sort.expression, "name", None) if isinstance(sort.expression, F) else None
    if name is not None and name in queryset.query.annotations:
        return queryset, name
    return queryset.annotate(sort_value=sort.expression), "sort_value"


def paginate(queryset: QuerySet, sort: Sort, cursor: str | None, per_page: int) -> Page:
    """One page of ``queryset`` ordered by ``sort`` then id; a fixed number of queries.

    ``queryset`` must not be sliced; rows carry their sort value (see ``_sorted_by``).
    """
    qs, field = _sorted_by(queryset, sort)
    forward = ("-" if sort.descending else "") + field, ("-" if sort.descending else "") + "pk"
    backward = ("" if sort.descending else "-") + field, ("" if sort.descending else "-") + "pk"
    direction, value, pk = read_cursor(cursor, sort) if cursor else ("first", None, None)
    after = "lt" if sort.descending else "gt"
    before = "gt" if sort.descending else "lt"
    if direction in ("first", "next"):
        if direction == "next":
            qs = qs.filter(Q(**{f"{field}__{after}": value}) | Q(**{field: value, f"pk__{after}": pk}))
        rows = list(qs.order_by(*forward)[: per_page + 1])
        more = len(rows) > per_page
        rows = rows[:per_page]
        is_first, is_last = direction == "first", not more
    else:
        if direction == "prev":
            qs = qs.filter(Q(**{f"{field}__{before}": value}) | Q(**{field: value, f"pk__{before}": pk}))
        rows = list(qs.order_by(*backward)[: per_page + 1])
        more = len(rows) > per_page
        rows = rows[:per_page][::-1]
        is_first, is_last = not more, direction == "last"
    next_cursor = make_cursor("next", getattr(rows[-1], field), rows[-1].pk) if rows and not is_last else None
    previous_cursor = make_cursor("prev", getattr(rows[0], field), rows[0].pk) if rows and not is_first else None
    return Page(rows, next_cursor, previous_cursor, is_first, is_last)
