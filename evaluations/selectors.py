"""Reads for evaluations: rubric specs, current versions, engine inputs."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    F,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    prefetch_related_objects,
)
from django.utils import timezone

from cases.models import Case, Party, Source
from evaluations import anchoring, crosswalk, exposure, scoring
from evaluations.models import (
    Annotation,
    AuditEntry,
    Citation,
    Criterion,
    EvaluationVersion,
    Notification,
    PartyFigure,
    ReviewAssignment,
    ReviewComment,
    Revision,
    RiskSummary,
    RubricVersion,
    Score,
)


def rubric_spec(version: RubricVersion) -> scoring.RubricSpec:
    """The engine's view of a rubric version (uses prefetched criteria if present)."""
    return scoring.RubricSpec.build(
        scale_min=version.scale_min,
        scale_max=version.scale_max,
        criteria=[
            scoring.CriterionSpec(key=c.key, family=c.family, weight=c.weight, per_party=c.per_party)
            for c in version.criteria.all()
        ],
        classification=version.classification,
    )


def rubric_vocabulary(classifications: Iterable[dict]) -> dict[str, list[tuple[str, str]]]:
    """The risk bands and classifications a summary can carry, as (value, label) choices.

    Bands are the active rubric versions' (``classification.risk_bands``, lowest first);
    classifications are those the engine assigns under the thresholds the rubric data sets
    (``dependency_risk_at``, ``leverage_at``, ``workaround_at``; ``mixed`` otherwise), most
    exposed first. Pure: the caller reads ``classifications`` (each active version's
    ``classification`` data) with its own query, and caches the result.
    """
    bands: dict[str, float] = {}
    for data in classifications:
        for name, bound in (data.get("risk_bands") or {}).items() if isinstance(data, dict) else ():
            try:
                bands.setdefault(str(name), float(bound))
            except (TypeError, ValueError):
                continue  # data the engine would refuse: no band to offer
    return {
        "risk_bands": [(name, name) for name in sorted(bands, key=lambda name: (bands[name], name))],
        "classifications": [(c.value, c.label) for c in scoring.SEVERITY],
    }


def criteria_prefetch() -> Prefetch:
    return Prefetch("criteria", queryset=Criterion.objects.order_by("position", "id"))


# --- A version's content: the one read shape for pages, the desk and the API ---------------
# Scores with their criterion, their party's organization and their sources (in the case's
# order), in the rubric's order; annotations with their author, in writing order; the
# rubric version above it. Each page or endpoint that shows a version's content takes these.

# double_scoring: a reverse one-to-one, joined so that "is it double scored?" costs no query.
VERSION_CONTENT_RELATED = ("evaluation__rubric_version__rubric", "double_scoring")


def version_scores_prefetch() -> Prefetch:
    return Prefetch(
        "scores",
        queryset=Score.objects.select_related("criterion", "party__organization")
        .prefetch_related(
            Prefetch("sources", queryset=Source.objects.order_by("position", "id")),
            Prefetch("citations", queryset=Citation.objects.select_related("source").order_by("position", "id")),
        )
        .order_by("criterion__position", "party__position", "id"),
    )


def version_annotations_prefetch() -> Prefetch:

    return Prefetch("annotations", queryset=Annotation.objects.select_related("author").order_by("id"))


def version_content_prefetches() -> tuple[Prefetch, Prefetch]:
    """Everything a version's content shows beyond the version row: scores and annotations."""
    return version_scores_prefetch(), version_annotations_prefetch()


def versions_with_content(versions: QuerySet[EvaluationVersion] | None = None) -> QuerySet[EvaluationVersion]:
    """``versions`` (all by default) with their content, in a fixed number of queries."""
    versions = EvaluationVersion.objects.all() if versions is None else versions
    return versions.select_related(*VERSION_CONTENT_RELATED).prefetch_related(*version_content_prefetches())


@dataclass
class SummaryInputs:
    """What one case's risk summary is computed from, read in bulk."""

    version_id: int | None = None
    rubric_id: int | None = None
    rubric_version: RubricVersion | None = None
    party_scores: dict[int, dict[str, int]] = field(default_factory=dict)
    deal_scores: dict[str, int] = field(default_factory=dict)
    party_orgs: dict[int, int] = field(default_factory=dict)


def rubric_version_info(version: RubricVersion) -> crosswalk.VersionInfo:
    """The crosswalk's view of a rubric version (uses prefetched criteria if present)."""
    return crosswalk.VersionInfo(
        number=version.number,
        scale=(version.scale_min, version.scale_max),
        criteria=tuple(crosswalk.CriterionInfo(c.key, c.per_party) for c in version.criteria.all()),
        crosswalk=version.crosswalk or {},
    )


def rubric_versions_for_carrying(
    rubric_ids: Iterable[int], *, draft: RubricVersion | None = None
) -> list[RubricVersion]:
    """The active and retired versions of the rubrics, with their criteria, in two queries (plus
    ``draft``, the one draft a caller may carry scores to: the activation's impact)."""
    versions = RubricVersion.objects.filter(rubric_id__in=list(rubric_ids)).exclude(status=RubricVersion.Status.DRAFT)
    if draft is not None:
        versions = versions | RubricVersion.objects.filter(pk=draft.pk)
    return list(versions.prefetch_related(criteria_prefetch()).order_by("rubric_id", "number"))


class ScoreCarrier:
    """Carries scores given under one version of a rubric to another, through the crosswalks
    (evaluations.crosswalk), caching each path. Built from ``rubric_versions_for_carrying``."""

    def __init__(self, versions: Iterable[RubricVersion]) -> None:
        self.infos: dict[int, dict[int, crosswalk.VersionInfo]] = {}
        for version in versions:
            self.infos.setdefault(version.rubric_id, {})[version.number] = rubric_version_info(version)
        self._chains: dict[tuple[int, int, int], list] = {}

    def _chain(self, rubric_id: int, start: int, end: int) -> list:
        key = (rubric_id, start, end)
        if key not in self._chains:
            self._chains[key] = crosswalk.chain(self.infos[rubric_id], start, end)
        return self._chains[key]

    def carry(
        self, rubric_id: int, start: int, end: int, scores: dict[str, int], *, per_party: bool
    ) -> crosswalk.Carried:
        return crosswalk.carry_chain(self._chain(rubric_id, start, end), scores, per_party=per_party)

    def by_key(self, rubric_id: int, start: int, end: int) -> bool:
        """Whether every step from ``start`` to ``end`` keeps keys, drops or adds criteria only."""
        return all(
            entry.kind in ("dropped", "new") or (entry.kind == "same" and entry.rule == "copy")
            for walk, _scale in self._chain(rubric_id, start, end)
            for entry in walk.entries
        )


def summary_inputs(
    case_ids: Iterable[int], *, target: RubricVersion | None = None, carried: dict | None = None
) -> dict[int, SummaryInputs]:
    """The inputs of many cases' summaries in four queries, whatever their number.

    A case's published version, scored under whichever rubric version was
    active when it was written, is read under its rubric's *active* version
    (or ``target``, a draft about to be activated): scores are carried over
    through the versions' crosswalks (evaluations.crosswalk; by criterion key
    where a version has none). A score the crosswalk cannot carry (a dropped
    criterion, a value outside the new scale, a rule that leaves it unscored)
    is left out, so its criterion counts as missing; ``carried``, when given,
    receives each case's list of (party id or None, key, why) not carried.
    """
    case_ids = list(case_ids)
    result: dict[int, SummaryInputs] = {case_id: SummaryInputs() for case_id in case_ids}
    versions = EvaluationVersion.objects.filter(
        case_id__in=case_ids, state=EvaluationVersion.State.PUBLISHED
    ).values_list("pk", "case_id", "evaluation__rubric_version__rubric_id", "evaluation__rubric_version__number")
    by_version: dict[int, SummaryInputs] = {}
    scored_under: dict[int, int] = {}
    case_of: dict[int, int] = {}
    for version_id, case_id, rubric_id, number in versions:
        inputs = result[case_id]
        inputs.version_id, inputs.rubric_id = version_id, rubric_id
        by_version[version_id] = inputs
        scored_under[version_id] = number
        case_of[version_id] = case_id
    rubric_ids = {inputs.rubric_id for inputs in by_version.values() if inputs.rubric_id is not None}
    rubric_versions = rubric_versions_for_carrying(rubric_ids, draft=target)
    if target is not None:
        active = {target.rubric_id: next(v for v in rubric_versions if v.pk == target.pk)}
    else:
        active = {v.rubric_id: v for v in rubric_versions if v.status == RubricVersion.Status.ACTIVE}
    carrier = ScoreCarrier(rubric_versions)
    for inputs in by_version.values():
        inputs.rubric_version = active.get(inputs.rubric_id) if inputs.rubric_id is not None else None
    scores = (
        Score.objects.filter(version_id__in=list(by_version))
        .values_list("version_id", "party_id", "party__organization_id", "criterion__key", "value")
        .order_by("id")
    )
    raw: dict[int, dict[int | None, dict[str, int]]] = {}
    for version_id, party_id, organization_id, key, value in scores:
        if by_version[version_id].rubric_version is None:
            continue
        if party_id is not None:
            by_version[version_id].party_orgs[party_id] = organization_id
        raw.setdefault(version_id, {}).setdefault(party_id, {})[key] = value
    for version_id, by_party in raw.items():
        inputs = by_version[version_id]
        rubric_version = inputs.rubric_version
        assert rubric_version is not None and inputs.rubric_id is not None
        for party, party_scores in by_party.items():
            outcome = carrier.carry(
                inputs.rubric_id,
                scored_under[version_id],
                rubric_version.number,
                party_scores,
                per_party=party is not None,
            )
            if party is None:
                inputs.deal_scores.update(outcome.values)
            else:
                inputs.party_scores[party] = outcome.values
            if carried is not None:
                carried.setdefault(case_of[version_id], []).extend(
                    (party, key, why) for key, why in outcome.not_carried
                )
    return result


def summaries_needing_reevaluation() -> QuerySet[RiskSummary]:
    """Published cases whose analysis misses criteria of the active rubric (for the editors' desk)."""
    return (
        RiskSummary.objects.filter(needs_reevaluation=True, case__status="published")
        .select_related("case", "rubric_version")
        .order_by("case__title", "case_id")
    )


def stale_summaries_stats() -> tuple[int, datetime | None]:
    """How many summaries are stale, and since when the oldest one is."""
    stats = RiskSummary.objects.filter(stale=True).aggregate(count=Count("pk"), oldest=Min("stale_since"))
    return stats["count"], stats["oldest"]


def overdue_publications_stats(now: datetime | None = None) -> tuple[int, datetime | None]:
    """Scheduled versions still unpublished SCHEDULED_PUBLISH_OVERDUE_SECONDS after their time
    (the periodic jobs are not running): how many, and the earliest time among them."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.SCHEDULED_PUBLISH_OVERDUE_SECONDS)
    stats = EvaluationVersion.objects.filter(state=EvaluationVersion.State.SCHEDULED, publish_at__lt=cutoff).aggregate(
        count=Count("pk"), oldest=Min("publish_at")
    )
    return stats["count"], stats["oldest"]


def overdue_publications_health() -> tuple[bool, dict[str, object]]:
    """The /health/ check for scheduled publishing (handed to core.health by config.urls)."""
    now = timezone.now()
    count, oldest = overdue_publications_stats(now)
    return count == 0, {
        "count": count,
        "oldest_overdue_seconds": round((now - oldest).total_seconds()) if oldest else 0,
        "max_overdue_seconds": settings.SCHEDULED_PUBLISH_OVERDUE_SECONDS,
    }


def exposure_deals(organization_ids: Iterable[int]) -> dict[int, list[exposure.Deal]]:
    """Each organization's published deals in case id order, in three queries for any number of them.

    A busy organization has tens of thousands of deals: each case's deal types and parties become
    one tuple each, shared by the deals of every organization read, and no read is sorted by the
    models' orderings, which join the case (for its date) only to sort rows grouped by case here.
    """
    organization_ids = list(organization_ids)
    # The cases as a subquery in the reads below, not a list: a busy organization has
    # tens of thousands of deals, and as many placeholders cost more than the reads.
    cases = Case.objects.published().filter(parties__organization_id__in=organization_ids).values("pk")
    years: dict[int, int] = {}
    parties: dict[int, list[exposure.DealParty]] = {}
    case_ids: dict[int, set[int]] = {org_id: set() for org_id in organization_ids}  # each one's cases
    for case_id, announced_on, org_id, role, slug, name in (
        Party.objects.filter(case_id__in=cases)
        .order_by("case_id", "position", "pk")  # within a case, the model's order
        .values_list(
            "case_id", "case__announced_on", "organization_id", "role", "organization__slug", "organization__name"
        )
    ):
        if case_id not in parties:
            years[case_id], parties[case_id] = announced_on.year, []
        parties[case_id].append(exposure.DealParty(org_id, role, slug, name))
        if org_id in case_ids:
            case_ids[org_id].add(case_id)
    deal_types: dict[int, list[str]] = {}
    for case_id, slug in (
        Case.deal_types.through.objects.filter(case_id__in=cases).order_by().values_list("case_id", "dealtype__slug")
    ):
        deal_types.setdefault(case_id, []).append(slug)
    classifications: dict[int, dict[int, str]] = {org_id: {} for org_id in organization_ids}
    for case_id, org_id, classification in (
        # A figure's party is one of its summary's case: the party's case, one join fewer. Of two
        # figures of an organization in a case (two roles), the later party's counts, as in the model's order.
        PartyFigure.objects.filter(party__case_id__in=cases, organization_id__in=organization_ids)
        .order_by("party__case_id", "party__position", "pk")
        .values_list("party__case_id", "organization_id", "classification")
    ):
        classifications[org_id][case_id] = classification
    shared = {
        # The deal types sorted here, not by the database, whose collation may order them otherwise.
        case_id: (tuple(sorted(deal_types.get(case_id, ()))), tuple(case_parties))
        for case_id, case_parties in parties.items()
    }
    return {
        org_id: [
            exposure.Deal(case_id, years[case_id], *shared[case_id], classifications[org_id].get(case_id, ""))
            for case_id in sorted(case_ids[org_id])
        ]
        for org_id in organization_ids
    }


# --- Desk -------------------------------------------------------------------
# Reads for the editors' desk. Drafts appear only here, never on reader pages.

DESK_LIST_LIMIT = 20


def desk_versions(*, states: Iterable[str]) -> QuerySet[EvaluationVersion]:
    """Versions in the given states with what a desk row shows (case, author)."""
    return EvaluationVersion.objects.filter(state__in=list(states)).select_related("case", "author")


def desk_dashboard(user) -> dict[str, object]:
    """Everything the desk dashboard lists, each list bounded, in a fixed number of queries."""
    state = EvaluationVersion.State
    stale_count, stale_oldest = stale_summaries_stats()
    now = timezone.now()
    overdue_count, overdue_oldest = overdue_publications_stats(now)
    overdue_before = now - timedelta(seconds=settings.SCHEDULED_PUBLISH_OVERDUE_SECONDS)
    return {
        "my_drafts": list(
            with_review_marks(desk_versions(states=[state.DRAFT]).filter(author=user)).order_by("-updated_at")[
                :DESK_LIST_LIMIT
            ]
        ),
        # The review loop: open versions a reviewer was asked to review.
        "assigned_to_me": list(
            desk_versions(states=[state.DRAFT, state.IN_REVIEW])
            .filter(assignments__reviewer=user)
            .order_by("submitted_at", "pk")[:DESK_LIST_LIMIT]
        ),
        "in_review": list(desk_versions(states=[state.IN_REVIEW]).order_by("submitted_at", "pk")[:DESK_LIST_LIMIT]),
        "scheduled": list(desk_versions(states=[state.SCHEDULED]).order_by("publish_at", "pk")[:DESK_LIST_LIMIT]),
        "recently_published": list(
            desk_versions(states=[state.PUBLISHED]).order_by("-published_at", "-pk")[:DESK_LIST_LIMIT]
        ),
        "needs_reevaluation": list(summaries_needing_reevaluation()[:DESK_LIST_LIMIT]),
        "stale_summaries": list(
            RiskSummary.objects.filter(stale=True)
            .select_related("case")
            .order_by("stale_since", "pk")[:DESK_LIST_LIMIT]
        ),
        "stale_count": stale_count,
        "stale_oldest": stale_oldest,
        # Scheduled versions past their time by more than the setting: the periodic jobs are not running.
        "overdue_count": overdue_count,
        "overdue_oldest": overdue_oldest,
        "overdue_before": overdue_before,
    }


def with_review_marks(versions: QuerySet[EvaluationVersion]) -> QuerySet[EvaluationVersion]:
    """Versions with ``last_change`` (the action of their last state change: ``send_back`` marks a
    draft sent back) and ``open_comments`` (unresolved review threads), in the same query."""
    changes = AuditEntry.objects.filter(evaluation_version=OuterRef("pk")).exclude(from_state=F("to_state"))
    open_threads = (
        ReviewComment.objects.filter(version=OuterRef("pk"), parent__isnull=True, resolved_at__isnull=True)
        .order_by()
        .values("version")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return versions.annotate(
        last_change=Subquery(changes.order_by("-at", "-pk").values("action")[:1]),
        open_comments=Subquery(open_threads[:1]),
    )


# The desk case list's status filter: the case's own status, or the state of one of its versions.
DESK_CASE_STATUSES = {
    "unpublished": Q(status=Case.Status.DRAFT),
    "published": Q(status=Case.Status.PUBLISHED),
    "draft": Q(evaluation_versions__state=EvaluationVersion.State.DRAFT),
    "in_review": Q(evaluation_versions__state=EvaluationVersion.State.IN_REVIEW),
    "scheduled": Q(evaluation_versions__state=EvaluationVersion.State.SCHEDULED),
}


def desk_case_list(
    query: str = "",
    *,
    status: str = "",
    author_id: int | None = None,
    assignee_id: int | None = None,
    needs_reevaluation: bool = False,
) -> QuerySet:
    """Every case, drafts included, with its versions' states; a fixed number of queries.

    ``query`` matches titles and slugs, and the title an open version's facts give the case
    (a draft that retitles a published case is found by its new title). Not the readers'
    search documents, which published cases alone have: the desk must find drafts too.
    ``status`` is a key of ``DESK_CASE_STATUSES``; ``author_id`` keeps the cases with a
    version by that user; ``assignee_id`` those with an open version assigned to that
    reviewer; ``needs_reevaluation`` the published cases whose summary says the
    rubric moved on since their scores.
    """
    cases = Case.objects.all()
    query = query.replace("\x00", "").strip()
    if query:
        drafted = EvaluationVersion.objects.filter(
            state__in=EvaluationVersion.OPEN_STATES, facts__title__icontains=query
        ).values("case_id")
        cases = cases.filter(Q(title__icontains=query) | Q(slug__icontains=query) | Q(pk__in=drafted))
    if status in DESK_CASE_STATUSES:
        cases = cases.filter(pk__in=Case.objects.filter(DESK_CASE_STATUSES[status]).values("pk"))
    if author_id is not None:
        cases = cases.filter(pk__in=EvaluationVersion.objects.filter(author_id=author_id).values("case_id"))
    if assignee_id is not None:
        assigned = ReviewAssignment.objects.filter(
            reviewer_id=assignee_id, version__state__in=EvaluationVersion.OPEN_STATES
        ).values("version__case_id")
        cases = cases.filter(pk__in=assigned)
    if needs_reevaluation:
        cases = cases.filter(risk_summary__needs_reevaluation=True, status=Case.Status.PUBLISHED)
    return cases.order_by("-updated_at", "-pk").prefetch_related(
        Prefetch(
            "evaluation_versions",
            queryset=EvaluationVersion.objects.only("pk", "case_id", "number", "state", "author_id").order_by("number"),
        )
    )


def desk_case_assignees() -> list[tuple[int, str]]:
    """The desk case list's assignee filter: every reviewer assigned to an open version (one query)."""
    users = (
        ReviewAssignment.objects.filter(version__state__in=EvaluationVersion.OPEN_STATES)
        .values_list("reviewer_id", "reviewer__username")
        .distinct()
        .order_by("reviewer__username")
    )
    return [(pk, name) for pk, name in users]


def desk_case_authors() -> list[tuple[int, str]]:
    """The desk case list's author filter: everyone who wrote a version, by username (one query)."""
    users = (
        EvaluationVersion.objects.values_list("author_id", "author__username").distinct().order_by("author__username")
    )
    return [(pk, name) for pk, name in users]


def desk_case(pk: int):
    """A case with everything its desk page shows, drafts included, or Case.DoesNotExist."""
    return (
        Case.objects.prefetch_related(
            "deal_types",
            "tags",
            "timeline",
            Prefetch("parties", queryset=Party.objects.select_related("organization").order_by("position", "id")),
            Prefetch("sources", queryset=Source.objects.order_by("position", "id")),
            Prefetch(
                "evaluation_versions",
                queryset=EvaluationVersion.objects.select_related("author", "evaluation__rubric_version").order_by(
                    "number"
                ),
            ),
        )
        .select_related("risk_summary")
        .get(pk=pk)
    )


def desk_version(pk: int) -> EvaluationVersion:
    """A version of any state with its scores, annotations, audit and revisions, or DoesNotExist."""
    return (
        versions_with_content()
        .select_related("case", "author")
        .prefetch_related(
            Prefetch("audit_entries", queryset=AuditEntry.objects.select_related("actor").order_by("at", "id")),
            revisions_prefetch(),
        )
        .get(pk=pk)
    )


# --- The review loop: private comments, assignments, the send-back a draft is in -------------


def version_review_load(version: EvaluationVersion) -> EvaluationVersion:
    """Load ``version``'s review comments (with their people, criterion and party) and its
    assigned reviewers onto it, in two queries (policy.open_comment_count reads the comments)."""
    comments = ReviewComment.objects.filter(version=version).select_related(
        "author", "resolved_by", "criterion", "party__organization"
    )
    assignments = ReviewAssignment.objects.filter(version=version).select_related("reviewer")
    prefetch_related_objects(
        [version],
        Prefetch("review_comments", queryset=comments.order_by("created_at", "pk")),
        Prefetch("assignments", queryset=assignments.order_by("assigned_at", "pk")),
    )
    return version


@dataclass(frozen=True)
class ReviewThread:
    comment: ReviewComment
    replies: list[ReviewComment]
    found: bool  # a passage's quote still in the narrative
    before: str = ""
    after: str = ""


def review_threads(version: EvaluationVersion) -> list[ReviewThread]:
    """The version's comment threads, unresolved first, each with its replies in order and the
    passage it is anchored to. Reads the comments version_review_load loaded."""
    comments = list(version.review_comments.all())
    replies: dict[int, list[ReviewComment]] = {}
    for comment in comments:
        if comment.parent_id is not None:
            replies.setdefault(comment.parent_id, []).append(comment)
    threads = []
    for comment in comments:
        if comment.parent_id is not None:
            continue
        span = (
            anchoring.locate(version.narrative, comment.quote, comment.prefix, comment.suffix)
            if comment.quote
            else None
        )
        threads.append(
            ReviewThread(
                comment=comment,
                replies=replies.get(comment.pk, []),
                found=span is not None,
                before=version.narrative[max(0, span[0] - 60) : span[0]] if span else "",
                after=version.narrative[span[1] : span[1] + 60] if span else "",
            )
        )
    return sorted(threads, key=lambda t: t.comment.resolved_at is not None)


def sent_back_by(version: EvaluationVersion) -> AuditEntry | None:
    """The send-back a draft is in (its last state change, when that was a send-back), or None.
    Reads prefetched audit entries (with their actors)."""
    if version.state != EvaluationVersion.State.DRAFT:
        return None
    changes = [entry for entry in version.audit_entries.all() if entry.from_state != entry.to_state]
    if changes and changes[-1].action == AuditEntry.Action.SEND_BACK:
        return changes[-1]
    return None


def users_with_permission(permission: str) -> list:
    """Active users holding ``permission`` ("app.codename", through a group or their own), by
    username: for the desk, whom a version can be assigned to."""
    app, codename = permission.split(".")
    permitted = Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app) | Q(
        user_permissions__codename=codename, user_permissions__content_type__app_label=app
    )
    users = get_user_model().objects.filter(is_active=True)
    return list(users.filter(permitted | Q(is_superuser=True)).distinct().order_by("username"))


# --- Revisions: a version's kept saves, and who contributed ---------------------------------


def revisions_prefetch() -> Prefetch:
    """A version's revisions, oldest first, with who saved each, without their content
    (policy.contributor_ids and version_contributors read this)."""
    revisions = Revision.objects.select_related("saved_by").defer("content").order_by("number")
    return Prefetch("revisions", queryset=revisions)


def version_contributors(version: EvaluationVersion) -> list:
    """Who wrote any part of ``version`` (the users of policy.contributor_ids): its author first,
    then whoever saved a revision, in order. Reads ``version.author`` and prefetched revisions."""
    people = {version.author_id: version.author}
    for revision in version.revisions.all():
        people.setdefault(revision.saved_by_id, revision.saved_by)
    return list(people.values())


def desk_version_revisions(pk: int) -> EvaluationVersion:
    """A version with its case, author and revisions (without their content), or DoesNotExist."""
    return EvaluationVersion.objects.select_related("case", "author").prefetch_related(revisions_prefetch()).get(pk=pk)


def revisions_by_number(version_id: int, numbers: Iterable[int]) -> dict[int, Revision]:
    """Revisions of a version with their content, by number (numbers no revision can have are dropped)."""
    numbers = [n for n in numbers if 0 < n <= VERSION_NUMBER_MAX]
    revisions = Revision.objects.filter(version_id=version_id, number__in=numbers).select_related("saved_by")
    return {r.number: r for r in revisions}


@dataclass(frozen=True)
class LastReview:
    """Where a reviewer left a version: their send-back, and the revision it held then."""

    entry: AuditEntry
    revision_number: int
    by_you: bool


def last_review(version: EvaluationVersion, user) -> LastReview | None:
    """The version's last send-back by ``user`` (else by anyone) and the revision current at it,
    if the version has been revised since. Reads prefetched audit entries and revisions."""
    sends = [e for e in version.audit_entries.all() if e.action == AuditEntry.Action.SEND_BACK]
    own = [e for e in sends if e.actor_id == user.pk]
    revisions = list(version.revisions.all())
    if not sends or not revisions:
        return None
    entry = (own or sends)[-1]
    before = [r.number for r in revisions if r.saved_at <= entry.at]
    if not before or before[-1] == revisions[-1].number:
        return None
    return LastReview(entry=entry, revision_number=before[-1], by_you=bool(own))


def desk_case_has_published(case_id: int) -> bool:
    return EvaluationVersion.objects.filter(case_id=case_id, state=EvaluationVersion.State.PUBLISHED).exists()


VERSION_NUMBER_MAX = 2_147_483_647  # PositiveIntegerField's range on every supported database


def desk_versions_for_compare(case_id: int, numbers: Iterable[int]) -> dict[int, EvaluationVersion]:
    """Versions of a case by number, with the scores compare.py reads.

    Numbers no version can have (from a hand-edited URL) are dropped here: an ``__in`` lookup,
    unlike ``=``, hands a number too large for the column to the database, which fails.
    """
    numbers = [n for n in numbers if 0 < n <= VERSION_NUMBER_MAX]
    versions = EvaluationVersion.objects.filter(case_id=case_id, number__in=numbers).prefetch_related(
        version_scores_prefetch()
    )
    return {v.number: v for v in versions}


def desk_case_history(case_id: int) -> list[EvaluationVersion]:
    """Every version of a case with its audit entries, oldest first."""
    return list(
        EvaluationVersion.objects.filter(case_id=case_id)
        .select_related("author", "published_by")
        .prefetch_related(
            Prefetch("audit_entries", queryset=AuditEntry.objects.select_related("actor").order_by("at", "id"))
        )
        .order_by("number")
    )


# --- One-query validators of the API's reader representations (conditional GETs) ----------------


def _version_etag(row: tuple | None) -> str | None:
    """A published version's ETag is its own (``EvaluationVersion.etag``, its lock). Superseding
    changes a version's state, not its lock (the frozen record's trigger keeps the lock), so a
    superseded one's says so too."""
    if row is None:
        return None
    pk, lock, state = row
    suffix = "" if state == EvaluationVersion.State.PUBLISHED else f"-{state}"
    return f'"ev{pk}-{lock}{suffix}"'


def public_version_etag(pk: int) -> str | None:
    """A public version's ETag (its lock) in one query; None if readers may not see it."""
    versions = EvaluationVersion.objects.public().filter(pk=pk)
    return _version_etag(versions.values_list("pk", "lock_version", "state").first())


def case_version_etag(slug: str, number: int) -> str | None:
    """A published case's public version ``number``'s ETag in one query; None if there is none."""
    versions = EvaluationVersion.objects.public().filter(
        case__in=Case.objects.published().filter(slug=slug), number=number
    )
    return _version_etag(versions.values_list("pk", "lock_version", "state").first())


def case_versions_etag(slug: str) -> str | None:
    """A published case's public history's validator in one query; None if it has none.

    A line changes only with its version's lock (state, notes), and a publish adds one.
    """
    row = (
        EvaluationVersion.objects.public()
        .filter(case__in=Case.objects.published().filter(slug=slug))
        .aggregate(count=Count("pk"), last=Max("pk"), locks=Sum("lock_version"))
    )
    return f'"evs{row["last"]}-{row["count"]}-{row["locks"]}"' if row["count"] else None


def _rubric_stamp(at: datetime | None) -> str:
    return f"{at.timestamp():.6f}" if at else "-"


def public_rubric_version_etag(slug: str, number: int) -> str | None:
    """A non-draft rubric version's validator in one query; None if readers may not see it.

    Once active a version never changes but for its status and retirement.
    """
    row = (
        RubricVersion.objects.exclude(status=RubricVersion.Status.DRAFT)
        .filter(rubric__slug=slug, number=number)
        .values_list("pk", "status", "activated_at", "retired_at")
        .first()
    )
    if row is None:
        return None
    pk, state, activated_at, retired_at = row
    return f'"rv{pk}-{state}-{_rubric_stamp(activated_at)}-{_rubric_stamp(retired_at)}"'


def public_rubric_versions_etag(slug: str) -> str | None:
    """A rubric's non-draft versions' validator in one query; None if it has none."""
    row = (
        RubricVersion.objects.exclude(status=RubricVersion.Status.DRAFT)
        .filter(rubric__slug=slug)
        .aggregate(
            count=Count("pk"),
            last=Max("pk"),
            activated=Max("activated_at"),
            retired=Max("retired_at"),
            active=Max("pk", filter=Q(status=RubricVersion.Status.ACTIVE)),
        )
    )
    if not row["count"]:
        return None
    stamps = "-".join(_rubric_stamp(row[name]) for name in ("activated", "retired"))
    return f'"rvs{row["last"]}-{row["count"]}-{row["active"]}-{stamps}"'


def version_save_marker(pk: int) -> dict | None:
    """A version's last save, for the desk's edit pages to notice a colleague's save while one edits
    (``static/js/desk-unsaved.js``): its lock and ETag, state, and who saved it when. None if no such version."""
    version = EvaluationVersion.objects.filter(pk=pk).only("pk", "lock_version", "state").first()
    if version is None:
        return None
    last = (
        Revision.objects.filter(version_id=pk)
        .select_related("saved_by")
        .only("saved_at", "saved_by__username")
        .order_by("-number")
        .first()
    )
    return {
        "lock_version": version.lock_version,
        "etag": version.etag,
        "state": version.state,
        "saved_by": last.saved_by.get_username() if last is not None else None,
        "saved_at": last.saved_at.isoformat() if last is not None else None,
    }


def notifications_for(user) -> QuerySet[Notification]:
    """``user``'s notifications, newest first, with what the desk's list shows of each."""
    return Notification.objects.filter(recipient=user).select_related("version__case", "actor")


def notifications_unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_of(user, pk: int) -> Notification:
    """One of ``user``'s notifications (Notification.DoesNotExist for anyone else's)."""
    return Notification.objects.get(pk=pk, recipient=user)


def public_rubrics_etag() -> str:
    """The rubric list's validator for readers in one query: every rubric's own text and its
    non-draft versions (a version, once active, changes only its status and dates)."""
    from evaluations.models import Rubric

    public = ~Q(versions__status=RubricVersion.Status.DRAFT)
    rows = (
        Rubric.objects.order_by("pk")
        .annotate(
            count=Count("versions", filter=public),
            last=Max("versions__pk", filter=public),
            active=Max("versions__pk", filter=Q(versions__status=RubricVersion.Status.ACTIVE)),
            activated=Max("versions__activated_at", filter=public),
            retired=Max("versions__retired_at", filter=public),
        )
        .values_list("pk", "slug", "name", "description", "count", "last", "active", "activated", "retired")
    )
    text = "\n".join(repr(row[:7] + tuple(_rubric_stamp(at) for at in row[7:])) for row in rows)
    return f'"rbs{hashlib.sha256(text.encode()).hexdigest()[:32]}"'


def public_comparison_etag(slug: str, a: int, b: int) -> str | None:
    """Two public versions' comparison's validator in one query: the two versions (their locks and
    states) and the case (touched when an organization it names is renamed); None if either is missing."""
    rows = list(
        EvaluationVersion.objects.public()
        .filter(case__in=Case.objects.published().filter(slug=slug), number__in=(a, b))
        .values_list("number", "pk", "lock_version", "state", "case__updated_at")
    )
    found = {row[0]: row for row in rows}
    if a not in found or b not in found:
        return None
    parts = [f"{found[n][1]}.{found[n][2]}.{found[n][3]}" for n in (a, b)]
    return f'"cmp{"-".join(parts)}-{_rubric_stamp(found[a][4])}"'
