"""Cache keys and freshness stamps (pure: rows are stand-ins, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from cases import cache_keys

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(microseconds=1)


def case(updated_at=T0, computed_at=T0, stale=False, version=7, summary=True, published=7, **shown):
    values = {
        "risk_index": Decimal("61.5"),
        "risk_band": "high",
        "classification": "mixed",
        "needs_reevaluation": False,
    }
    values.update(shown)
    risk = (
        SimpleNamespace(computed_at=computed_at, stale=stale, stale_since=T0 if stale else None,
                        evaluation_version_id=version, **values)
        if summary
        else None
    )  # fmt: skip
    return SimpleNamespace(pk=1, updated_at=updated_at, risk_summary=risk, published_version_id=published)


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
        case(published=8),  # a new version's verdict
        case(summary=False),
        case(risk_index=Decimal("61.6")),
        case(risk_band="medium"),
        case(classification="durable_leverage"),
        case(needs_reevaluation=True),
        case(risk_index=None, risk_band="", classification=""),  # never computed
    ]
    keys = [cache_keys.archive_row(c) for c in variants]
    assert base not in keys and len(set(keys)) == len(keys)


@pytest.mark.parametrize("key", [cache_keys.archive_row, cache_keys.api_row], ids=["archive row", "API item"])
def test_a_row_key_ignores_the_stale_flag_and_a_recompute_that_changes_no_figure(key):
    # A rubric activation marks every summary stale, then rewrites it (a new computed_at, rubric
    # version and inputs hash): a row whose shown figures come out the same keeps its cached entry.
    base = key(case())
    assert key(case(stale=True)) == base
    assert key(case(computed_at=T1, version=8)) == base
    assert key(case(computed_at=T1, risk_index=Decimal("12.0"))) != base


def test_an_api_item_key_follows_the_case_and_its_figures_not_the_verdict():
    base = cache_keys.api_row(case())
    assert cache_keys.api_row(case(published=8)) == base  # an API item shows no verdict
    changed = [cache_keys.api_row(c) for c in (case(updated_at=T1), case(summary=False), case(risk_band="low"))]
    assert base not in changed and len(set(changed)) == 3
    assert base != cache_keys.archive_row(case())


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
