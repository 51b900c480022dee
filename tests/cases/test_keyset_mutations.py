"""cases.keyset at the edges: a last page of exactly one page size shows no Next (and no empty
page behind it), in both directions and both sort orders."""

from __future__ import annotations

import pytest
from django.db.models import F

from cases import keyset
from cases.models import Organization

pytestmark = pytest.mark.django_db

ASC = keyset.Sort("name", "Name", F("name"), False, str)
DESC = keyset.Sort("name-desc", "Name, Z to A", F("name"), True, str)


def _orgs(count: int):
    for n in range(count):
        Organization.objects.create(name=f"Org {n:02d}", slug=f"org-{n:02d}", kind=Organization.Kind.values[0])
    return Organization.objects.all()


def _names(page) -> list[str]:
    return [org.name for org in page]


@pytest.mark.parametrize("sort", [ASC, DESC])
def test_exactly_one_page_is_first_and_last(sort):
    page = keyset.paginate(_orgs(3), sort, None, 3)
    assert len(page.items) == 3
    assert page.is_first and page.is_last
    assert page.next_cursor is None and page.previous_cursor is None


@pytest.mark.parametrize("sort", [ASC, DESC])
def test_a_last_page_of_exactly_one_page_size_has_no_next(sort):
    queryset = _orgs(6)
    first = keyset.paginate(queryset, sort, None, 3)
    assert not first.is_last and first.next_cursor and first.previous_cursor is None
    second = keyset.paginate(queryset, sort, first.next_cursor, 3)
    assert len(second.items) == 3
    assert second.is_last and not second.is_first
    assert second.next_cursor is None
    assert second.previous_cursor
    assert set(_names(first)).isdisjoint(_names(second))
    expected = sorted(org.name for org in queryset)
    assert _names(first) + _names(second) == (expected[::-1] if sort.descending else expected)
    back = keyset.paginate(queryset, sort, second.previous_cursor, 3)
    assert _names(back) == _names(first)
    assert back.is_first and back.previous_cursor is None and back.next_cursor


@pytest.mark.parametrize("sort", [ASC, DESC])
def test_the_last_link_gives_exactly_one_full_page(sort):
    queryset = _orgs(6)
    last = keyset.paginate(queryset, sort, keyset.make_cursor("last"), 3)
    assert len(last.items) == 3 and last.is_last and not last.is_first
    assert last.next_cursor is None and last.previous_cursor
    before = keyset.paginate(queryset, sort, last.previous_cursor, 3)
    assert len(before.items) == 3
    assert before.is_first and before.previous_cursor is None
    assert keyset.paginate(queryset, sort, None, 3).items == before.items


def test_one_row_more_than_a_page_shows_next():
    queryset = _orgs(4)
    first = keyset.paginate(queryset, ASC, None, 3)
    assert not first.is_last and first.next_cursor
    second = keyset.paginate(queryset, ASC, first.next_cursor, 3)
    assert _names(second) == ["Org 03"] and second.is_last and second.next_cursor is None


def test_a_sort_over_an_annotation_reads_it_once_a_row():
    """A search's rank is annotated by the search; the page orders by that annotation rather than
    annotating it again (which the database computes twice a row)."""
    from django.db import connection
    from django.db.models.functions import Upper
    from django.test.utils import CaptureQueriesContext

    queryset = _orgs(5).annotate(shout=Upper("name"))
    sort = keyset.Sort("shout", "Shouted", F("shout"), True, str)
    with CaptureQueriesContext(connection) as captured:
        first = keyset.paginate(queryset, sort, None, 2)
    assert captured.captured_queries[0]["sql"].upper().count("UPPER(") == 1
    assert [org.shout for org in first] == ["ORG 04", "ORG 03"]
    second = keyset.paginate(queryset, sort, first.next_cursor, 2)
    assert _names(second) == ["Org 02", "Org 01"]
    assert _names(keyset.paginate(queryset, sort, second.previous_cursor, 2)) == _names(first)
    assert _names(keyset.paginate(queryset, sort, keyset.make_cursor("last"), 2)) == ["Org 01", "Org 00"]
