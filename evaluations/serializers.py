"""The API's shapes for evaluations and rubrics. Writes go through evaluations.services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.models import Case, Party, Source
from core.people import display_name
from evaluations import changelog, policy
from evaluations.compare import Comparison
from evaluations.evidence import NOTHING, QUOTED, SOURCE, score_basis
from evaluations.markdown import render as render_markdown
from evaluations.models import (
    Annotation,
    Citation,
    Criterion,
    EvaluationVersion,
    Revision,
    Rubric,
    RubricVersion,
    Score,
)
from evaluations.selectors import version_contributors
from evaluations.services.annotations import AnnotationInput
from evaluations.services.evidence import CitationInput
from evaluations.services.workflow import ScoreInput

# --- Reading ------------------------------------------------------------------


class CitationSerializer(serializers.ModelSerializer):
    """A quoted passage of one of the case's sources that the score rests on."""

    source_url = serializers.URLField(source="source.url", read_only=True)
    source_publisher = serializers.CharField(source="source.publisher", read_only=True)

    class Meta:
        model = Citation
        fields = ["source", "source_publisher", "source_url", "quote", "prefix", "suffix", "orphaned"]
        extra_kwargs = {"orphaned": {"help_text": "Its quote no longer appears in the source's excerpt."}}


class ScoreSerializer(serializers.ModelSerializer):
    criterion = serializers.CharField(source="criterion.key", read_only=True)
    organization = serializers.SerializerMethodField()
    role = serializers.SerializerMethodField()
    sources: serializers.PrimaryKeyRelatedField[Source] = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    citations = CitationSerializer(many=True, read_only=True)
    basis = serializers.SerializerMethodField()

    class Meta:
        model = Score
        fields = ["criterion", "organization", "role", "value", "rationale", "sources", "citations", "basis"]

    @extend_schema_field(serializers.ChoiceField(choices=[QUOTED, SOURCE, NOTHING]))
    def get_basis(self, score: Score) -> str:
        """What the score rests on: a quoted passage, a source without a quote, or nothing."""
        return score_basis(score)

    @extend_schema_field(OpenApiTypes.STR)
    def get_organization(self, score: Score) -> str | None:
        """The scored party's organization slug; null for a per-deal criterion."""
        return score.party.organization.slug if score.party is not None else None

    @extend_schema_field(OpenApiTypes.STR)
    def get_role(self, score: Score) -> str | None:
        """The scored party's role (an organization may hold several in a deal); null for a per-deal criterion."""
        return score.party.role if score.party is not None else None


class AnnotationSerializer(serializers.ModelSerializer):
    body_html = serializers.SerializerMethodField()

    class Meta:
        model = Annotation
        fields = ["id", "quote", "prefix", "suffix", "kind", "body", "body_html", "orphaned"]

    def get_body_html(self, annotation: Annotation) -> str:
        return render_markdown(annotation.body)


class _FactPartySerializer(serializers.Serializer):
    organization = serializers.SlugField(help_text="The organization's slug.")
    organization_name = serializers.CharField(read_only=True)
    role = serializers.CharField()
    note = serializers.CharField(required=False, allow_blank=True)


class _FactSourceSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, help_text="Set on sources the case holds; ignored when written.")
    publisher = serializers.CharField()
    title = serializers.CharField()
    url = serializers.URLField()
    published_on = serializers.DateField(required=False, allow_null=True)
    published_precision = serializers.CharField(required=False)
    claim = serializers.CharField(required=False, allow_blank=True)


class _FactTimelineSerializer(serializers.Serializer):
    kind = serializers.CharField()
    occurred_on = serializers.DateField()
    precision = serializers.CharField(required=False)
    note = serializers.CharField(required=False, allow_blank=True)


class CaseFactsSerializer(serializers.Serializer):
    """A version's facts: the case's fields as ``GET /api/v1/cases/{slug}/`` shows them (its schema only;
    the service parses and checks them). Empty for a version that carries none."""

    title = serializers.CharField(required=False)
    summary = serializers.CharField(required=False)
    announced_on = serializers.DateField(required=False)
    announced_precision = serializers.CharField(required=False)
    value_low_usd = serializers.IntegerField(required=False, allow_null=True)
    value_high_usd = serializers.IntegerField(required=False, allow_null=True)
    value_note = serializers.CharField(required=False, allow_blank=True)
    # Stored and shown as a decimal string ("300.0": exact), not a number as in the case detail; the service
    # also takes a number.
    capacity_mw = serializers.DecimalField(
        max_digits=10, decimal_places=1, required=False, allow_null=True, coerce_to_string=True
    )
    capacity_chips = serializers.IntegerField(required=False, allow_null=True)
    capacity_note = serializers.CharField(required=False, allow_blank=True)
    deal_types = serializers.ListField(child=serializers.CharField(), required=False)
    tags = serializers.ListField(child=serializers.CharField(), required=False)
    parties = _FactPartySerializer(many=True, required=False)
    sources = _FactSourceSerializer(many=True, required=False)
    timeline = _FactTimelineSerializer(many=True, required=False)


@extend_schema_field(CaseFactsSerializer)
class FactsField(serializers.JSONField):
    """Facts as JSON, passed to the service as given (it parses them, with errors by field)."""


class ParkedRationaleSerializer(serializers.Serializer):
    criterion = serializers.CharField(help_text="The criterion's key.")
    organization = serializers.CharField(allow_null=True, help_text="The party's organization slug; null: the deal.")
    rationale = serializers.CharField()


class EvaluationVersionSerializer(serializers.ModelSerializer):
    """A version of an analysis; the ETag header of its response guards edits."""

    case: serializers.SlugRelatedField[Case] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    rubric = serializers.CharField(source="evaluation.rubric_version.rubric.slug", read_only=True)
    rubric_version = serializers.IntegerField(source="evaluation.rubric_version.number", read_only=True)
    author = serializers.SerializerMethodField()
    narrative_html = serializers.SerializerMethodField()
    scores = ScoreSerializer(many=True, read_only=True)
    annotations = AnnotationSerializer(many=True, read_only=True)
    facts = FactsField(read_only=True, help_text="The case's facts as this version publishes them.")
    contributors = serializers.SerializerMethodField()
    parked_rationales = serializers.SerializerMethodField(
        help_text="A draft's rationales parked without a score (a PATCH of `scores` with `value: null`); "
        "always empty once submitted."
    )
    scoring = serializers.SerializerMethodField()

    class Meta:
        model = EvaluationVersion
        fields = [
            "id", "case", "number", "state", "rubric", "rubric_version", "author", "contributors", "verdict",
            "narrative", "narrative_html", "change_note", "correction_note", "lock_version", "created_at",
            "updated_at", "submitted_at", "publish_at", "published_at", "scores", "annotations", "facts",
            "parked_rationales", "scoring",
        ]  # fmt: skip

    @extend_schema_field(ParkedRationaleSerializer(many=True))
    def get_parked_rationales(self, version: EvaluationVersion) -> list[dict]:
        """In the shape a PATCH of ``scores`` takes them back (organization slugs, not party ids)."""
        # Only a draft holds any (submission refuses them); never shown for anything past it, and no query.
        if version.state != EvaluationVersion.State.DRAFT or not version.parked_rationales:
            return []
        slugs = dict(version.case.parties.values_list("pk", "organization__slug"))
        return [
            {
                "criterion": item["criterion"],
                "organization": slugs.get(item["party"]) if item["party"] is not None else None,
                "rationale": item["rationale"],
            }
            for item in version.parked_rationales
        ]

    def get_author(self, version: EvaluationVersion) -> str:
        """The author's display name (full name), never their login name."""
        return display_name(version.author)

    def get_contributors(self, version: EvaluationVersion) -> list[str]:
        """Who saved any part of this version (none of them may approve it), author first: usernames
        for the newsroom, display names for everyone else (a login name is never public)."""
        request = self.context.get("request")
        people = version_contributors(version)
        if policy.is_newsroom(request.user if request is not None else None):
            return [person.get_username() for person in people]
        return list(dict.fromkeys(display_name(person) for person in people))

    def get_scoring(self, version: EvaluationVersion) -> str:
        """How the scores were given: "scored by the editors" or, for an independent double scoring,
        "scored independently by two editors; settled" (its raw scores: the version's double-scoring
        endpoint). Read with the version (``versions_with_content`` joins it): no query."""
        double = getattr(version, "double_scoring", None)
        if double is None:
            return "scored by the editors"
        if double.settled_at is not None:
            return "scored independently by two editors; settled"
        return "being scored independently by two editors"

    def get_narrative_html(self, version: EvaluationVersion) -> str:
        """The narrative rendered from Markdown and sanitized."""
        return render_markdown(version.narrative)


class RevisionLineSerializer(serializers.ModelSerializer):
    """One kept save of a version: its number, who saved it and when, what it changed."""

    saved_by = serializers.CharField(source="saved_by.username", read_only=True, help_text="The saver's username.")

    class Meta:
        model = Revision
        fields = ["number", "saved_by", "saved_at", "what", "restored_from"]


class RevisionScoreSerializer(serializers.Serializer):
    criterion = serializers.CharField(help_text="The criterion's key.")
    organization = serializers.CharField(allow_null=True, help_text="The party's organization slug; null for the deal.")
    value = serializers.IntegerField()
    rationale = serializers.CharField(allow_blank=True)
    sources = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of the case's sources.")


class RevisionNoteSerializer(serializers.Serializer):
    quote = serializers.CharField()
    prefix = serializers.CharField(allow_blank=True)
    suffix = serializers.CharField(allow_blank=True)
    kind = serializers.ChoiceField(choices=Annotation.Kind.choices)
    body = serializers.CharField()


class RevisionSerializer(RevisionLineSerializer):
    """One revision's content: the version as that save left it."""

    narrative = serializers.CharField(source="content.narrative", allow_blank=True)
    verdict = serializers.CharField(source="content.verdict", allow_blank=True)
    change_note = serializers.CharField(source="content.change_note", allow_blank=True)
    scores = RevisionScoreSerializer(source="content.scores", many=True)
    annotations = RevisionNoteSerializer(source="content.annotations", many=True)

    class Meta(RevisionLineSerializer.Meta):
        fields = [*RevisionLineSerializer.Meta.fields, "narrative", "verdict", "change_note", "scores", "annotations"]


class VersionSummarySerializer(serializers.ModelSerializer):
    """A line of a case's public history."""

    rubric_version = serializers.IntegerField(source="evaluation.rubric_version.number", read_only=True)

    class Meta:
        model = EvaluationVersion
        fields = ["number", "state", "verdict", "change_note", "correction_note", "published_at", "rubric_version"]


class ScoreChangeSerializer(serializers.Serializer):
    criterion = serializers.CharField()
    party = serializers.CharField(help_text='The organization\'s name, or "deal".')
    before = serializers.IntegerField(allow_null=True)
    after = serializers.IntegerField(allow_null=True)
    rationale_before = serializers.CharField()
    rationale_after = serializers.CharField()
    changed = serializers.BooleanField()


class DiffLineSerializer(serializers.Serializer):
    op = serializers.ChoiceField(choices=["equal", "insert", "delete"])
    text = serializers.CharField()


class FactChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="A field of the case, as in GET of the case.")
    before = serializers.JSONField()
    after = serializers.JSONField()


class ComparisonSerializer(serializers.Serializer):
    a = serializers.IntegerField(source="a.number")
    b = serializers.IntegerField(source="b.number")
    verdict_before = serializers.CharField(source="a.verdict")
    verdict_after = serializers.CharField(source="b.verdict")
    verdict_changed = serializers.BooleanField()
    scores = ScoreChangeSerializer(many=True)
    narrative = DiffLineSerializer(
        many=True,
        help_text="The rendered text (no Markdown syntax) as runs of words; paragraphs are separated by a blank "
        "line. Narratives equal after text normalization give no insert or delete.",
    )
    narrative_changed = serializers.BooleanField(help_text="Whether the narrative's text changed at all.")
    facts = FactChangeSerializer(
        many=True, help_text="The case's facts that differ, field by field (none where a version predates facts)."
    )

    def to_representation(self, comparison: Comparison) -> dict:
        return super().to_representation(comparison)


class ScoreMoveSerializer(serializers.Serializer):
    criterion = serializers.CharField()
    party = serializers.CharField(help_text="The party's organization name, or “the deal”.")
    before = serializers.IntegerField(allow_null=True, help_text="Null: not scored before.")
    after = serializers.IntegerField(allow_null=True, help_text="Null: no longer scored.")


class ChangelogEntrySerializer(serializers.Serializer):
    """One published version after a case's first: what kind of change, why, and what moved."""

    case = serializers.CharField(source="version.case.slug")
    case_title = serializers.CharField(source="version.case.title")
    version = serializers.IntegerField(source="version.number")
    previous_version = serializers.IntegerField(source="previous.number")
    kind = serializers.ChoiceField(choices=list(changelog.KIND_LABELS.items()))
    published_at = serializers.DateTimeField(source="version.published_at")
    change_note = serializers.CharField(source="version.change_note")
    correction_note = serializers.CharField(source="version.correction_note")
    rubric = serializers.CharField(source="version.evaluation.rubric_version.rubric.slug")
    rubric_version_before = serializers.IntegerField(source="previous.evaluation.rubric_version.number")
    rubric_version_after = serializers.IntegerField(source="version.evaluation.rubric_version.number")
    risk_index_before = serializers.FloatField(source="before.risk_index", allow_null=True)
    risk_index_after = serializers.FloatField(source="after.risk_index", allow_null=True)
    classification_before = serializers.CharField(source="before.classification", allow_blank=True)
    classification_after = serializers.CharField(source="after.classification", allow_blank=True)
    moves = ScoreMoveSerializer(many=True, help_text="The scores that moved (from → to).")


class CompareQuerySerializer(serializers.Serializer):
    a = serializers.IntegerField(min_value=1, max_value=2**31 - 1, help_text="The older version's number.")
    b = serializers.IntegerField(min_value=1, max_value=2**31 - 1, help_text="The newer version's number.")


class CriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Criterion
        fields = ["key", "family", "weight", "per_party", "question", "guidance", "position"]


class RubricVersionSerializer(serializers.ModelSerializer):
    rubric: serializers.SlugRelatedField[Rubric] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    criteria = CriterionSerializer(many=True, read_only=True)

    class Meta:
        model = RubricVersion
        fields = [
            "rubric", "number", "status", "changelog", "scale_min", "scale_max", "scale_labels", "families",
            "classification", "crosswalk", "created_at", "activated_at", "retired_at", "criteria",
        ]  # fmt: skip


class RubricVersionLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = RubricVersion
        fields = ["number", "status", "changelog", "activated_at", "retired_at"]


class RubricSerializer(serializers.ModelSerializer):
    versions = serializers.SerializerMethodField()

    class Meta:
        model = Rubric
        fields = ["slug", "name", "description", "versions"]

    @extend_schema_field(RubricVersionLineSerializer(many=True))
    def get_versions(self, rubric: Rubric) -> list[dict]:
        # The view prefetches into ``visible_versions`` what this user may see (a Prefetch to_attr,
        # which django-stubs cannot type).
        versions: list[RubricVersion] = rubric.visible_versions  # type: ignore[attr-defined]
        return serializers.ListSerializer(versions, child=RubricVersionLineSerializer()).data


# --- Writing ------------------------------------------------------------------


class CitationWriteSerializer(serializers.Serializer):
    # Named "source" like the reading side's field; it shadows Field.source for the type checker only
    # (the serializer metaclass moves declared fields out of the class).
    source = serializers.IntegerField(  # type: ignore[assignment]
        min_value=1, max_value=2**63 - 1, help_text="The id of one of the case's sources."
    )
    quote = serializers.CharField(
        trim_whitespace=False, help_text="Words that appear exactly in that source's excerpt."
    )
    prefix = serializers.CharField(required=False, allow_blank=True, allow_null=True, trim_whitespace=False)
    suffix = serializers.CharField(required=False, allow_blank=True, allow_null=True, trim_whitespace=False)


class ScoreWriteSerializer(serializers.Serializer):
    criterion = serializers.CharField(max_length=64, help_text="The criterion's key.")
    organization = serializers.CharField(
        max_length=200, allow_null=True, help_text="The party's organization slug; null for a per-deal criterion."
    )
    role = serializers.ChoiceField(
        choices=Party.Role.choices,
        required=False,
        allow_null=True,
        help_text="The party's role; needed only when its organization holds several roles in the deal.",
    )
    value = serializers.IntegerField(
        min_value=-(2**15),
        max_value=2**15 - 1,
        allow_null=True,
        help_text="Null parks the rationale in the draft without a score (no sources or citations then); "
        "a draft holding a parked rationale cannot be submitted.",
    )
    rationale = serializers.CharField(required=False, allow_blank=True, default="")
    sources = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        default=list,
        help_text="Ids of the case's sources this score rests on.",
    )
    citations = CitationWriteSerializer(
        many=True, required=False, default=list, help_text="Passages quoted from the sources' excerpts."
    )


def _score_party(
    party_ids: dict[str, dict[str, int]], organization: str | None, role: str | None
) -> tuple[int | None, tuple[str, str] | None]:
    """The party a score names: (party id, None), or (None, (field, error))."""
    if organization is None:
        return None, None
    roles = party_ids.get(organization)
    if not roles:
        return None, ("organization", "that organization is not a party to this case")
    if role:
        if role not in roles:
            return None, ("role", f"that organization is not a party in this role (its roles: {', '.join(roles)})")
        return roles[role], None
    if len(roles) > 1:
        return None, ("role", f"this organization holds several roles here ({', '.join(roles)}): give the role")
    return next(iter(roles.values())), None


class AnnotationWriteSerializer(serializers.Serializer):
    quote = serializers.CharField(trim_whitespace=False)
    prefix = serializers.CharField(required=False, allow_blank=True, allow_null=True, trim_whitespace=False)
    suffix = serializers.CharField(required=False, allow_blank=True, allow_null=True, trim_whitespace=False)
    kind = serializers.ChoiceField(choices=Annotation.Kind.choices)
    body = serializers.CharField()


class EvaluationVersionWriteSerializer(serializers.Serializer):
    """A draft's edit: fields left out keep their value; a list given replaces the list held."""

    narrative = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    verdict = serializers.CharField(required=False, allow_blank=True, max_length=300)
    change_note = serializers.CharField(required=False, allow_blank=True)
    scores = ScoreWriteSerializer(many=True, required=False)
    annotations = AnnotationWriteSerializer(many=True, required=False)
    facts = FactsField(
        required=False,
        help_text="Any of the case's fields as in GET of the case (a list given replaces the list held); "
        "published with the version. Only for a case already published.",
    )

    def to_kwargs(self, party_ids: dict[str, dict[str, int]]) -> dict:
        """The service's keyword arguments; ``party_ids`` maps organization slugs to the case's
        parties by role (an organization may hold several roles in a deal: a score then names its role)."""
        data = dict(self.validated_data)
        if "scores" in data:
            errors: dict[str, list[str]] = {}
            resolved: list[int | None] = []
            for index, item in enumerate(data["scores"]):
                party_id, error = _score_party(party_ids, item["organization"], item.get("role"))
                if error:
                    errors[f"scores[{index}].{error[0]}"] = [error[1]]
                resolved.append(party_id)
            if errors:
                raise serializers.ValidationError(errors)
            data["scores"] = [
                ScoreInput(
                    criterion=item["criterion"],
                    party_id=party_id,
                    value=item["value"],
                    rationale=item["rationale"],
                    source_ids=tuple(item["sources"]),
                    citations=tuple(
                        CitationInput(
                            source_id=c["source"], quote=c["quote"], prefix=c.get("prefix"), suffix=c.get("suffix")
                        )
                        for c in item["citations"]
                    ),
                )
                for item, party_id in zip(data["scores"], resolved, strict=True)
            ]
        if "annotations" in data:
            data["annotations"] = [
                AnnotationInput(
                    quote=item["quote"],
                    kind=item["kind"],
                    body=item["body"],
                    prefix=item.get("prefix"),
                    suffix=item.get("suffix"),
                )
                for item in data["annotations"]
            ]
        return data


class SubmitSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class SendBackSerializer(serializers.Serializer):
    comment = serializers.CharField(help_text="What needs to change.")


class PublishSerializer(serializers.Serializer):
    publish_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Schedule for later (ISO 8601; an offset such as +02:00 is honoured, the site's time zone "
        "is assumed without one); now when left out. A time already past is refused (400).",
    )
    correction_note = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="For a version correcting a published analysis."
    )


class RescheduleSerializer(serializers.Serializer):
    publish_at = serializers.DateTimeField(
        help_text="The new time (ISO 8601, with an offset or in the site's time zone); it must still be to come."
    )


class UnscheduleSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", help_text="Why, for the audit log.")


class ScaleSerializer(serializers.Serializer):
    # No defaults here: a field left out keeps its value on PATCH, and takes
    # the model's default (0, 4, no labels) on creation.
    min = serializers.IntegerField(min_value=-100, max_value=100, required=False, help_text="0 when new.")
    max = serializers.IntegerField(min_value=-100, max_value=100, required=False, help_text="4 when new.")
    labels = serializers.ListField(child=serializers.CharField(), required=False)


class RubricVersionDataSerializer(serializers.Serializer):
    """rubric_v1.json's ``version``. Fields left out keep their value (PATCH) or the model's default (POST)."""

    number = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, required=False, help_text="The next number when left out; fixed once created."
    )
    changelog = serializers.CharField(required=False, allow_blank=True)
    scale = ScaleSerializer(required=False)
    families = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False, help_text="Family key to its description."
    )
    classification = serializers.DictField(
        required=False, help_text="Thresholds and risk bands, in the shape of rubric_v1.json's version.classification."
    )
    crosswalk = serializers.DictField(
        required=False,
        help_text="How the criteria of the version named in `from` map onto this one's, and how scores carry: "
        '`{"from": 1, "entries": [{"kind": "same|renamed|split|merged|dropped|new", "from": [old keys], '
        '"to": [new keys], "rule": "copy|average|max|unscored"}]}`; `{}` carries scores by key.',
    )


class CriterionWriteSerializer(serializers.Serializer):
    key = serializers.SlugField(max_length=64)
    family = serializers.ChoiceField(choices=Criterion.Family.choices)
    weight = serializers.DecimalField(max_digits=6, decimal_places=3, required=False, default=Decimal(1))
    per_party = serializers.BooleanField(required=False, default=True)
    question = serializers.CharField()
    guidance = serializers.CharField(required=False, allow_blank=True, default="")
    position = serializers.IntegerField(
        min_value=0, max_value=2**15 - 1, required=False, help_text="Its place in the list when left out."
    )


class RubricVersionWriteSerializer(serializers.Serializer):
    """rubric_v1.json's ``version`` and ``criteria``, as the service takes them."""

    def to_data(self) -> dict:
        data: dict[str, Any] = {}
        if "version" in self.validated_data:
            version = dict(self.validated_data["version"])
            if "scale" in version:
                version["scale"] = dict(version["scale"])
            data["version"] = version
        if "criteria" in self.validated_data:
            data["criteria"] = [dict(item) for item in self.validated_data["criteria"]]
        return data


class RubricVersionCreateSerializer(RubricVersionWriteSerializer):
    """A new draft in the shape of rubric_v1.json: ``version`` and ``criteria``."""

    version = RubricVersionDataSerializer()
    criteria = CriterionWriteSerializer(many=True)


class RubricVersionUpdateSerializer(RubricVersionWriteSerializer):
    """A draft's edit in the create shape: any subset of ``version``'s fields,
    and ``criteria``, which when given replaces the draft's whole list."""

    version = RubricVersionDataSerializer(required=False)
    criteria = CriterionWriteSerializer(
        many=True, required=False, help_text="When given, replaces the draft's whole list of criteria."
    )

    def validate(self, attrs: dict) -> dict:
        # A field PATCH does not know would otherwise be dropped silently: a 200
        # that changed nothing. (Version fields go inside ``version``.)
        unknown = sorted(set(self.initial_data) - set(self.fields)) if isinstance(self.initial_data, dict) else []
        if unknown:
            raise serializers.ValidationError(
                {
                    name: ["unknown field; send version fields inside `version`, criteria as `criteria`"]
                    for name in unknown
                }
            )
        return attrs


class RebaseSerializer(serializers.Serializer):
    """What moving a draft onto the active rubric version did (evaluations.services.rebase)."""

    from_rubric_version = serializers.IntegerField(source="from_number", help_text="The number it was scored under.")
    to_rubric_version = serializers.IntegerField(source="to_number", help_text="The active version's number.")
    carried = serializers.ListField(child=serializers.CharField(), help_text="Criterion keys whose scores came along.")
    dropped = serializers.ListField(
        child=serializers.CharField(), help_text="Criterion keys whose scores the active version cannot take."
    )
    to_score = serializers.ListField(child=serializers.CharField(), help_text="Criteria the active version adds.")
    version = EvaluationVersionSerializer()


# --- The review loop: private review comments (the newsroom only) -------------------------------


class ReviewReplySerializer(serializers.Serializer):
    author = serializers.CharField(source="author.username", read_only=True, help_text="The author's username.")
    body = serializers.CharField(max_length=10_000)
    created_at = serializers.DateTimeField(read_only=True)
    id = serializers.IntegerField(read_only=True)


class ReviewCommentSerializer(serializers.Serializer):
    """A comment thread: its anchor (a passage, a score, or neither), its replies, whether resolved."""

    id = serializers.IntegerField(read_only=True)
    author = serializers.CharField(source="author.username", read_only=True, help_text="The author's username.")
    body = serializers.CharField(max_length=10_000)
    quote = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2_000, help_text="Exact words of the narrative."
    )
    criterion = serializers.CharField(
        source="criterion.key",
        required=False,
        allow_blank=True,
        default="",
        max_length=64,
        help_text="A criterion key: the comment is on that score.",
    )
    organization = serializers.SlugField(
        source="party.organization.slug",
        required=False,
        allow_null=True,
        default=None,
        max_length=100,
        help_text="The scored party's organization slug (a per-party criterion); null for the deal.",
    )
    created_at = serializers.DateTimeField(read_only=True)
    resolved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    resolved_by = serializers.CharField(
        source="resolved_by.username", read_only=True, allow_null=True, help_text="Who resolved it."
    )
    replies = ReviewReplySerializer(many=True, read_only=True, source="reply_list")


class ReviewAssignSerializer(serializers.Serializer):
    reviewer = serializers.CharField(max_length=150, help_text="The reviewer's username.")


class ReviewAssignmentSerializer(serializers.Serializer):
    reviewer = serializers.CharField(source="reviewer.username", read_only=True)
    assigned_by = serializers.CharField(source="assigned_by.username", read_only=True)
    assigned_at = serializers.DateTimeField(read_only=True)


# --- The rubric crosswalk: activation impact, a case under two rubric versions ----------------


class IndexChangeSerializer(serializers.Serializer):
    case = serializers.CharField(source="slug")
    title = serializers.CharField()
    before = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    after = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    before_classification = serializers.CharField()
    after_classification = serializers.CharField()


class NotCarriedSerializer(serializers.Serializer):
    key = serializers.CharField()
    why = serializers.CharField()
    cases = serializers.IntegerField()


class ActivationImpactSerializer(serializers.Serializer):
    version_number = serializers.IntegerField()
    replaces = serializers.IntegerField(allow_null=True, help_text="The active version's number.")
    cases = serializers.IntegerField(help_text="Published cases under the rubric.")
    considered = serializers.IntegerField(help_text="How many were re-scored (at most RUBRIC_IMPACT_MAX_CASES).")
    needs_reevaluation = serializers.IntegerField()
    newly_needing = serializers.IntegerField()
    largest = IndexChangeSerializer(many=True, help_text="The largest changes in risk index, largest first.")
    not_carried = NotCarriedSerializer(many=True, help_text="What the crosswalk could not carry; in how many cases.")


class RubricVersionActivatedSerializer(RubricVersionSerializer):
    impact = serializers.SerializerMethodField()

    class Meta(RubricVersionSerializer.Meta):
        fields = [*RubricVersionSerializer.Meta.fields, "impact"]

    @extend_schema_field(ActivationImpactSerializer)
    def get_impact(self, version: RubricVersion) -> dict:
        return ActivationImpactSerializer(self.context["impact"]).data


class RubricVersionsQuerySerializer(serializers.Serializer):
    a = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        help_text="Default: the version it was scored under.",
    )
    b = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False, help_text="Default: the active one.")


class CellSerializer(serializers.Serializer):
    party = serializers.CharField(help_text="The party's organization; empty for the deal.")
    value = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=["scored", "carried", "missing"])
    how = serializers.CharField(help_text="How it was carried, or why it is missing.")


class CriterionRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    per_party = serializers.BooleanField()
    scores = serializers.SerializerMethodField()

    @extend_schema_field(CellSerializer(many=True))
    def get_scores(self, row) -> list[dict]:
        return [
            {"party": name, "value": cell.value, "status": cell.status, "how": cell.how}
            for cell, name in row.named_cells
        ]


class PartyFiguresSerializer(serializers.Serializer):
    party = serializers.CharField(source="name")
    leverage = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    workaround = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    dependency = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    classification = serializers.CharField()


class RubricSideSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    status = serializers.CharField()
    scored_under = serializers.BooleanField()
    risk_index = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    risk_band = serializers.CharField()
    classification = serializers.CharField()
    carried = serializers.IntegerField()
    missing = serializers.IntegerField()
    parties = PartyFiguresSerializer(many=True)
    criteria = CriterionRowSerializer(many=True, source="rows")


class TwoRubricVersionsSerializer(serializers.Serializer):
    rubric = serializers.CharField(source="rubric_slug")
    analysis_version = serializers.IntegerField(source="analysis_number")
    scored_under = serializers.IntegerField()
    versions = serializers.ListField(child=serializers.IntegerField(), help_text="Active and retired versions.")
    a = RubricSideSerializer()
    b = RubricSideSerializer()
