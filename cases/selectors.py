"""Reads for the case library, with what each page needs prefetched."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, DecimalField, Exists, F, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Lower
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from cases import cache_keys, keyset, search, search_index, web_selectors
from cases.models import Case, DealType, Organization, Party, Source, Tag
from evaluations import changelog, scoring
from evaluations.models import (
    Criterion,
    EvaluationVersion,
    OrganizationExposure,
    PartyFigure,
    RiskSummary,
    RubricVersion,
    Score,
)
from evaluations.selectors import criteria_prefetch, rubric_spec, rubric_vocabulary, versions_with_content

# --- Archive -----------------------------------------------------------------

SORTS: dict[str, keyset.Sort] = {
    sort.key: sort
    for sort in (
        keyset.Sort("newest", "Newest first", F("announced_on"), True, keyset.parse_date),
        keyset.Sort("oldest", "Oldest first", F("announced_on"), False, keyset.parse_date),
        keyset.Sort(
            "risk",
            "Highest risk first",
            Coalesce("risk_summary__risk_index", Value(-1), output_field=DecimalField(max_digits=4, decimal_places=1)),
            True,
            keyset.parse_decimal,
        ),
        # Plain title (not lower-cased) so the (status, title, id) index serves the sort.
        keyset.Sort("title", "Title A to Z", F("title"), False, str),
    )
}
RELEVANCE = keyset.Sort("relevance", "Best match", F("search_rank"), True, keyset.parse_float)


def _published_version_prefetch() -> Prefetch:
    """The verdict of each case's published version, in one query for the whole page."""
    return Prefetch(
        "evaluation_versions",
        queryset=EvaluationVersion.objects.filter(state=EvaluationVersion.State.PUBLISHED).only(
            "id", "case_id", "verdict", "number", "published_at"
        ),
        to_attr="published_versions",
    )


def archive_row_prefetches() -> list:
    """What an archive row shows beyond the case and its summary (a query each, for a whole page)."""
    return [
        Prefetch("parties", queryset=Party.objects.select_related("organization").order_by("position", "id")),
        "deal_types",
        _published_version_prefetch(),
    ]


def case_list_published() -> QuerySet[Case]:
    """Published cases with what an archive row shows; a fixed number of queries.

    Each case carries its published version's id (``published_version_id``, read in the page's
    own query) for its row's cache key (``cache_keys.archive_row``): the row shows that
    version's verdict.
    """
    published = EvaluationVersion.objects.filter(case_id=OuterRef("pk"), state=EvaluationVersion.State.PUBLISHED)
    return _case_rows(Case.objects.published()).annotate(published_version_id=Subquery(published.values("pk")[:1]))


def case_list_api_prefetches() -> list[Prefetch]:
    """What an API list item shows beyond the case and its summary, with only the columns it prints
    (building full model instances cost more than the queries): a query each, for a whole page."""
    return [
        Prefetch(
            "parties",
            queryset=Party.objects.select_related("organization")
            .only("id", "case_id", "role", "note", "organization__slug", "organization__name")
            .order_by("position", "id"),
        ),
        Prefetch("deal_types", queryset=DealType.objects.only("id", "slug")),
        Prefetch("tags", queryset=Tag.objects.only("id", "name")),
    ]


def case_list_api() -> QuerySet[Case]:
    """Published cases with what the API's list shows (not the archive row's verdict)."""
    return Case.objects.published().select_related("risk_summary").prefetch_related(*case_list_api_prefetches())


def _case_rows(cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases.select_related("risk_summary").prefetch_related(*archive_row_prefetches())


def case_archive_page(
    queryset: QuerySet[Case], *, sort: str, cursor: str | None, per_page: int = 20, query: str = ""
) -> tuple[keyset.Page, dict[int, SafeString]]:
    """A keyset page of archive rows and, when searching, each row's highlighted passage.

    Raises ``keyset.BadCursor`` for a cursor that is not ours.
    """
    query = query.replace("\x00", "").strip()  # PostgreSQL refuses NUL in a text value
    chosen = RELEVANCE if query and sort == "relevance" else SORTS.get(sort, SORTS["newest"])
    if chosen is RELEVANCE:
        queryset = search.search_rank_window(queryset, query)
    page = keyset.paginate(queryset, chosen, cursor, per_page)
    headlines = search.search_headlines([case.pk for case in page], query) if query else {}
    return page, headlines


# How far the archive counts its matches: past this it says "more than" (a count of every
# match of a common word reads them all, at 100,000 cases hundreds of milliseconds).
COUNT_CAP = 1000


def case_count_capped(queryset: QuerySet[Case]) -> int:
    """How many rows ``queryset`` has, counted up to COUNT_CAP + 1 at most (more than COUNT_CAP: "COUNT_CAP+")."""
    return queryset.order_by().values("pk")[: COUNT_CAP + 1].count()


def case_count_published() -> int:
    """How many cases are published, exactly: counted once per generation of the published set.

    Counting 100,000 rows costs tens of milliseconds, and the number changes only
    when a case is first published (or deleted). Those services start a new
    generation after they commit (``archive_choices_forget``); the generation is
    read BEFORE counting, so a count that raced a publication is stored under the
    generation it has left behind and never shown.
    """
    generation = published_generation()
    key = cache_keys.published_count(generation) if generation else None
    count = cache.get(key) if key else None
    if count is None:
        count = Case.objects.published().count()
        if key:
            cache.set(key, count, cache_keys.PUBLISHED_COUNT_TIMEOUT)
    return count


def published_generation() -> str | None:
    """The current generation of the published set: a token that changes after every commit that
    publishes, edits or deletes a case or renames an organization (``archive_choices_forget``).
    None when the cache is unreachable (nothing can be cached against it then)."""
    generation = cache.get(cache_keys.PUBLISHED_GENERATION)
    if generation is None:
        cache.add(cache_keys.PUBLISHED_GENERATION, uuid.uuid4().hex, None)  # add: keep a concurrent one
        generation = cache.get(cache_keys.PUBLISHED_GENERATION)
    return generation


def archive_choices() -> dict:
    """What the archive's filter form offers, cached (three queries when it is not).

    At 100,000 cases there are thousands of organizations: the lists are read
    with one EXISTS probe per organization or tag (not a DISTINCT over every
    party), and their ``<option>``s are rendered once, here, not per request
    (see the ``selected`` filter).
    """
    choices = cache.get(cache_keys.ARCHIVE_CHOICES)
    if choices is None:
        choices = _archive_choices_read()
        cache.set(cache_keys.ARCHIVE_CHOICES, choices, cache_keys.ARCHIVE_CHOICES_TIMEOUT)
    return choices


def archive_vocabulary() -> dict:
    """The rubric's part of the choices (risk bands, classifications, rubric versions), cached apart:
    the filters read it to validate and render their fields, several times a request, and the whole
    choices weigh hundreds of kilobytes at 100,000 cases (thousands of organizations)."""
    vocabulary = cache.get(cache_keys.ARCHIVE_VOCABULARY)
    if vocabulary is None:
        vocabulary = _archive_vocabulary_read()
        cache.set(cache_keys.ARCHIVE_VOCABULARY, vocabulary, cache_keys.ARCHIVE_CHOICES_TIMEOUT)
    return vocabulary


def archive_choices_forget() -> None:
    """Drop the cached choices once the caller's transaction commits (a case or organization changed),
    and the published total with them (every service that publishes or deletes a case calls this)."""
    transaction.on_commit(lambda: cache.delete_many([cache_keys.ARCHIVE_CHOICES, cache_keys.ARCHIVE_VOCABULARY]))
    # A new generation of the published set: the cached total (and what else is keyed on it) is left behind.
    transaction.on_commit(lambda: cache.set(cache_keys.PUBLISHED_GENERATION, uuid.uuid4().hex, None))


def _options(pairs: Iterable[tuple[object, object]]) -> SafeString:
    return mark_safe("".join(f'<option value="{escape(value)}">{escape(name)}</option>' for value, name in pairs))  # noqa: S308


def _archive_choices_read() -> dict:
    published = Party.objects.filter(organization=OuterRef("pk"), case__status=Case.Status.PUBLISHED)
    organizations = list(Organization.objects.filter(Exists(published)).order_by("name").values_list("slug", "name"))
    tagged = Case.tags.through.objects.filter(tag=OuterRef("pk"), case__status=Case.Status.PUBLISHED)
    tags = list(Tag.objects.filter(Exists(tagged)).order_by("name").values_list("slug", "name"))
    deal_types = list(DealType.objects.values_list("slug", "name"))
    return {
        **archive_vocabulary(),
        "organizations": organizations,
        "organization_options": _options(organizations),
        "tags": tags,
        "tag_options": _options(tags),
        # Every deal type, as the filter offers them (its widget, rendered per request, read them each time).
        "deal_types": deal_types,
        "deal_type_options": _options(deal_types),
    }


def _archive_vocabulary_read() -> dict:
    public_versions = list(
        RubricVersion.objects.exclude(status=RubricVersion.Status.DRAFT)
        .order_by("number", "pk")
        .values_list("number", "status", "classification")
    )
    rubric_versions = sorted({number for number, _, _ in public_versions})
    vocabulary = rubric_vocabulary(
        [classification for _, status, classification in public_versions if status == RubricVersion.Status.ACTIVE]
    )
    return {
        **vocabulary,
        "classification_options": _options(vocabulary["classifications"]),
        "risk_band_options": _options(vocabulary["risk_bands"]),
        "rubric_versions": rubric_versions,
        "rubric_version_options": _options((number, f"v{number}") for number in rubric_versions),
    }


def case_search(queryset: QuerySet[Case], query: str) -> QuerySet[Case]:
    """Cases in ``queryset`` matching ``query`` over published content only.

    Title, summary, the published analysis and the sources, through each
    case's search document, and, when the whole query names an organization
    (its name or an alias), that organization's deals; rows carry
    ``search_rank`` (higher is better).
    """
    # No stored text holds a NUL (forms refuse it), and PostgreSQL refuses one in a query.
    query = query.replace("\x00", "").strip()
    if not query:
        return queryset
    # A query that is an organization's name or one of its aliases ("AWS") also finds its deals
    # (only the published ones: ``queryset`` holds nothing else).
    named = web_selectors.organizations_matching([query])[query]
    also = Party.objects.filter(organization=named).values("case_id") if named is not None else None
    return search.search_filter(queryset, query, also=also)


def case_search_suggestion(query: str) -> str | None:
    """A respelling of ``query`` from the indexed vocabulary that finds published cases, or None."""
    query = query.replace("\x00", "").strip()
    if not query:
        return None
    return search_index.suggest(query, lambda text: case_search(Case.objects.published(), text).exists())


# --- Case page ---------------------------------------------------------------


def case_detail(slug: str, *, include_drafts: bool = False) -> Case:
    """A published case (or any, for the newsroom) with everything its page shows, or Case.DoesNotExist."""
    return (
        _case_rows(Case.objects.all() if include_drafts else Case.objects.published())
        .select_related("risk_summary__rubric_version__rubric", "risk_summary__evaluation_version")
        .prefetch_related(
            "tags",
            "timeline",
            Prefetch("sources", queryset=Source.objects.order_by("position", "id")),
            Prefetch(
                "risk_summary__party_figures",
                queryset=PartyFigure.objects.select_related("organization").order_by("party__position", "id"),
            ),
        )
        .get(slug=slug)
    )


def case_page_etag(slug: str) -> str | None:
    """A validator for a published case's page, in ONE query; None if there is no such case.

    The page changes when the case is edited (``updated_at``; the services that
    change its parties, sources or timeline touch it), when a new version is
    published (the published version's id: published versions never change),
    when its summary is recomputed or marked stale, or when a party's
    organization is renamed.
    """
    organizations = (
        Party.objects.filter(case_id=OuterRef("pk"))
        .order_by()
        .values("case_id")
        .annotate(latest=Max("organization__updated_at"))
        .values("latest")
    )
    version = EvaluationVersion.objects.filter(case_id=OuterRef("pk"), state=EvaluationVersion.State.PUBLISHED)
    row = (
        Case.objects.published()
        .filter(slug=slug)
        .annotate(version_id=Subquery(version.values("pk")[:1]), organizations_at=Subquery(organizations))
        .values_list(
            "pk", "updated_at", "version_id", "risk_summary__computed_at", "risk_summary__stale", "organizations_at"
        )
        .first()
    )
    return cache_keys.case_page_etag(*row) if row else None


def api_case_etag(slug: str) -> str | None:
    """The API case detail's validator for readers, in one query: what the case page's depends on."""
    validator = case_page_etag(slug)
    return f'"api-{validator}"' if validator else None


def api_organization_etag(slug: str) -> str | None:
    """The API organization detail's validator for readers, in one query; None if readers may not see it.

    Its representation is the organization's own fields (``updated_at``) and its exposure,
    which changes only by a recompute or a staleness mark (``computed_at``, ``stale``).
    """
    row = (
        organizations_visible()
        .filter(slug=slug)
        .values_list("pk", "updated_at", "exposure__computed_at", "exposure__stale")
        .first()
    )
    if row is None:
        return None
    pk, updated_at, computed_at, stale = row
    return f'"org{pk}-{cache_keys.stamp(updated_at)}-x{cache_keys.computed_stamp(computed_at, stale)}"'


def case_page_etag_of(case: Case, version: EvaluationVersion | None) -> str:
    """The same validator as ``case_page_etag``, from a case page's loaded rows (no query)."""
    summary = getattr(case, "risk_summary", None)
    return cache_keys.case_page_etag(
        case.pk,
        case.updated_at,
        version.pk if version else None,
        summary.computed_at if summary else None,
        summary.stale if summary else None,
        cache_keys.latest(party.organization.updated_at for party in case.parties.all()),
    )


def evaluation_version_for_reader(case: Case) -> EvaluationVersion | None:
    """The published version of a case with its scores and annotations."""
    return versions_with_content().filter(case=case, state=EvaluationVersion.State.PUBLISHED).first()


def evaluation_version_public(case: Case, number: int) -> EvaluationVersion:
    """A published or superseded version by number, or EvaluationVersion.DoesNotExist."""
    return versions_with_content(EvaluationVersion.objects.public()).get(case=case, number=number)


def evaluation_versions_public(case: Case) -> list[EvaluationVersion]:
    """The case's history as readers see it: published and superseded versions, newest first."""
    return list(
        EvaluationVersion.objects.public()
        .filter(case=case)
        .select_related("evaluation__rubric_version__rubric")
        .only(
            "id",
            "number",
            "state",
            "verdict",
            "change_note",
            "correction_note",
            "published_at",
            "case_id",
            "facts",
            "evaluation__rubric_version__number",
            "evaluation__rubric_version__rubric__slug",
            "evaluation__rubric_version__rubric__name",
        )
        .order_by("-number")
    )


def case_published_or_404_slug(slug: str) -> Case:
    """A published case with nothing prefetched (history, version, compare pages)."""
    return Case.objects.published().select_related("risk_summary").get(slug=slug)


# --- Organizations -----------------------------------------------------------


ORGANIZATION_SORT = keyset.Sort("name", "Name", Lower("name"), False, str)


def organization_list_published() -> QuerySet[Organization]:
    """Organizations in at least one published case, with how many."""
    return Organization.objects.annotate(
        deals=Count("parties", filter=Q(parties__case__status=Case.Status.PUBLISHED))
    ).filter(deals__gt=0)


def organizations_visible(*, include_unpublished: bool = False) -> QuerySet[Organization]:
    """Organizations a reader may look up: those in a published case. An organization named
    only by unpublished cases would give away a deal in the works; the newsroom sees all."""
    if include_unpublished:
        return Organization.objects.all()
    return Organization.objects.filter(
        pk__in=Party.objects.filter(case__status=Case.Status.PUBLISHED).values("organization_id")
    )


# An exposure's figures as JSON: for the busiest organization, thousands of suppliers and supplier
# groups (800 KB at 100,000 cases), read and parsed in tens of milliseconds.
EXPOSURE_FIGURES = ("suppliers", "classification_counts", "trend", "independent_paths")


def organization_detail(slug: str, *, include_unpublished: bool = False, figures: bool = True) -> Organization:
    """An organization with its exposure, or Organization.DoesNotExist.

    ``figures=False`` leaves the exposure's JSON figures unread (its freshness is read): for a page
    that shows them from a cache keyed on that freshness (``organization_exposure_figures`` on a miss).
    """
    queryset = organizations_visible(include_unpublished=include_unpublished).select_related("exposure")
    if not figures:
        queryset = queryset.defer(*(f"exposure__{name}" for name in EXPOSURE_FIGURES))
    return queryset.get(slug=slug)


def organization_api_detail(slug: str, *, include_unpublished: bool = False) -> Organization:
    """An organization with what the API shows of its exposure (not its supplier groups, the
    largest of its figures), or Organization.DoesNotExist."""
    return (
        organizations_visible(include_unpublished=include_unpublished)
        .select_related("exposure")
        .defer("exposure__independent_paths")
        .get(slug=slug)
    )


def organization_exposure_figures(exposure: OrganizationExposure | None) -> OrganizationExposure | None:
    """The exposure with all its figures (one query), for a page whose cached fragments missed."""
    if exposure is None:
        return None
    return OrganizationExposure.objects.filter(pk=exposure.pk).first()


# The organization page lists this many compute suppliers and supplier groups (largest share
# first) and sums the rest in one line linking to the full list; that list shows this many a page.
ORGANIZATION_TOP = 20
SUPPLY_PER_PAGE = 100


def _rest(rows: list[dict]) -> dict:
    """What a bounded list leaves out: how many rows and their share of supply (in percent)."""
    return {"count": len(rows), "percent": round(sum(float(row.get("share", 0)) for row in rows) * 100, 1)}


def _groups_with_without(figures: dict) -> list[dict]:
    """A resource's supplier groups, each with what is left without it (two parallel lists)."""
    return [{**group, "without": without} for group, without in zip(figures["groups"], figures["without"], strict=True)]


def exposure_top(exposure: OrganizationExposure | None, top: int = ORGANIZATION_TOP) -> dict | None:
    """The organization page's bounded view of an exposure: its ``top`` largest suppliers and, per
    resource, supplier groups (each with what is left without it), and what each list leaves out."""
    if exposure is None or not exposure.computed_at:
        return None
    suppliers = exposure.suppliers or []
    paths = {}
    for resource, figures in (exposure.independent_paths or {}).items():
        groups = _groups_with_without(figures)
        paths[resource] = {
            "count": figures["count"],
            "suppliers": figures["suppliers"],
            "hhi": figures["hhi"],
            "groups": groups[:top],
            "rest": _rest(groups[top:]),
        }
    return {"suppliers": suppliers[:top], "rest": _rest(suppliers[top:]), "paths": paths}


def organization_supply_page_cached(
    organization: Organization, exposure: OrganizationExposure | None, resource: str | None, number: int
) -> dict | None:
    """``organization_supply_page``, cached until the organization or its exposure changes; the
    figures (hundreds of kilobytes for the busiest organization) are read only on a miss."""
    key = cache_keys.supply_page(organization, exposure, resource, number)
    listing = cache.get(key)
    if listing is None:
        listing = organization_supply_page(organization_exposure_figures(exposure), resource, number)
        if listing is None:
            return None
        cache.set(key, listing, cache_keys.EXPOSURE_FRAGMENT_TIMEOUT)
    return listing


def organization_supply_page(exposure: OrganizationExposure | None, resource: str | None, number: int) -> dict | None:
    """One page of an organization's full supply list, largest share first: its compute suppliers
    (``resource`` None) or its supplier groups for ``resource`` (each with what is left without it).
    None when there is no such page or no such resource."""
    computed = exposure is not None and exposure.computed_at is not None
    figures = None
    if resource is None:
        rows = (exposure.suppliers or []) if exposure is not None and computed else []
    else:
        figures = (exposure.independent_paths or {}).get(resource) if exposure is not None and computed else None
        if figures is None:
            return None
        rows = _groups_with_without(figures)
    pages = max(1, -(-len(rows) // SUPPLY_PER_PAGE))
    if not 1 <= number <= pages:
        return None
    start = (number - 1) * SUPPLY_PER_PAGE
    shown = rows[start : start + SUPPLY_PER_PAGE]
    return {
        "computed": computed,
        "stale": bool(exposure.stale) if exposure is not None else False,
        "concentration_hhi": exposure.concentration_hhi if exposure is not None else None,
        "paths": {key: figures[key] for key in ("count", "suppliers", "hhi")} if figures else None,
        # Shares to a hundredth of a percent: the long tail would all read "0%" in whole percents.
        "rows": [{**row, "percent": round(float(row["share"]) * 100, 2)} for row in shown],
        "start": start,
        "end": start + len(shown),
        "count": len(rows),
        "number": number,
        "pages": pages,
    }


def organization_exposure(organization: Organization) -> OrganizationExposure | None:
    try:
        return organization.exposure
    except OrganizationExposure.DoesNotExist:
        return None


def organization_cases(organization: Organization) -> QuerySet[Case]:
    return case_list_published().filter(pk__in=Party.objects.filter(organization=organization).values("case_id"))


def organization_parties_in(organization: Organization, case_ids: list[int]) -> list[Party]:
    """The organization's parties in these cases (its roles in them), in their order: one query."""
    if not case_ids:
        return []
    return list(Party.objects.filter(organization=organization, case_id__in=case_ids).order_by("position", "id"))


def organization_counterparties_cached(
    organization: Organization, exposure: OrganizationExposure | None
) -> list[Organization]:
    """``organization_counterparties``, cached until the organization's exposure is recomputed.

    Counting the shared deals reads every party of every case of the
    organization (tens of thousands for the busiest); the exposure is
    recomputed (or marked stale) whenever one of its cases' summaries changes,
    which is when the counterparties can change.
    """
    key = cache_keys.counterparties(organization, exposure)
    counterparties = cache.get(key)
    if counterparties is None:
        counterparties = organization_counterparties(organization)
        cache.set(key, counterparties, cache_keys.COUNTERPARTIES_TIMEOUT)
    return counterparties


def organization_counterparties(organization: Organization, limit: int = 60) -> list[Organization]:
    """Organizations sharing published deals with this one, most shared first."""
    shared = Party.objects.filter(organization=organization, case__status=Case.Status.PUBLISHED).values("case_id")
    return list(
        Organization.objects.filter(parties__case_id__in=shared)
        .exclude(pk=organization.pk)
        .annotate(shared=Count("parties"))
        .order_by("-shared", "name")[:limit]
    )


# --- Rubric ------------------------------------------------------------------


def rubric_versions_public() -> list[RubricVersion]:
    """Active and retired rubric versions (drafts are not for readers), newest first."""
    return list(
        RubricVersion.objects.exclude(status=RubricVersion.Status.DRAFT)
        .select_related("rubric")
        .order_by("rubric__name", "-number")
    )


def rubric_version_public(rubric_slug: str, number: int) -> RubricVersion:
    """A public rubric version with its criteria, or RubricVersion.DoesNotExist."""
    return (
        RubricVersion.objects.exclude(status=RubricVersion.Status.DRAFT)
        .select_related("rubric")
        .prefetch_related(criteria_prefetch())
        .get(rubric__slug=rubric_slug, number=number)
    )


def rubric_version_previous_public(version: RubricVersion) -> RubricVersion | None:
    return (
        RubricVersion.objects.exclude(status=RubricVersion.Status.DRAFT)
        .filter(rubric_id=version.rubric_id, number__lt=version.number)
        .prefetch_related(criteria_prefetch())
        .order_by("-number")
        .first()
    )


# --- Feeds and sitemap -------------------------------------------------------


def versions_published_recent(
    *, organization: Organization | None = None, corrections: bool = False, limit: int = 50
) -> QuerySet[EvaluationVersion]:
    """Public versions, newest publication first (for the Atom feeds)."""
    qs = EvaluationVersion.objects.public().filter(case__status=Case.Status.PUBLISHED).select_related("case")
    if corrections:
        qs = qs.exclude(correction_note="")
    if organization is not None:
        qs = qs.filter(case_id__in=Party.objects.filter(organization=organization).values("case_id"))
    return qs.order_by("-published_at", "-id")[:limit]


def case_chart_stamp(slug: str) -> str | None:
    """What a published case's chart image shows changes only with these (one query): the
    published version its summary was computed from, the computation, the case (its title heads
    the image) and its parties' organization names. None: no such case, or no summary yet."""
    row = (
        RiskSummary.objects.filter(case__slug=slug, case__in=Case.objects.published(), computed_at__isnull=False)
        .annotate(names=Max("party_figures__organization__updated_at"))
        .values_list("case_id", "evaluation_version_id", "computed_at", "stale", "case__updated_at", "names")
        .first()
    )
    if row is None:
        return None
    case_id, version_id, computed_at, stale, updated_at, names = row
    stamps = "-".join(f"{value.timestamp():.6f}" if value else "0" for value in (computed_at, updated_at, names))
    return f"{case_id}-v{version_id}-{stamps}{'s' if stale else ''}"


# --- The changelog: what changed in our assessments ----------------------------


def changelog_versions() -> QuerySet[EvaluationVersion]:
    """Public versions of published cases that followed an earlier public version, newest first.

    Only published and superseded versions: nothing in the works ever shows.
    """
    earlier = EvaluationVersion.objects.public().filter(case=OuterRef("case"), number__lt=OuterRef("number"))
    return (
        EvaluationVersion.objects.public()
        .filter(case__status=Case.Status.PUBLISHED)
        .filter(Exists(earlier))
        .order_by("-published_at", "-id")
    )


def changelog_entries(versions: Iterable[EvaluationVersion]) -> list[changelog.Entry]:
    """The entries of these versions (a page of ``changelog_versions``), in their order.

    Three queries whatever their number: every public version of their cases
    (with case and rubric version), their scores, and the rubric versions' criteria.
    """
    wanted = [v.pk for v in versions]
    case_ids = {v.case_id for v in versions}
    if not wanted:
        return []
    public = list(
        EvaluationVersion.objects.public()
        .filter(case_id__in=case_ids)
        .select_related("case", "evaluation__rubric_version__rubric")
        .prefetch_related(
            Prefetch(
                "scores",
                queryset=Score.objects.select_related("criterion", "party__organization").order_by(
                    "criterion__position", "party__position", "id"
                ),
            ),
            Prefetch("evaluation__rubric_version__criteria", queryset=Criterion.objects.order_by("position", "id")),
        )
        .order_by("case_id", "number")
    )
    by_pk = {v.pk: v for v in public}
    by_case: dict[int, list[EvaluationVersion]] = {}
    for version in public:
        by_case.setdefault(version.case_id, []).append(version)

    def previous_of(version: EvaluationVersion) -> EvaluationVersion | None:
        earlier = [v for v in by_case[version.case_id] if v.number < version.number]
        return earlier[-1] if earlier else None

    specs: dict[int, scoring.RubricSpec] = {}

    def spec_of(rubric_version: RubricVersion) -> scoring.RubricSpec:
        if rubric_version.pk not in specs:
            specs[rubric_version.pk] = rubric_spec(rubric_version)
        return specs[rubric_version.pk]

    return changelog.entries([by_pk[pk] for pk in wanted if pk in by_pk], previous_of, spec_of)


def changelog_entry_anchor(case: Case, summary: RiskSummary | None, history: list[EvaluationVersion]) -> str:
    """The changelog entry of the version a risk summary was computed from ("" for a first publication)."""
    if summary is None or summary.evaluation_version_id is None:
        return ""
    version = next((v for v in history if v.pk == summary.evaluation_version_id), None)
    if version is None or all(v.number >= version.number for v in history):
        return ""
    return f"{case.slug}-v{version.number}"
