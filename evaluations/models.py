"""Rubrics, evaluations of cases under them, and the summaries computed from them."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q


class Rubric(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RubricVersion(models.Model):
    """One version of a rubric's questions and rules.

    A draft may be edited; once active it never changes. Activating a version
    retires the previous active one; a rubric has at most one active version.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "draft"
        ACTIVE = "active", "active"
        RETIRED = "retired", "retired"

    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    changelog = models.TextField(blank=True)
    scale_min = models.SmallIntegerField(default=0)
    scale_max = models.SmallIntegerField(default=4)
    scale_labels = models.JSONField(default=list, blank=True)
    families = models.JSONField(default=dict, blank=True, help_text="Family key to its description.")
    classification = models.JSONField(
        default=dict,
        help_text="Thresholds and bands, in the shape of rubric_v1.json's version.classification.",
    )
    # How the previous version's criteria map onto this one's and how scores carry over
    # (evaluations.crosswalk): {"from": number, "entries": [...]}; {} carries scores by key.
    # Frozen with the rest of the version once it is activated (migration 0013's trigger).
    crosswalk = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["rubric", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["rubric", "number"], name="rubric_version_number_unique"),
            models.UniqueConstraint(fields=["rubric"], condition=Q(status="active"), name="rubric_one_active_version"),
            models.CheckConstraint(
                condition=Q(scale_min__lt=models.F("scale_max")), name="rubric_version_scale_ordered"
            ),
        ]
        permissions = [("activate_rubricversion", "Can activate and retire rubric versions")]

    def __str__(self) -> str:
        return f"{self.rubric.name} v{self.number} ({self.status})"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class Criterion(models.Model):
    class Family(models.TextChoices):
        LEVERAGE = "leverage", "durable leverage"
        WORKAROUND = "workaround", "temporary workaround"
        DEPENDENCY = "dependency", "dependency risk"

    version = models.ForeignKey(RubricVersion, on_delete=models.CASCADE, related_name="criteria")
    key = models.SlugField(max_length=64, help_text="Stable across versions: scores carry over by key.")
    family = models.CharField(max_length=16, choices=Family.choices)
    weight = models.DecimalField(max_digits=6, decimal_places=3, default=1)
    per_party = models.BooleanField(default=True, help_text="Scored for each party, or once for the deal.")
    question = models.TextField()
    guidance = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["version", "position", "id"]
        verbose_name_plural = "criteria"
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="criterion_key_unique_per_version"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="criterion_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.key


class Evaluation(models.Model):
    """A case evaluated under one rubric version; its content lives in versions."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="evaluations")
    rubric_version = models.ForeignKey(RubricVersion, on_delete=models.PROTECT, related_name="evaluations")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["case", "rubric_version"], name="evaluation_unique_per_rubric_version")
        ]

    def __str__(self) -> str:
        return f"{self.case} under {self.rubric_version}"


class EvaluationVersionQuerySet(models.QuerySet):
    def public(self) -> EvaluationVersionQuerySet:
        """Versions a reader may see: the current one and those it superseded."""
        return self.filter(state__in=EvaluationVersion.PUBLIC_STATES)


class VersionState(models.TextChoices):
    DRAFT = "draft", "draft"
    IN_REVIEW = "in_review", "in review"
    SCHEDULED = "scheduled", "scheduled"
    PUBLISHED = "published", "published"
    SUPERSEDED = "superseded", "superseded"
    # Abandoned in the works (evaluations.services.review): kept for the desk's record (with its
    # number), never shown to readers, neither open nor frozen.
    DISCARDED = "discarded", "discarded"


# The one statement of which version states are which (``EvaluationVersion.OPEN_STATES`` and
# ``FROZEN_STATES``; module-level too so that the model's constraints below can read them).
# Open: in the works; a case has at most one open version. Frozen: published or superseded,
# never changed again (migration 0006's triggers state the same list in SQL: a migration
# imports nothing from the app).
OPEN_VERSION_STATES = frozenset({VersionState.DRAFT, VersionState.IN_REVIEW, VersionState.SCHEDULED})
FROZEN_VERSION_STATES = frozenset({VersionState.PUBLISHED, VersionState.SUPERSEDED})


class EvaluationVersion(models.Model):
    """One version of an analysis: narrative, scores and annotations.

    Numbers run per case across its evaluations, so readers see one history.
    A published version never changes; editing it starts a new draft.
    """

    State = VersionState
    OPEN_STATES = OPEN_VERSION_STATES
    FROZEN_STATES = FROZEN_VERSION_STATES
    PUBLIC_STATES = FROZEN_VERSION_STATES  # what readers may see is exactly what can no longer change

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="versions")
    # Denormalized from evaluation.case so the database can enforce per-case rules.
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="evaluation_versions")
    number = models.PositiveIntegerField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="evaluation_versions")
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    narrative = models.TextField(blank=True, help_text="Markdown.")
    verdict = models.CharField(max_length=300, blank=True, help_text="The analysis in one line.")
    change_note = models.TextField(blank=True)
    # The case's facts as they will read once this version is published, in the shape the API's
    # case detail uses (cases.facts). Empty: the version carries no facts of its own (the case was
    # never published when it was drafted, or it predates facts on the record).
    facts = models.JSONField(default=dict, blank=True)
    # Rationales written before their score is decided, kept with the draft only
    # ([{"criterion": key, "party": party id or null, "rationale": text}]): never a Score,
    # so never in a reader's page, summary or feed; a draft holding any cannot be submitted.
    parked_rationales = models.JSONField(default=list, blank=True)
    correction_note = models.TextField(
        blank=True, help_text="Set when this version publicly corrects the previous one."
    )
    lock_version = models.PositiveIntegerField(default=1, help_text="Optimistic lock: bumped on every save.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    publish_at = models.DateTimeField(null=True, blank=True, help_text="When a scheduled version goes live.")
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = EvaluationVersionQuerySet.as_manager()

    class Meta:
        ordering = ["case", "number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="evaluation_version_number_unique_per_case"),
            models.UniqueConstraint(
                fields=["case"], condition=Q(state="published"), name="evaluation_version_one_published_per_case"
            ),
            # One version in the works per case: drafts never fork silently.
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(state__in=sorted(OPEN_VERSION_STATES)),
                name="evaluation_version_one_open_per_case",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=sorted(FROZEN_VERSION_STATES)) | Q(published_at__isnull=False),
                name="evaluation_version_published_has_date",
            ),
        ]
        indexes = [models.Index(fields=["state", "publish_at"], name="evaluation_version_due")]
        permissions = [
            ("submit_evaluationversion", "Can submit evaluation versions for review"),
            ("publish_evaluationversion", "Can approve, publish and send back evaluation versions"),
            ("discard_evaluationversion", "Can discard draft evaluation versions"),
        ]

    def __str__(self) -> str:
        return f"{self.case} v{self.number} ({self.state})"

    @property
    def is_public(self) -> bool:
        return self.state in self.PUBLIC_STATES

    @property
    def is_frozen(self) -> bool:
        return self.state in self.FROZEN_STATES

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    @property
    def etag(self) -> str:
        return f'"ev{self.pk}-{self.lock_version}"'


class Score(models.Model):
    """A criterion's score for one party (or for the deal) in one version."""

    version = models.ForeignKey(EvaluationVersion, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    # PROTECT: a party scored in an analysis cannot vanish from under it.
    party = models.ForeignKey("cases.Party", null=True, blank=True, on_delete=models.PROTECT, related_name="scores")
    value = models.SmallIntegerField()
    rationale = models.TextField(blank=True)
    sources = models.ManyToManyField("cases.Source", blank=True, related_name="scores")

    class Meta:
        ordering = ["version", "criterion__position", "party__position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "criterion", "party"],
                condition=Q(party__isnull=False),
                name="score_unique_per_party",
            ),
            models.UniqueConstraint(
                fields=["version", "criterion"], condition=Q(party__isnull=True), name="score_unique_per_deal"
            ),
            # The exact scale lives on the rubric version; migration 0002 adds a
            # trigger that checks it. This bound holds for any rubric.
            models.CheckConstraint(condition=Q(value__gte=-100, value__lte=100), name="score_value_bounded"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.key}={self.value}"


class Revision(models.Model):
    """One save of a version's content, kept: what the version held right after it, who, when.

    Numbered per version from 1 (the draft as started). Written only by
    evaluations.services.revisions, never changed (migration 0008's triggers);
    whoever saved one is a contributor, and may not approve the version.
    ``content`` is evaluations.services.revisions.revision_content's shape.
    """

    version = models.ForeignKey(EvaluationVersion, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    saved_at = models.DateTimeField()
    what = models.CharField(max_length=300, blank=True, help_text="What the save changed, in words.")
    restored_from = models.PositiveIntegerField(null=True, blank=True, help_text="The revision this save restored.")
    content = models.JSONField()

    class Meta:
        ordering = ["version", "number"]
        constraints = [models.UniqueConstraint(fields=["version", "number"], name="revision_number_unique")]

    def __str__(self) -> str:
        return f"{self.version} revision {self.number}"


class Citation(models.Model):
    """A passage a score rests on: a quote of one of the case's sources, anchored in its excerpt.

    Anchored like a margin note (exact quote plus a little text before and
    after, ``evaluations.anchoring``), so that it survives edits elsewhere in
    the excerpt; when the editor changes the excerpt so that the quote is gone,
    the citations of open versions are flagged ``orphaned``. The quote is kept
    here, so a published version shows what it quoted whatever the excerpt
    becomes (the record's triggers freeze these rows with their version).
    """

    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="citations")
    # The source is also among the score's ``sources`` (the service adds it), so the rules that
    # keep cited sources on the record cover citations too.
    source = models.ForeignKey("cases.Source", on_delete=models.CASCADE, related_name="citations")
    quote = models.TextField()
    prefix = models.CharField(max_length=64, blank=True)
    suffix = models.CharField(max_length=64, blank=True)
    orphaned = models.BooleanField(default=False, help_text="Its quote no longer appears in the source's excerpt.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["score", "position", "id"]

    def __str__(self) -> str:
        return f"“{self.quote[:40]}” ({self.source_id})"


class DoubleScoring(models.Model):
    """A version scored independently by two editors, each blind to the other's scores.

    Each scorer's raw scores (``RawScore``) are written once, when they submit;
    nobody but their own scorer reads them until both have submitted
    (``evaluations.policy.double_scores_visible``). Differences of more than one
    point become ``Reconciliation`` rows to settle with a note; once all are
    settled, the settled values become the version's scores (``settled_at``).
    All three tables are frozen with their version (migration 0014's triggers).
    """

    version = models.OneToOneField(EvaluationVersion, on_delete=models.CASCADE, related_name="double_scoring")
    first_scorer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    second_scorer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    first_submitted_at = models.DateTimeField(null=True, blank=True)
    second_submitted_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(first_scorer=models.F("second_scorer")), name="double_scoring_two_scorers"
            )
        ]

    def __str__(self) -> str:
        return f"double scoring of {self.version}"

    @property
    def scorer_ids(self) -> tuple[int, int]:
        return (self.first_scorer_id, self.second_scorer_id)

    @property
    def both_submitted(self) -> bool:
        return self.first_submitted_at is not None and self.second_submitted_at is not None

    def submitted_at(self, user_id: int) -> datetime | None:
        return self.first_submitted_at if user_id == self.first_scorer_id else self.second_submitted_at


class RawScore(models.Model):
    """One scorer's own score in a double scoring, kept with the version as submitted."""

    version = models.ForeignKey(EvaluationVersion, on_delete=models.CASCADE, related_name="raw_scores")
    scorer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    party = models.ForeignKey("cases.Party", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    value = models.SmallIntegerField()

    class Meta:
        ordering = ["version", "criterion__position", "party__position", "scorer_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "scorer", "criterion", "party"],
                condition=Q(party__isnull=False),
                name="raw_score_unique_per_party",
            ),
            models.UniqueConstraint(
                fields=["version", "scorer", "criterion"],
                condition=Q(party__isnull=True),
                name="raw_score_unique_per_deal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id}={self.value} by {self.scorer_id}"


class Reconciliation(models.Model):
    """A difference of more than one point between the two scorers, and how it was settled."""

    version = models.ForeignKey(EvaluationVersion, on_delete=models.CASCADE, related_name="reconciliations")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    party = models.ForeignKey("cases.Party", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    first_value = models.SmallIntegerField()
    second_value = models.SmallIntegerField()
    value = models.SmallIntegerField(null=True, blank=True, help_text="The settled score; empty until settled.")
    note = models.TextField(blank=True, help_text="Why this value.")
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["version", "criterion__position", "party__position", "id"]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {self.first_value} vs {self.second_value}"

    @property
    def gap(self) -> int:
        return abs(self.first_value - self.second_value)


class Annotation(models.Model):
    """An editor's margin note anchored to a quote of a version's narrative."""

    class Kind(models.TextChoices):
        CONTEXT = "context", "context"
        FACT_CHECK = "fact_check", "fact check"
        SOURCE = "source", "source"
        DISSENT = "dissent", "dissent"

    version = models.ForeignKey(EvaluationVersion, on_delete=models.CASCADE, related_name="annotations")
    quote = models.TextField()
    prefix = models.CharField(max_length=64, blank=True)
    suffix = models.CharField(max_length=64, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    body = models.TextField(help_text="Markdown.")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="annotations")
    orphaned = models.BooleanField(default=False, help_text="Its quote no longer appears in the narrative.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["version", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.quote[:40]}"


class ReviewComment(models.Model):
    """A private comment of the review: on a passage of the narrative (anchored like a margin note,
    ``evaluations.anchoring``), on a score (criterion, and party when scored per party), or on the
    version as a whole; replies hang off a thread's first comment, which alone is resolved.

    Newsroom only: no reader page, feed, export, search or public API shows these. Written only
    by evaluations.services.review; a thread left unresolved blocks approval (evaluations.policy).
    """

    version = models.ForeignKey(EvaluationVersion, on_delete=models.CASCADE, related_name="review_comments")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    quote = models.TextField(blank=True)
    prefix = models.CharField(max_length=64, blank=True)
    suffix = models.CharField(max_length=64, blank=True)
    criterion = models.ForeignKey(Criterion, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    party = models.ForeignKey("cases.Party", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["version", "created_at", "id"]
        indexes = [models.Index(fields=["version", "resolved_at"], name="review_comment_open")]

    def __str__(self) -> str:
        return f"Review comment {self.pk} on {self.version_id}"

    @property
    def is_open(self) -> bool:
        return self.parent_id is None and self.resolved_at is None


class ReviewAssignment(models.Model):
    """A reviewer asked to review a version (the dashboard's "assigned to me")."""

    version = models.ForeignKey(EvaluationVersion, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField()

    class Meta:
        ordering = ["version", "assigned_at", "id"]
        constraints = [models.UniqueConstraint(fields=["version", "reviewer"], name="review_assignment_unique")]

    def __str__(self) -> str:
        return f"{self.reviewer_id} reviews {self.version_id}"


class RiskSummary(models.Model):
    """A case's computed risk, with the inputs it came from.

    Written only by the recompute service; ``stale`` is set in the same
    transaction as whatever change made it out of date.
    """

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="risk_summary")
    rubric_version = models.ForeignKey(RubricVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    evaluation_version = models.ForeignKey(
        EvaluationVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    risk_index = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    risk_band = models.CharField(max_length=16, blank=True)
    classification = models.CharField(max_length=32, blank=True, help_text="The deal's classification.")
    missing_criteria = models.JSONField(default=list, blank=True, help_text="Criteria of the rubric left unscored.")
    needs_reevaluation = models.BooleanField(default=False)
    inputs_hash = models.CharField(max_length=64, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    stale = models.BooleanField(default=True)
    stale_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "risk summaries"
        indexes = [
            models.Index(fields=["stale", "stale_since"], name="risk_summary_stale"),
            models.Index(fields=["risk_index"], name="risk_summary_index"),
            models.Index(fields=["risk_band"], name="risk_summary_band"),
            models.Index(fields=["computed_at"], name="risk_summary_computed"),  # the graph's stamp
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(risk_index__isnull=True) | Q(risk_index__gte=0, risk_index__lte=100),
                name="risk_summary_index_bounded",
            )
        ]

    def __str__(self) -> str:
        return f"Risk summary of {self.case}"


class PartyFigure(models.Model):
    """One party's figures within a risk summary."""

    summary = models.ForeignKey(RiskSummary, on_delete=models.CASCADE, related_name="party_figures")
    party = models.ForeignKey("cases.Party", on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey("cases.Organization", on_delete=models.CASCADE, related_name="party_figures")
    leverage = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    workaround = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    dependency = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    classification = models.CharField(max_length=32)

    class Meta:
        ordering = ["summary", "party__position", "id"]
        constraints = [models.UniqueConstraint(fields=["summary", "party"], name="party_figure_unique")]
        indexes = [models.Index(fields=["classification", "summary"], name="party_figure_class")]

    def __str__(self) -> str:
        return f"{self.organization}: {self.classification}"


class OrganizationExposure(models.Model):
    """An organization's exposure across its published cases."""

    organization = models.OneToOneField("cases.Organization", on_delete=models.CASCADE, related_name="exposure")
    suppliers = models.JSONField(
        default=list, blank=True, help_text="[{slug, name, deals, share}] of compute suppliers."
    )
    concentration_hhi = models.DecimalField(
        max_digits=7, decimal_places=1, null=True, blank=True, help_text="Herfindahl-Hirschman index, 0-10000."
    )
    classification_counts = models.JSONField(default=dict, blank=True)
    trend = models.JSONField(default=dict, blank=True, help_text="{year: {classification: count}}")
    independent_paths = models.JSONField(
        default=dict, blank=True, help_text="{resource: {groups, hhi, without}}: see evaluations.paths."
    )
    inputs_hash = models.CharField(max_length=64, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    stale = models.BooleanField(default=True)
    stale_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["stale", "stale_since"], name="org_exposure_stale")]

    def __str__(self) -> str:
        return f"Exposure of {self.organization}"


class AuditEntry(models.Model):
    """A state change: who, when, from which state to which, and why."""

    class Action(models.TextChoices):
        CREATE = "create", "create"
        SUBMIT = "submit", "submit"
        SEND_BACK = "send_back", "send back"
        SCHEDULE = "schedule", "schedule"
        RESCHEDULE = "reschedule", "reschedule"
        UNSCHEDULE = "unschedule", "unschedule"
        PUBLISH = "publish", "publish"
        SUPERSEDE = "supersede", "supersede"
        ACTIVATE = "activate", "activate"
        RETIRE = "retire", "retire"
        MERGE = "merge", "merge"
        RELATIONSHIP = "relationship", "relationship"
        # Content, not state: from_state and to_state are the state it stayed in; the comment says what.
        SAVE = "save", "save"
        RESTORE = "restore", "restore"
        NOTE_ADD = "note_add", "margin note added"
        NOTE_REMOVE = "note_remove", "margin note removed"
        EDIT = "edit", "edit"  # a rubric version's draft edited
        REBASE = "rebase", "moved onto the active rubric"  # a draft's scores carried onto the active version
        # The review loop (evaluations.services.review)
        WITHDRAW = "withdraw", "withdraw"
        DISCARD = "discard", "discard"
        COMMENT = "comment", "review comment"
        RESOLVE = "resolve", "review comment resolved"
        ASSIGN = "assign", "reviewer assigned"
        UNASSIGN = "unassign", "reviewer unassigned"
        # Independent double scoring (evaluations.services.double_scoring): the comment never holds a score.
        DOUBLE_REQUEST = "double_request", "double scoring requested"
        DOUBLE_SUBMIT = "double_submit", "independent scores submitted"
        SETTLE = "settle", "score difference settled"

    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16)
    comment = models.TextField(blank=True)
    evaluation_version = models.ForeignKey(
        EvaluationVersion, null=True, blank=True, on_delete=models.CASCADE, related_name="audit_entries"
    )
    rubric_version = models.ForeignKey(
        RubricVersion, null=True, blank=True, on_delete=models.CASCADE, related_name="audit_entries"
    )
    subject = models.CharField(
        max_length=300, blank=True, help_text="What else the entry is about (organization:slug), when not a version."
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "audit entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(evaluation_version__isnull=False, rubric_version__isnull=True)
                | Q(evaluation_version__isnull=True, rubric_version__isnull=False)
                | (Q(evaluation_version__isnull=True, rubric_version__isnull=True) & ~Q(subject="")),
                name="audit_entry_one_subject",
            )
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.from_state}->{self.to_state} at {self.at:%Y-%m-%d %H:%M}"


class Notification(models.Model):
    """One message to one member of the newsroom about a version: in the desk's list, and by email.

    Written only by evaluations.services.notifications; ``emailed_at`` makes the
    email task idempotent (a notification is emailed once, however often its task runs),
    and ``email_owed`` is what the sweep reads: the email is still to be sent (or decided
    against), so a message lost with the broker is queued again.
    """

    class Kind(models.TextChoices):
        SUBMIT = "submit", "submitted for review"
        SEND_BACK = "send_back", "sent back"
        PUBLISH = "publish", "published"
        COMMENT = "comment", "commented"  # a review comment (the comment service sends it)
        ASSIGN = "assign", "assigned to you"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    version = models.ForeignKey(EvaluationVersion, on_delete=models.CASCADE, related_name="notifications")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_owed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["created_at"], condition=models.Q(email_owed=True), name="notification_email_owed"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient_id}: version {self.version_id}"
