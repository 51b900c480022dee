"""The admin: the admins' tool. Frozen things (published versions, active and
retired rubric versions, the audit trail) are read-only here as everywhere."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.utils.text import Truncator

from core.errors import TransitionNotAllowed, WorkflowError
from evaluations import policy
from evaluations.models import (
    Annotation,
    AuditEntry,
    Criterion,
    Evaluation,
    EvaluationVersion,
    OrganizationExposure,
    PartyFigure,
    RiskSummary,
    Rubric,
    RubricVersion,
    Score,
)
from evaluations.services import rubric_versions


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services: viewable, never edited by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0
    fields = ["position", "key", "family", "weight", "per_party", "question", "guidance"]

    def _editable(self, obj) -> bool:
        return obj is None or obj.is_editable

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


@admin.register(Rubric)
class RubricAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(RubricVersion)
class RubricVersionAdmin(admin.ModelAdmin):
    """Drafts are edited here (criteria inline, thresholds, changelog); active and
    retired versions are shown read-only. Start a draft by cloning a version."""

    list_display = ["__str__", "number", "status", "criteria_count", "changelog_excerpt", "activated_at", "retired_at"]
    list_display_links = ["__str__"]
    list_filter = ["rubric", "status"]
    list_select_related = ["rubric"]
    inlines = [CriterionInline]
    readonly_fields = ["status", "activated_at", "retired_at", "created_at", "created_by"]
    fieldsets = [
        (None, {"fields": ["rubric", "number", "status", "changelog"]}),
        ("Scale", {"fields": ["scale_min", "scale_max", "scale_labels", "families"]}),
        ("Classification thresholds and risk bands", {"fields": ["classification"]}),
        ("History", {"fields": ["created_at", "created_by", "activated_at", "retired_at"]}),
    ]
    actions = ["activate", "clone"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_criteria=Count("criteria"))

    @admin.display(description="criteria", ordering="n_criteria")
    def criteria_count(self, obj) -> int:
        return obj.n_criteria

    @admin.display(description="changelog")
    def changelog_excerpt(self, obj) -> str:
        return Truncator(obj.changelog).chars(80)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not obj.is_editable:
            return [field.name for field in self.model._meta.fields]
        return self.readonly_fields

    def has_change_permission(self, request, obj=None):
        return (obj is None or obj.is_editable) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (obj is None or obj.is_editable) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        # The change view runs in a transaction: lock and re-check the state, so a
        # version activated since the form was opened is refused, not modified.
        if change:
            rubric_versions.rubric_version_require_draft(obj)
        else:
            obj.created_by = request.user
            obj.status = RubricVersion.Status.DRAFT
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        rubric_versions.rubric_version_require_draft(form.instance)
        super().save_formset(request, form, formset, change)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except TransitionNotAllowed as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.path)

    @admin.action(description="Activate the selected draft version", permissions=["activate"])
    def activate(self, request, queryset):
        for version in queryset:
            try:
                rubric_versions.rubric_version_activate(version=version, by=request.user)
            except (WorkflowError, ValidationError) as exc:
                self.message_user(request, f"{version}: {exc}", messages.ERROR)
            else:
                self.message_user(request, f"{version} is now active; summaries are being recomputed.")

    def has_activate_permission(self, request):
        return policy.allowed(request.user, "rubric_version.activate")

    @admin.action(description="Clone the selected version as a new draft", permissions=["add"])
    def clone(self, request, queryset):
        for version in queryset:
            draft = rubric_versions.rubric_version_clone(version=version, by=request.user)
            self.message_user(request, f"{draft} created from version {version.number}: edit it, then activate it.")


class ScoreInline(admin.TabularInline):
    model = Score
    extra = 0
    fields = ["criterion", "party", "value", "rationale"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class AnnotationInline(admin.StackedInline):
    model = Annotation
    extra = 0
    fields = ["kind", "quote", "prefix", "suffix", "body", "author", "orphaned"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class AuditInline(admin.TabularInline):
    model = AuditEntry
    fk_name = "evaluation_version"
    extra = 0
    fields = ["at", "action", "actor", "from_state", "to_state", "comment"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ["case", "rubric_version", "created_at"]
    list_select_related = ["case", "rubric_version__rubric"]
    search_fields = ["case__title"]


@admin.register(EvaluationVersion)
class EvaluationVersionAdmin(ReadOnlyAdmin):
    """Versions are written on the desk, through the workflow; here they are read."""

    list_display = ["case", "number", "state", "author", "published_at"]
    list_filter = ["state"]
    search_fields = ["case__title", "narrative"]
    list_select_related = ["case", "author"]
    inlines = [ScoreInline, AnnotationInline, AuditInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return policy.is_newsroom(request.user)


@admin.register(Annotation)
class AnnotationAdmin(ReadOnlyAdmin):
    list_display = ["version", "kind", "quote", "orphaned"]
    list_filter = ["kind", "orphaned"]
    list_select_related = ["version__case"]


class PartyFigureInline(admin.TabularInline):
    model = PartyFigure
    extra = 0
    fields = ["organization", "leverage", "workaround", "dependency", "classification"]
    readonly_fields = fields


@admin.register(RiskSummary)
class RiskSummaryAdmin(ReadOnlyAdmin):
    list_display = [
        "case",
        "risk_index",
        "risk_band",
        "classification",
        "rubric_version",
        "stale",
        "needs_reevaluation",
        "missing_criteria",
        "computed_at",
    ]
    list_filter = ["stale", "needs_reevaluation", "risk_band", "classification"]
    search_fields = ["case__title"]
    list_select_related = ["case", "rubric_version__rubric"]
    inlines = [PartyFigureInline]


@admin.register(OrganizationExposure)
class OrganizationExposureAdmin(ReadOnlyAdmin):
    list_display = ["organization", "concentration_hhi", "stale", "computed_at"]
    list_filter = ["stale"]
    list_select_related = ["organization"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "actor", "from_state", "to_state", "evaluation_version", "rubric_version"]
    list_filter = ["action"]
    list_select_related = ["actor", "evaluation_version__case", "rubric_version__rubric"]
    date_hierarchy = "at"
