"""Reads for the web of dependencies: the graph, drift, deals side by side, similar deals.

Only published cases and published relationships, by every path. Each read
runs a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from cases import cache_keys, graph
from cases.models import (
    Case,
    DealType,
    Organization,
    OrganizationAlias,
    OrganizationRedirect,
    OrganizationRelationship,
    Party,
    normalize_organization_name,
)
from evaluations import drift, paths, side_by_side
from evaluations.models import EvaluationVersion, OrganizationExposure, PartyFigure, RiskSummary, Score

# --- Relationships and names --------------------------------------------------------------------


def relationships_public() -> QuerySet[OrganizationRelationship]:
    return OrganizationRelationship.objects.filter(is_published=True).select_related("subject", "parent")


def relationships_in_force(as_of: date | None = None) -> Q:
    as_of = as_of or timezone.localdate()
    return Q(started_on__lte=as_of) & (Q(ended_on__isnull=True) | Q(ended_on__gt=as_of))


def organization_relationships_public(organization: Organization) -> list[OrganizationRelationship]:
    """The organization's published relationships, both directions, oldest first (one query)."""
    return list(
        relationships_public().filter(Q(subject=organization) | Q(parent=organization)).order_by("started_on", "id")
    )


def control_groups_public(as_of: date | None = None) -> dict[int, paths.Member]:
    """Each organization in a published relationship in force, mapped to its control group (one query)."""
    rows = list(
        relationships_public()
        .filter(relationships_in_force(as_of))
        .values_list("subject_id", "subject__slug", "subject__name", "parent_id", "parent__slug", "parent__name")
    )
    members = {}
    for subject_id, subject_slug, subject_name, parent_id, parent_slug, parent_name in rows:
        members[subject_id] = paths.Member(subject_id, subject_slug, subject_name)
        members[parent_id] = paths.Member(parent_id, parent_slug, parent_name)
    return paths.control_groups([(row[0], row[3]) for row in rows], members)


def organizations_matching(names: Iterable[str]) -> dict[str, Organization | None]:
    """For the desk (and the press-release worksheet): each name to the organization it names.

    A name matches an organization's own name or one of its aliases, compared
    after ``normalize_organization_name`` (case, punctuation and spacing do
    not matter: "amazon web services" and "Amazon Web Services, " match the
    alias "Amazon Web Services"). Unknown names map to None. Two queries for
    any number of names; the newsroom's view: organizations of drafts match too.
    """
    names = list(names)
    wanted = {normalize_organization_name(name) for name in names} - {""}
    found: dict[str, Organization] = {}
    aliases = OrganizationAlias.objects.filter(normalized__in=wanted).select_related("organization")
    for alias in aliases:
        found[alias.normalized] = alias.organization
    # Own names win over aliases. Candidates share the first word; compare them normalized here.
    prefixes = Q(pk__in=[])
    for normalized in wanted:
        prefixes |= Q(name__istartswith=normalized.split()[0])
    candidates = Organization.objects.filter(prefixes) if wanted else Organization.objects.none()
    for organization in candidates:
        key = normalize_organization_name(organization.name)
        if key in wanted:
            found[key] = organization
    return {name: found.get(normalize_organization_name(name)) for name in names}


def organization_aliases() -> dict[str, tuple[str, ...]]:
    """Every organization's other names, by its slug (one query): for the worksheet's matching."""
    aliases: dict[str, tuple[str, ...]] = {}
    for slug, name in OrganizationAlias.objects.order_by("name").values_list("organization__slug", "name"):
        aliases[slug] = (*aliases.get(slug, ()), name)
    return aliases


@dataclass(frozen=True)
class MergePreview:
    """What ``relationships.organization_merge`` would move from ``source`` to ``target``, read before it runs."""

    source: Organization
    target: Organization
    cases: int
    published_cases: int
    parties: int
    figures: int
    relationships: int
    aliases: int
    redirects: int
    exposure: bool
    shared: list[str]  # cases naming both: the merge is refused until one party goes


def organization_merge_preview(source: Organization, target: Organization) -> MergePreview:
    """The desk's preview of a merge (the newsroom's view: drafts count too); a fixed number of queries."""
    parties = Party.objects.filter(organization=source)
    counts = parties.aggregate(
        parties=Count("pk"),
        cases=Count("case", distinct=True),
        published=Count("case", distinct=True, filter=Q(case__status=Case.Status.PUBLISHED)),
    )
    shared = list(
        Case.objects.filter(pk__in=parties.values("case_id"))
        .filter(pk__in=Party.objects.filter(organization=target).values("case_id"))
        .order_by("title")
        .values_list("title", flat=True)[:5]
    )
    return MergePreview(
        source=source,
        target=target,
        cases=counts["cases"],
        published_cases=counts["published"],
        parties=counts["parties"],
        figures=PartyFigure.objects.filter(organization=source).count(),
        relationships=OrganizationRelationship.objects.filter(Q(subject=source) | Q(parent=source)).count(),
        aliases=OrganizationAlias.objects.filter(organization=source).count(),
        redirects=OrganizationRedirect.objects.filter(organization=source).count(),
        exposure=OrganizationExposure.objects.filter(organization=source).exists(),
        shared=shared,
    )


def organization_redirect_target(slug: str) -> Organization | None:
    redirect = OrganizationRedirect.objects.select_related("organization").filter(old_slug=slug).first()
    return redirect.organization if redirect else None


CLASSIFICATIONS = ("durable_leverage", "temporary_workaround", "dependency_risk", "mixed", "unclassified")
GRAPH_CACHE_TIMEOUT = 24 * 3600


@dataclass(frozen=True)
class GraphFilters:
    year_from: int | None = None
    year_to: int | None = None
    deal_type: str = ""
    classification: str = ""
    collapse: bool = False

    def key(self) -> str:
        return f"{self.year_from}:{self.year_to}:{self.deal_type}:{self.classification}:{int(self.collapse)}"


def graph_filters_parse(params) -> tuple[GraphFilters, dict[str, str]]:
    """The URL's filters, each checked; a bad one is dropped and reported (the page answers 400)."""
    errors: dict[str, str] = {}
    years: dict[str, int | None] = {}
    for name in ("from", "to"):
        raw = (params.get(name) or "").strip()
        years[name] = None
        if raw:
            if raw.isdigit() and 1900 <= int(raw) <= 2100:
                years[name] = int(raw)
            else:
                errors[name] = "Give a year between 1900 and 2100."
    deal_type = (params.get("type") or "").strip()
    if deal_type and not DealType.objects.filter(slug=deal_type).exists():
        errors["type"] = "No such deal type."
        deal_type = ""
    classification = (params.get("classification") or "").strip()
    if classification and classification not in CLASSIFICATIONS:
        errors["classification"] = "No such classification."
        classification = ""
    collapse = (params.get("collapse") or "") in ("1", "on", "true")
    return GraphFilters(years["from"], years["to"], deal_type, classification, collapse), errors


def graph_stamp() -> str:
    """Changes whenever a published deal, its summary or any relationship changes (one query, by index).

    Published cases are never deleted nor unpublished (they stay on the record), so the latest
    change and the latest first publication among them, the latest summary computed and the
    relationships' count and latest change cover every change the graph can show; each ``max``
    reads one index entry, so the stamp costs the same at any archive size.
    """
    case, summary, link = Case._meta.db_table, RiskSummary._meta.db_table, OrganizationRelationship._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(updated_at) FROM {case} WHERE status = %s),"  # noqa: S608 - table names only
            f" (SELECT MAX(first_published_at) FROM {case} WHERE status = %s),"
            f" (SELECT MAX(computed_at) FROM {summary}),"
            f" (SELECT COUNT(*) FROM {link}), (SELECT MAX(updated_at) FROM {link})",
            [Case.Status.PUBLISHED, Case.Status.PUBLISHED],
        )
        row = cursor.fetchone()
    return hashlib.sha256(":".join(str(part) for part in row).encode()).hexdigest()[:20]


def _graph_cases(filters: GraphFilters) -> QuerySet[Case]:
    cases = Case.objects.published()
    if filters.year_from:
        cases = cases.filter(announced_on__gte=date(filters.year_from, 1, 1))
    if filters.year_to:
        cases = cases.filter(announced_on__lte=date(filters.year_to, 12, 31))
    if filters.deal_type:
        cases = cases.filter(
            pk__in=Case.deal_types.through.objects.filter(dealtype__slug=filters.deal_type).values("case_id")
        )
    if filters.classification:
        if filters.classification == "unclassified":
            cases = cases.filter(Q(risk_summary__isnull=True) | Q(risk_summary__classification=""))
        else:
            cases = cases.filter(risk_summary__classification=filters.classification)
    return cases


def _graph_weights(parties: QuerySet[Party], top: dict[int, int]) -> dict[int, graph.Weight]:
    """Each organization's (or, collapsed, each group's) weight: its deals, then their value; one query.

    Aggregated in the database (one row per organization, whatever the number of deals)."""
    weights: dict[int, graph.Weight] = {}
    rows = (
        parties.order_by()
        .values("organization_id")
        # Not distinct: one party row per role, and an organization rarely holds two roles in one deal
        # (counted twice then, for the ranking only); a plain count is a hash aggregate, several times faster.
        .annotate(n=Count("case_id"), v=Sum("case__value_low_usd"))
        .values_list("organization_id", "n", "v")
    )
    for org_id, n, value in rows:
        node = top.get(org_id, org_id)
        deals, total = weights.get(node, (0, 0))
        weights[node] = (deals + n, total + int(value or 0))
    return weights


def _graph_build(filters: GraphFilters, focus: int | None) -> graph.Graph:
    """The bounded graph (see ``cases.graph``): choose the nodes by weight in SQL, then aggregate only
    the deals between them. A fixed number of queries; the Python work is bounded by those deals."""
    cases = _graph_cases(filters)
    groups: dict[int, graph.Org] = {}
    if filters.collapse:
        public_ids = set(
            Party.objects.filter(case__status=Case.Status.PUBLISHED)
            .values_list("organization_id", flat=True)
            .distinct()
        )
        groups = {
            org_id: graph.Org(m.organization_id, m.slug, m.name, m.organization_id in public_ids)
            for org_id, m in control_groups_public().items()
        }
    top = {org_id: org.id for org_id, org in groups.items()}
    steps = None
    if focus is None:
        weights = _graph_weights(Party.objects.filter(case__in=cases), top)
        keep = set(graph.heaviest(weights, graph.MAX_NODES))
        total = len(weights)
    else:
        centre = top.get(focus, focus)
        own = {focus} | {org_id for org_id, node in top.items() if node == centre}
        focus_cases = cases.filter(pk__in=Party.objects.filter(organization_id__in=own).values("case_id"))
        near = Party.objects.filter(case__in=focus_cases).exclude(organization_id__in=own)
        one = _graph_weights(near, top)
        one.pop(centre, None)
        far_cases = cases.filter(
            pk__in=Party.objects.filter(organization_id__in=near.values("organization_id")).values("case_id")
        )
        two = _graph_weights(
            Party.objects.filter(case__in=far_cases)
            .exclude(organization_id__in=own)
            .exclude(organization_id__in=near.values("organization_id")),
            top,
        )
        for node in [centre, *one]:
            two.pop(node, None)
        step1, step2 = graph.heaviest(one, graph.FOCUS_STEP1), graph.heaviest(two, graph.FOCUS_STEP2)
        keep = {centre, *step1, *step2}
        total = 1 + len(one) + len(two)
        steps = ((len(step1), len(one)), (len(step2), len(two)))
    members = keep | {org_id for org_id, node in top.items() if node in keep}
    # The deals between two of the organizations kept: the only ones that can draw a link.
    between = (
        Party.objects.filter(case__in=cases, organization_id__in=members)
        .order_by()
        .values("case_id")
        .annotate(k=Count("organization_id", distinct=True))
        .filter(k__gte=2)
        .values("case_id")
    )
    rows: dict[int, tuple] = {}
    parties: dict[int, list[tuple[int, str]]] = {}
    org_ids: set[int] = set()
    party_rows = (
        Party.objects.filter(case_id__in=between)
        .order_by("-case__announced_on", "-case_id")
        .values_list(
            "case_id",
            "organization_id",
            "role",
            "case__slug",
            "case__announced_on__year",
            "case__value_low_usd",
            "case__risk_summary__classification",
        )
    )
    for case_id, org_id, role, slug, year, value, classification in party_rows:
        if case_id not in rows:
            rows[case_id] = (slug, year, value, classification)
        parties.setdefault(case_id, []).append((org_id, role))
        org_ids.add(org_id)
    types: dict[int, list[str]] = {}
    for case_id, slug in Case.deal_types.through.objects.filter(case_id__in=between).values_list(
        "case_id", "dealtype__slug"
    ):
        types.setdefault(case_id, []).append(slug)
    deals = [
        graph.DealRow(
            pk, slug, "", year, tuple(sorted(types.get(pk, ()))), classification or "", value, tuple(parties[pk])
        )
        for pk, (slug, year, value, classification) in rows.items()
    ]
    organizations = {
        pk: graph.Org(pk, slug, name)
        # A collapsed family's top comes from ``groups`` (its page flag says whether it has one).
        for pk, slug, name in Organization.objects.filter(pk__in=org_ids | (keep - set(top.values()))).values_list(
            "pk", "slug", "name"
        )
    }
    built = graph.build(deals, organizations, groups=groups, keep=keep, total_nodes=total, focus=focus)
    built.steps = steps
    return built


def graph_read(filters: GraphFilters, *, focus: Organization | None = None) -> graph.Graph:
    """The (filtered) web or one organization's two-step neighbourhood, bounded, cached until the stamp moves."""
    key = f"graph:v5:{graph_stamp()}:{graph.bounds_key()}:{filters.key()}:{focus.pk if focus else '-'}"
    built = cache.get(key)
    if built is None:
        built = _graph_build(filters, focus.pk if focus else None)
        built.key = key
        cache.set(key, built, GRAPH_CACHE_TIMEOUT)
    return built


def deal_type_choices() -> list[tuple[str, str]]:
    return list(DealType.objects.values_list("slug", "name"))


# --- Drift --------------------------------------------------------------------


def organization_drift(organization: Organization) -> dict:
    """Its role families per year across its published deals (one query)."""
    rows = Party.objects.filter(organization=organization, case__status=Case.Status.PUBLISHED).values_list(
        "case_id", "case__announced_on__year", "role"
    )
    return drift.compute(organization.name, list(rows), drift.rules())


def organization_drift_cached(organization: Organization, exposure) -> dict:
    """``organization_drift``, cached until the organization's exposure is recomputed (its deals
    and roles change only then): for the busiest organization it reads thousands of parties."""
    key = cache_keys.drift(organization, exposure)
    result = cache.get(key)
    if result is None:
        result = organization_drift(organization)
        cache.set(key, result, cache_keys.COUNTERPARTIES_TIMEOUT)
    return result


# --- Deals side by side ---------------------------------------------------------


class CompareError(ValueError):
    pass


def compare_slugs_parse(raw: str | list[str]) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    slugs: list[str] = []
    for item in items:
        for slug in item.split(","):
            slug = slug.strip()
            if slug and slug not in slugs:
                slugs.append(slug)
    low, high = side_by_side.MIN_CASES, side_by_side.MAX_CASES
    if not low <= len(slugs) <= high:
        if not slugs:
            raise CompareError(f"Pick between {low} and {high} cases to compare.")
        plural = "" if len(slugs) == 1 else "s"
        raise CompareError(f"You picked {len(slugs)} case{plural}: pick between {low} and {high} to compare.")
    return slugs


def compare_sheets(slugs: list[str]) -> list[side_by_side.Sheet]:
    """The published cases' sheets, in the order asked; a slug that is not a published case raises CompareError."""
    published = (
        EvaluationVersion.objects.filter(state=EvaluationVersion.State.PUBLISHED)
        .select_related("evaluation__rubric_version__rubric")
        .prefetch_related(
            Prefetch("scores", queryset=Score.objects.select_related("criterion", "party__organization")),
            Prefetch("evaluation__rubric_version__criteria"),
        )
    )
    cases = {
        case.slug: case
        for case in Case.objects.published()
        .filter(slug__in=slugs)
        .select_related("risk_summary")
        .prefetch_related(
            "deal_types",
            Prefetch("parties", queryset=Party.objects.select_related("organization")),
            Prefetch("evaluation_versions", queryset=published, to_attr="published_versions"),
            Prefetch("risk_summary__party_figures", queryset=PartyFigure.objects.select_related("organization")),
        )
    }
    missing = [slug for slug in slugs if slug not in cases]
    if missing:
        raise CompareError(f"No published case: {', '.join(missing)}.")
    sheets = []
    for slug in slugs:
        case = cases[slug]
        version = case.published_versions[0] if case.published_versions else None
        summary = getattr(case, "risk_summary", None)
        rubric_version = version.evaluation.rubric_version if version else None
        sheets.append(
            side_by_side.Sheet(
                slug=case.slug,
                title=case.title,
                rubric_label=f"{rubric_version.rubric.name} v{rubric_version.number}" if rubric_version else "",
                criteria=[(c.key, c.question) for c in rubric_version.criteria.all()] if rubric_version else [],
                scores=[
                    side_by_side.ScoreRow(
                        s.criterion.key, s.party.organization.name if s.party_id else "", s.value, s.rationale
                    )
                    for s in (version.scores.all() if version else [])
                ],
                parties=[(p.organization.name, p.organization.slug, p.role) for p in case.parties.all()],
                facts={
                    "announced_on": case.announced_on.isoformat(),
                    "deal_types": sorted(t.name for t in case.deal_types.all()),
                    "value_low_usd": case.value_low_usd,
                    "value_high_usd": case.value_high_usd,
                    "capacity_mw": float(case.capacity_mw) if case.capacity_mw is not None else None,
                    "capacity_chips": case.capacity_chips,
                },
                figures=[
                    {
                        "organization": f.organization.name,
                        "leverage": _float(f.leverage),
                        "workaround": _float(f.workaround),
                        "dependency": _float(f.dependency),
                        "classification": f.classification,
                    }
                    for f in (summary.party_figures.all() if summary else [])
                ],
                verdict=version.verdict if version else "",
                classification=summary.classification if summary else "",
                risk_index=_float(summary.risk_index) if summary else None,
            )
        )
    return sheets


def _float(value) -> float | None:
    return float(value) if value is not None else None


# --- Similar deals ---------------------------------------------------------------

SIMILAR_CANDIDATES = 300
# What a recompute changes (the candidates' figures) reaches the list within this time; a publication,
# an edit or a rename starts a new generation of the published set, and a new list, at once.
SIMILAR_CACHE_TIMEOUT = 600


def similar_deals(case: Case, generation: str | None) -> list[tuple[side_by_side.Profile, float, str]]:
    """The closest published cases (deal type, parties, families, score profile), cached per
    generation of the published set (``selectors.published_generation``: a cache read, where the
    graph's stamp aggregates every published case, 100 ms at 100,000 cases) and the case's own rows."""
    freshness = cache_keys.computed_stamp(*_summary_freshness(case))
    key = f"similar:v2:{case.pk}:{generation or '-'}:{cache_keys.stamp(case.updated_at)}:{freshness}"
    found = cache.get(key)
    if found is None:
        found = _similar_deals(case)
        cache.set(key, found, SIMILAR_CACHE_TIMEOUT)
    return found


def _summary_freshness(case: Case) -> tuple:
    summary = getattr(case, "risk_summary", None)
    return (summary.computed_at, summary.stale) if summary else (None, None)


def _similar_deals(case: Case) -> list[tuple[side_by_side.Profile, float, str]]:
    own_types = list(case.deal_types.values_list("pk", flat=True))
    own_orgs = list(Party.objects.filter(case=case).values_list("organization_id", flat=True))
    groups = control_groups_public()
    group_tops = {groups[o].organization_id for o in own_orgs if o in groups}
    family = [o for o, g in groups.items() if g.organization_id in group_tops]
    # The most recent of the cases that share something, bounded, so that 100,000 cases cost the same.
    candidate_ids = list(
        Case.objects.published()
        .filter(Q(deal_types__in=own_types) | Q(parties__organization_id__in=own_orgs + family) | Q(pk=case.pk))
        .order_by("-announced_on", "-id")
        .values_list("pk", flat=True)
        .distinct()[:SIMILAR_CANDIDATES]
    )
    if case.pk not in candidate_ids:
        candidate_ids.append(case.pk)
    titles, slugs = {}, {}
    for pk, slug, title in Case.objects.filter(pk__in=candidate_ids).values_list("pk", "slug", "title"):
        titles[pk], slugs[pk] = title, slug
    types: dict[int, set[str]] = {}
    type_names: dict[str, str] = {}
    for case_id, slug, name in Case.deal_types.through.objects.filter(case_id__in=candidate_ids).values_list(
        "case_id", "dealtype__slug", "dealtype__name"
    ):
        types.setdefault(case_id, set()).add(slug)
        type_names[slug] = name
    parties: dict[int, dict[int, str]] = {}
    for case_id, org_id, name in Party.objects.filter(case_id__in=candidate_ids).values_list(
        "case_id", "organization_id", "organization__name"
    ):
        parties.setdefault(case_id, {})[org_id] = name
    sums: dict[int, list[list[float | None]]] = {}
    for case_id, lev, work, dep in PartyFigure.objects.filter(summary__case_id__in=candidate_ids).values_list(
        "summary__case_id", "leverage", "workaround", "dependency"
    ):
        sums.setdefault(case_id, []).append([_float(lev), _float(work), _float(dep)])

    def figures(case_id: int) -> tuple:
        rows = sums.get(case_id, [])
        out: list[float | None] = []
        for i in range(3):
            values = [value for r in rows if (value := r[i]) is not None]
            out.append(sum(values) / len(values) if values else None)
        return tuple(out)

    def profile(case_id: int) -> side_by_side.Profile:
        orgs = parties.get(case_id, {})
        return side_by_side.Profile(
            slug=slugs[case_id],
            title=titles[case_id],
            deal_types=frozenset(types.get(case_id, set())),
            deal_type_names=type_names,
            parties=orgs,
            groups={groups[o].organization_id: groups[o].name for o in orgs if o in groups},
            figures=figures(case_id),
        )

    target = profile(case.pk)
    return side_by_side.most_similar(target, [profile(i) for i in candidate_ids if i != case.pk])


def drift_rows(result: dict) -> list[tuple[int, int, list[int | None]]]:
    """The drift table: (year, deals, percentage per family or None)."""
    return [
        (
            year["year"],
            year["deals"],
            [round(year["shares"][f] * 100) if f in year["shares"] else None for f in result["families"]],
        )
        for year in result["years"]
    ]
