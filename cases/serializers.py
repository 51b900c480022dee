"""The API's shapes for the case library. Serializers parse and present; writes go
through cases.services."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.models import Case, DatePrecision, DealType, Organization, Party, Source, Tag, TimelineEvent
from cases.services import CaseInput, PartyInput, SourceInput
from evaluations.models import OrganizationExposure, PartyFigure, RiskSummary
from evaluations.serializers import EvaluationVersionSerializer

# --- Reading ------------------------------------------------------------------


class PartySerializer(serializers.ModelSerializer):
    """A party as written (organization slug, role) plus the organization's name."""

    organization: serializers.SlugRelatedField[Organization] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    organization_name = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = Party
        fields = ["organization", "organization_name", "role", "note"]


class SourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["id", "publisher", "title", "url", "published_on", "published_precision", "claim"]


class TimelineEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = TimelineEvent
        fields = ["kind", "occurred_on", "precision", "note"]


class PartyFigureSerializer(serializers.ModelSerializer):
    organization: serializers.SlugRelatedField[Organization] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    organization_name = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = PartyFigure
        fields = ["organization", "organization_name", "leverage", "workaround", "dependency", "classification"]


class RiskSummarySerializer(serializers.ModelSerializer):
    rubric = serializers.SerializerMethodField()
    rubric_version = serializers.SerializerMethodField()
    parties = PartyFigureSerializer(source="party_figures", many=True, read_only=True)

    class Meta:
        model = RiskSummary
        fields = [
            "risk_index", "risk_band", "classification", "rubric", "rubric_version", "stale",
            "needs_reevaluation", "missing_criteria", "computed_at", "parties",
        ]  # fmt: skip

    @extend_schema_field(OpenApiTypes.STR)
    def get_rubric(self, summary: RiskSummary) -> str | None:
        return summary.rubric_version.rubric.slug if summary.rubric_version is not None else None

    @extend_schema_field(OpenApiTypes.INT)
    def get_rubric_version(self, summary: RiskSummary) -> int | None:
        return summary.rubric_version.number if summary.rubric_version is not None else None


class CaseListSerializer(serializers.ModelSerializer):
    """An archive row: the case's own fields, parties, and its headline figures."""

    deal_types: serializers.SlugRelatedField[DealType] = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True
    )
    tags: serializers.SlugRelatedField[Tag] = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    parties = PartySerializer(many=True, read_only=True)
    risk_index = serializers.DecimalField(
        source="risk_summary.risk_index", max_digits=4, decimal_places=1, read_only=True, allow_null=True
    )
    risk_band = serializers.CharField(source="risk_summary.risk_band", read_only=True, allow_null=True)
    classification = serializers.CharField(source="risk_summary.classification", read_only=True, allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "slug", *Case.FACT_FIELDS, "deal_types", "tags", "parties",
            "status", "first_published_at", "risk_index", "risk_band", "classification", "url",
        ]  # fmt: skip

    def get_url(self, case: Case) -> str:
        return reverse("api:case-detail", kwargs={"slug": case.slug})


class CaseDetailSerializer(CaseListSerializer):
    """A case with everything its page shows; ``current_version`` comes from the context."""

    sources = SourceSerializer(many=True, read_only=True)
    timeline = TimelineEventSerializer(many=True, read_only=True)
    risk_summary = serializers.SerializerMethodField()
    current_version = serializers.SerializerMethodField()

    class Meta(CaseListSerializer.Meta):
        fields = [*CaseListSerializer.Meta.fields, "sources", "timeline", "risk_summary", "current_version"]

    @extend_schema_field(RiskSummarySerializer(allow_null=True))
    def get_risk_summary(self, case: Case) -> dict | None:
        summary = getattr(case, "risk_summary", None)
        return RiskSummarySerializer(summary).data if summary is not None else None

    @extend_schema_field(EvaluationVersionSerializer(allow_null=True))
    def get_current_version(self, case: Case) -> dict | None:
        version = self.context.get("current_version")
        return EvaluationVersionSerializer(version, context=self.context).data if version is not None else None


class ExposureSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrganizationExposure
        fields = ["suppliers", "concentration_hhi", "classification_counts", "trend", "stale", "computed_at"]


class OrganizationSerializer(serializers.ModelSerializer):
    exposure = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = ["slug", "name", "kind", "description", "exposure"]

    @extend_schema_field(ExposureSerializer(allow_null=True))
    def get_exposure(self, organization: Organization) -> dict | None:
        exposure = getattr(organization, "exposure", None)
        return ExposureSerializer(exposure).data if exposure is not None else None


# --- Writing ------------------------------------------------------------------


class OrganizationWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Organization.Kind.choices)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    # Leave it out for one made from the name; an empty slug is refused (it would address nothing).
    slug = serializers.SlugField(max_length=200, required=False)


class PartyWriteSerializer(serializers.Serializer):
    organization = serializers.SlugField(max_length=200, help_text="The organization's slug.")
    role = serializers.ChoiceField(choices=Party.Role.choices)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class SourceWriteSerializer(serializers.Serializer):
    publisher = serializers.CharField(max_length=300)
    title = serializers.CharField(max_length=500)
    url = serializers.URLField(max_length=1000)
    published_on = serializers.DateField(required=False, allow_null=True, default=None)
    published_precision = serializers.ChoiceField(
        choices=DatePrecision.choices, required=False, default=DatePrecision.DAY
    )
    claim = serializers.CharField(required=False, allow_blank=True, default="")

    def to_input(self) -> SourceInput:
        return SourceInput(**self.validated_data)


def organization_ids_by_slug(slugs: list[str]) -> dict[str, int]:
    return dict(Organization.objects.filter(slug__in=slugs).values_list("slug", "pk"))


def party_inputs(items: list[dict], *, field: str | None = "parties") -> tuple[PartyInput, ...]:
    """Parties as the service takes them; an unknown organization slug is a 400 on its row
    (``parties[i].organization``, or ``organization`` for a single party, ``field=None``)."""
    ids = organization_ids_by_slug([item["organization"] for item in items])
    errors = {
        (f"{field}[{index}].organization" if field else "organization"): [
            f"no organization with slug {item['organization']!r}"
        ]
        for index, item in enumerate(items)
        if item["organization"] not in ids
    }
    if errors:
        raise serializers.ValidationError(errors)
    return tuple(
        PartyInput(organization_id=ids[item["organization"]], role=item["role"], note=item.get("note", ""))
        for item in items
    )


class CaseWriteSerializer(serializers.Serializer):
    """A case as editors write it. On update, fields left out keep their value."""

    title = serializers.CharField(max_length=300)
    summary = serializers.CharField()
    announced_on = serializers.DateField()
    announced_precision = serializers.ChoiceField(choices=DatePrecision.choices, required=False)
    slug = serializers.SlugField(max_length=200, required=False, allow_blank=True)
    deal_types = serializers.ListField(child=serializers.SlugField(max_length=64), required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    parties = PartyWriteSerializer(many=True, required=False)
    sources = SourceWriteSerializer(many=True, required=False)
    value_low_usd = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=2**63 - 1)
    value_high_usd = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=2**63 - 1)
    value_note = serializers.CharField(required=False, allow_blank=True)
    capacity_mw = serializers.DecimalField(
        max_digits=10, decimal_places=1, required=False, allow_null=True, min_value=Decimal(0)
    )
    capacity_chips = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=2**63 - 1)
    capacity_note = serializers.CharField(required=False, allow_blank=True)

    def __init__(self, *args, update: bool = False, **kwargs):
        # An update leaves out what it does not change; but a party or source it
        # does give must be whole, so this is not DRF's ``partial`` (which would
        # reach into the nested items too).
        super().__init__(*args, **kwargs)
        if update:
            for field in self.fields.values():
                field.required = False

    def to_input(self, case: Case | None = None) -> CaseInput:
        """The service's input; for an update, what was left out is taken from ``case``."""
        data = dict(self.validated_data)
        if case is not None:
            for name in Case.FACT_FIELDS:
                data.setdefault(name, getattr(case, name))
            data.setdefault("deal_types", [d.slug for d in case.deal_types.all()])
            data.setdefault("tags", [t.name for t in case.tags.all()])
        parties = data.pop("parties", None)
        sources = data.pop("sources", None)
        return CaseInput(
            **{**data, "deal_types": tuple(data.get("deal_types", ())), "tags": tuple(data.get("tags", ()))},
            parties=party_inputs(parties) if parties is not None else None,
            sources=tuple(SourceInput(**item) for item in sources) if sources is not None else None,
        )
