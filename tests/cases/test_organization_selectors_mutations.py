"""cases.selectors, an organization's reads: the bounded view of its exposure on its page, the
pages of its full supply list, their cache, and what the API reads (scripts/mutation)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from cases import cache_keys, selectors
from cases.models import Organization
from evaluations.models import OrganizationExposure
from tests.support import tiny

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _suppliers(count: int) -> list[dict]:
    """``count`` suppliers, largest share first: supplier n holds (count - n) / 10,000."""
    return [{"slug": f"s{n}", "name": f"S{n}", "deals": 1, "share": (count - n) / 10_000} for n in range(count)]


def _paths(count: int) -> dict:
    """One resource's ``count`` supplier groups (two parallel lists: the groups, what is left without
    each), largest share first: group n holds (count - n) / 1,000."""
    return {
        "count": count,
        "suppliers": count + 1,
        "hhi": 1234.5,
        "groups": [{"slug": f"g{n}", "name": f"G{n}", "deals": 2, "share": (count - n) / 1000} for n in range(count)],
        "without": [{"slug": f"g{n}", "count": count - 1, "hhi": float(n)} for n in range(count)],
    }


def _exposure(**fields) -> OrganizationExposure:
    """An unsaved exposure, computed now unless told otherwise."""
    return OrganizationExposure(**{"computed_at": NOW, "stale": False, **fields})


# --- _rest and _groups_with_without -------------------------------------------------------------


def test_rest_counts_rows_and_sums_their_share_in_percent_to_a_tenth():
    assert selectors._rest([]) == {"count": 0, "percent": 0}
    rows = [{"share": 0.12341}, {"share": "0.1"}, {"slug": "no share"}]
    assert selectors._rest(rows) == {"count": 3, "percent": 22.3}
    assert selectors._rest([{"share": 0.00049}]) == {"count": 1, "percent": 0.0}
    assert selectors._rest([{"share": 0.5}, {"share": 0.25}]) == {"count": 2, "percent": 75.0}


def test_each_group_carries_what_is_left_without_it():
    figures = _paths(2)
    assert selectors._groups_with_without(figures) == [
        {**figures["groups"][0], "without": figures["without"][0]},
        {**figures["groups"][1], "without": figures["without"][1]},
    ]
    figures["without"].pop()
    with pytest.raises(ValueError):  # two lists that disagree are a bug upstream, never a silent cut
        selectors._groups_with_without(figures)


# --- exposure_top -------------------------------------------------------------------------------


def test_no_exposure_or_one_never_computed_has_no_top():
    assert selectors.exposure_top(None) is None
    assert selectors.exposure_top(_exposure(computed_at=None, suppliers=_suppliers(3))) is None


def test_the_top_twenty_suppliers_and_groups_and_what_they_leave_out():
    assert selectors.ORGANIZATION_TOP == 20
    exposure = _exposure(suppliers=_suppliers(23), independent_paths={"compute": _paths(25), "chips": _paths(1)})
    top = selectors.exposure_top(exposure)
    assert top["suppliers"] == _suppliers(23)[:20]
    assert top["rest"] == {"count": 3, "percent": 0.1}  # (3 + 2 + 1) / 10,000 = 0.06 %
    compute = top["paths"]["compute"]
    assert set(top["paths"]) == {"compute", "chips"}
    assert (compute["count"], compute["suppliers"], compute["hhi"]) == (25, 26, 1234.5)
    assert [g["slug"] for g in compute["groups"]] == [f"g{n}" for n in range(20)]
    assert compute["groups"][19]["without"] == {"slug": "g19", "count": 24, "hhi": 19.0}
    assert compute["rest"] == {"count": 5, "percent": 1.5}  # (5 + 4 + 3 + 2 + 1) / 1,000
    assert set(compute) == {"count", "suppliers", "hhi", "groups", "rest"}
    chips = top["paths"]["chips"]
    assert chips["groups"] == [{**_paths(1)["groups"][0], "without": _paths(1)["without"][0]}]
    assert chips["rest"] == {"count": 0, "percent": 0}


def test_the_top_is_bounded_by_its_argument_and_empty_figures_are_empty_lists():
    exposure = _exposure(suppliers=_suppliers(5), independent_paths={"compute": _paths(5)})
    top = selectors.exposure_top(exposure, top=2)
    assert [s["slug"] for s in top["suppliers"]] == ["s0", "s1"]
    assert top["rest"] == {"count": 3, "percent": 0.1}
    assert [g["slug"] for g in top["paths"]["compute"]["groups"]] == ["g0", "g1"]
    assert selectors.exposure_top(_exposure(suppliers=None, independent_paths=None)) == {
        "suppliers": [],
        "rest": {"count": 0, "percent": 0},
        "paths": {},
    }


# --- organization_supply_page -------------------------------------------------------------------


def test_a_supply_page_lists_a_hundred_suppliers_with_their_share_to_a_hundredth_of_a_percent():
    assert selectors.SUPPLY_PER_PAGE == 100
    exposure = _exposure(suppliers=_suppliers(250), concentration_hhi=Decimal("812.5"), stale=True)
    first = selectors.organization_supply_page(exposure, None, 1)
    assert {key: first[key] for key in ("computed", "stale", "concentration_hhi", "paths")} == {
        "computed": True,
        "stale": True,
        "concentration_hhi": Decimal("812.5"),
        "paths": None,
    }
    assert (first["start"], first["end"], first["count"], first["number"], first["pages"]) == (0, 100, 250, 1, 3)
    assert first["rows"][0] == {"slug": "s0", "name": "S0", "deals": 1, "share": 0.025, "percent": 2.5}
    assert first["rows"][99]["slug"] == "s99"
    assert first["rows"][99]["percent"] == 1.51  # 0.0151 as a percent, to a hundredth
    last = selectors.organization_supply_page(exposure, None, 3)
    assert (last["start"], last["end"], last["number"]) == (200, 250, 3)
    assert [row["slug"] for row in last["rows"]] == [f"s{n}" for n in range(200, 250)]
    assert last["rows"][-1]["percent"] == 0.01
    odd = _exposure(suppliers=[{"slug": "s", "name": "S", "deals": 1, "share": 0.001234}])
    assert selectors.organization_supply_page(odd, None, 1)["rows"][0]["percent"] == 0.12
    assert selectors.organization_supply_page(exposure, None, 4) is None
    assert selectors.organization_supply_page(exposure, None, 0) is None
    assert selectors.organization_supply_page(exposure, None, -1) is None


def test_page_counts_round_up_and_an_empty_list_still_has_its_one_page():
    assert selectors.organization_supply_page(_exposure(suppliers=_suppliers(100)), None, 1)["pages"] == 1
    assert selectors.organization_supply_page(_exposure(suppliers=_suppliers(100)), None, 2) is None
    assert selectors.organization_supply_page(_exposure(suppliers=_suppliers(101)), None, 2)["rows"] == [
        {**_suppliers(101)[100], "percent": 0.01}
    ]
    empty = selectors.organization_supply_page(_exposure(suppliers=[]), None, 1)
    assert empty == {
        "computed": True,
        "stale": False,
        "concentration_hhi": None,
        "paths": None,
        "rows": [],
        "start": 0,
        "end": 0,
        "count": 0,
        "number": 1,
        "pages": 1,
    }
    assert selectors.organization_supply_page(_exposure(suppliers=None), None, 1)["count"] == 0


def test_a_supply_page_before_any_exposure_or_computation_is_empty_and_says_so():
    never = selectors.organization_supply_page(None, None, 1)
    assert (never["computed"], never["stale"], never["concentration_hhi"], never["rows"]) == (False, False, None, [])
    assert selectors.organization_supply_page(None, None, 2) is None
    uncomputed = _exposure(computed_at=None, stale=True, suppliers=_suppliers(3))
    pending = selectors.organization_supply_page(uncomputed, None, 1)
    assert (pending["computed"], pending["stale"], pending["rows"], pending["count"]) == (False, True, [], 0)


def test_a_resources_supply_page_lists_its_groups_with_what_is_left_without_each():
    exposure = _exposure(independent_paths={"compute": _paths(150)}, concentration_hhi=Decimal("100.0"))
    page = selectors.organization_supply_page(exposure, "compute", 2)
    assert page["paths"] == {"count": 150, "suppliers": 151, "hhi": 1234.5}
    assert (page["start"], page["end"], page["count"], page["pages"]) == (100, 150, 150, 2)
    assert page["rows"][0] == {
        **_paths(150)["groups"][100],
        "without": {"slug": "g100", "count": 149, "hhi": 100.0},
        "percent": 5.0,
    }
    assert page["concentration_hhi"] == Decimal("100.0")
    # No such resource, no exposure, or one never computed: no page.
    assert selectors.organization_supply_page(exposure, "chips", 1) is None
    assert selectors.organization_supply_page(None, "compute", 1) is None
    uncomputed = _exposure(computed_at=None, independent_paths={"compute": _paths(3)})
    assert selectors.organization_supply_page(uncomputed, "compute", 1) is None
    assert selectors.organization_supply_page(_exposure(independent_paths=None), "compute", 1) is None


# --- the cached page, the figures read on a miss, the API's read -----------------------------


@pytest.fixture
def alpha() -> Organization:
    tiny.case("first", orgs=("alpha", "beta"), published=True)
    tiny.case("secret", orgs=("gamma", "beta"))
    return Organization.objects.get(slug="alpha")


def test_the_figures_are_read_whole_in_one_query(alpha, django_assert_num_queries):
    assert selectors.organization_exposure_figures(None) is None
    saved = OrganizationExposure.objects.create(
        organization=alpha, computed_at=NOW, stale=False, suppliers=_suppliers(2), independent_paths={"c": _paths(1)}
    )
    partial = OrganizationExposure.objects.only("pk").get(pk=saved.pk)
    with django_assert_num_queries(1):
        whole = selectors.organization_exposure_figures(partial)
        assert (whole.pk, whole.suppliers, whole.independent_paths) == (saved.pk, _suppliers(2), {"c": _paths(1)})
    OrganizationExposure.objects.filter(pk=saved.pk).delete()
    assert selectors.organization_exposure_figures(partial) is None


def test_a_supply_page_is_cached_until_the_exposure_changes(alpha, django_assert_num_queries):
    cache.clear()
    exposure = OrganizationExposure.objects.create(
        organization=alpha, computed_at=NOW, stale=False, suppliers=_suppliers(120)
    )
    with django_assert_num_queries(1):  # a miss reads the figures
        first = selectors.organization_supply_page_cached(alpha, exposure, None, 2)
    assert [row["slug"] for row in first["rows"]] == [f"s{n}" for n in range(100, 120)]
    OrganizationExposure.objects.filter(pk=exposure.pk).update(suppliers=_suppliers(3))
    with django_assert_num_queries(0):  # a hit reads nothing
        assert selectors.organization_supply_page_cached(alpha, exposure, None, 2) == first
    # Each page and resource has its own entry; a recomputed exposure has new ones.
    assert selectors.organization_supply_page_cached(alpha, exposure, None, 1)["count"] == 3
    recomputed = OrganizationExposure.objects.get(pk=exposure.pk)
    recomputed.computed_at = NOW + timedelta(seconds=1)
    assert selectors.organization_supply_page_cached(alpha, recomputed, None, 2) is None
    assert selectors.organization_supply_page_cached(alpha, recomputed, "compute", 1) is None


def test_each_resource_has_its_own_cached_pages_kept_for_the_fragments_timeout(alpha, django_assert_num_queries):
    cache.clear()
    exposure = OrganizationExposure.objects.create(
        organization=alpha, computed_at=NOW, stale=False, suppliers=_suppliers(2)
    )
    assert selectors.organization_supply_page_cached(alpha, exposure, None, 1)["count"] == 2
    assert selectors.organization_supply_page_cached(alpha, exposure, "compute", 1) is None  # not the suppliers'
    OrganizationExposure.objects.filter(pk=exposure.pk).update(suppliers=_suppliers(3))
    with tiny.later(cache_keys.EXPOSURE_FRAGMENT_TIMEOUT - 100), django_assert_num_queries(0):  # past the default 300 s
        assert selectors.organization_supply_page_cached(alpha, exposure, None, 1)["count"] == 2
    with tiny.later(cache_keys.EXPOSURE_FRAGMENT_TIMEOUT + 5), django_assert_num_queries(1):
        assert selectors.organization_supply_page_cached(alpha, exposure, None, 1)["count"] == 3


def test_an_organizations_page_reads_its_figures_unless_told_not_to(alpha, django_assert_num_queries):
    OrganizationExposure.objects.create(organization=alpha, computed_at=NOW, stale=True, suppliers=_suppliers(2))
    with django_assert_num_queries(1):
        whole = selectors.organization_detail("alpha")
        assert whole.exposure.suppliers == _suppliers(2)
    assert whole.exposure.get_deferred_fields() == set()
    light = selectors.organization_detail("alpha", figures=False)
    assert light.exposure.get_deferred_fields() == set(selectors.EXPOSURE_FIGURES)
    assert (light.slug, light.exposure.stale, light.exposure.computed_at) == ("alpha", True, NOW)


def test_no_page_is_not_cached(alpha, django_assert_num_queries):
    cache.clear()
    exposure = OrganizationExposure.objects.create(organization=alpha, computed_at=NOW, stale=False)
    assert selectors.organization_supply_page_cached(alpha, exposure, "compute", 1) is None
    OrganizationExposure.objects.filter(pk=exposure.pk).update(independent_paths={"compute": _paths(2)})
    with django_assert_num_queries(1):
        assert selectors.organization_supply_page_cached(alpha, exposure, "compute", 1)["count"] == 2
    assert selectors.organization_supply_page_cached(alpha, None, None, 1)["computed"] is False


def test_the_api_reads_an_organization_without_its_supplier_groups(alpha, django_assert_num_queries):
    OrganizationExposure.objects.create(
        organization=alpha, computed_at=NOW, stale=False, suppliers=_suppliers(2), independent_paths={"c": _paths(1)}
    )
    with django_assert_num_queries(1):
        found = selectors.organization_api_detail("alpha")
        assert (found.slug, found.exposure.suppliers) == ("alpha", _suppliers(2))
    assert found.exposure.get_deferred_fields() == {"independent_paths"}
    # An organization only in unpublished deals is the newsroom's alone.
    with pytest.raises(Organization.DoesNotExist):
        selectors.organization_api_detail("gamma")
    assert selectors.organization_api_detail("gamma", include_unpublished=True).slug == "gamma"
    with pytest.raises(Organization.DoesNotExist):
        selectors.organization_api_detail("nobody", include_unpublished=True)
