"""Cache keys and freshness stamps (pure: rows are stand-ins, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from cases import cache_keys

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(microseconds=1)


def case(updated_at=T0, computed_at=T0, stale=False, version=7, summary=True):
    risk = SimpleNamespace(computed_at=computed_at, stale=stale, evaluation_version_id=version) if summary else None
    return SimpleNamespace(pk=1, updated_at=updated_at, risk_summary=risk)


def test_stamps_tell_microseconds_and_never_apart():
    assert cache_keys.stamp(None) == "-"
    assert cache_keys.stamp(T0) != cache_keys.stamp(T1)
    assert cache_keys.computed_stamp(T0, True) != cache_keys.computed_stamp(T0, False)
    assert cache_keys.latest([None, T1, T0]) == T1 and cache_keys.latest([]) is None


def test_an_archive_row_key_changes_with_everything_the_row_shows():
    base = cache_keys.archive_row(case())
    assert base == cache_keys.archive_row(case())
    variants = [
        case(updated_at=T1),
        case(computed_at=T1),
        case(stale=True),
        case(version=8),
        case(summary=False),
        case(computed_at=None),
    ]
    keys = [cache_keys.archive_row(c) for c in variants]
    assert base not in keys and len(set(keys)) == len(keys)


def test_keys_of_different_pieces_never_collide():
    organization = SimpleNamespace(pk=1, updated_at=T0)
    exposure = SimpleNamespace(computed_at=T0, stale=False)
    keys = {
        cache_keys.archive_row(case()),
        cache_keys.analysis(1, T0, T0),
        cache_keys.counterparties(organization, exposure),
        cache_keys.ARCHIVE_CHOICES,
    }
    assert len(keys) == 4
    assert cache_keys.counterparties(organization, None) != cache_keys.counterparties(organization, exposure)
    stale = SimpleNamespace(computed_at=T0, stale=True)
    assert cache_keys.exposure_fragment(organization, stale) != cache_keys.exposure_fragment(organization, exposure)


def test_the_case_page_etag_follows_each_of_its_inputs():
    base = cache_keys.case_page_etag(1, T0, 5, T0, False, T0)
    changed = [
        cache_keys.case_page_etag(1, T1, 5, T0, False, T0),
        cache_keys.case_page_etag(1, T0, 6, T0, False, T0),
        cache_keys.case_page_etag(1, T0, 5, T1, False, T0),
        cache_keys.case_page_etag(1, T0, 5, T0, True, T0),
        cache_keys.case_page_etag(1, T0, 5, T0, False, T1),
        cache_keys.case_page_etag(1, T0, None, None, None, None),
    ]
    assert base not in changed and len(set(changed)) == len(changed)
