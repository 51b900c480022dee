"""The admin: the admins' tool. Frozen things (published versions, active and
retired rubric versions, the audit trail) are read-only here as everywhere."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import Truncator

from core.errors import TransitionNotAllowed, WorkflowError
from core.text import TextCleanModelForm
from evaluations import crosswalk, policy, rubric_impact, selectors
from evaluations.forms import CrosswalkForm
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
    form = TextCleanModelForm
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
    form = TextCleanModelForm
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


def _rubric_version_data(form, formsets) -> dict:
    """The admin's add form and criteria inline in rubric_version_create's input shape."""
    data = form.cleaned_data
    criteria = [
        {name: row[name] for name in CriterionInline.fields if name in row}
        for formset in formsets
        for row in formset.cleaned_data
        if row and not row.get("DELETE")
    ]
    return {
        "version": {
            "number": data["number"],
            "changelog": data.get("changelog", ""),
            "scale": {"min": data["scale_min"], "max": data["scale_max"], "labels": data.get("scale_labels") or []},
            "families": data.get("families") or {},
            "classification": data.get("classification") or {},
        },
        "criteria": criteria,
    }


@admin.register(RubricVersion)
class RubricVersionAdmin(admin.ModelAdmin):
    """Drafts are edited here (criteria inline, thresholds, changelog); active and
    retired versions are shown read-only. Start a draft by cloning a version."""

    form = TextCleanModelForm
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
        # A new version is written by the service with its criteria (save_related).
        # An edit runs in the change view's transaction: lock and re-check the state,
        # so a version activated since the form was opened is refused, not modified.
        if change:
            rubric_versions.rubric_version_require_draft(obj)
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)
            # The same validation as the service's edits; a refusal rolls the whole save back.
            rubric_versions.rubric_version_validate(form.instance, list(form.instance.criteria.all()))
            criteria_changed = any(formset.has_changed() for formset in formsets)
            rubric_versions.rubric_version_edit_record(
                version=form.instance,
                by=request.user,
                what=list(form.changed_data) + (["criteria"] if criteria_changed else []),
            )
            return
        version = rubric_versions.rubric_version_create(
            rubric=form.cleaned_data["rubric"],
            data=_rubric_version_data(form, formsets),
            by=request.user,
        )
        # The view logs and redirects to the object it holds: hand it the service's row.
        form.instance.pk = version.pk
        form.instance.status = version.status
        for formset in formsets:  # the change message reads what the formsets saved: nothing
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except TransitionNotAllowed as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.path)
        except ValidationError as exc:
            # Raised inside the view's transaction, so nothing was written.
            for field_name, errors in exc.message_dict.items():
                self.message_user(request, f"{field_name}: {' '.join(errors)}", messages.ERROR)
            return HttpResponseRedirect(request.path)

    change_form_template = "admin/evaluations/rubricversion/crosswalk_change_form.html"

    def get_urls(self):
        own = [
            path(
                "<int:pk>/crosswalk/",
                self.admin_site.admin_view(self.crosswalk_view),
                name="evaluations_rubricversion_crosswalk",
            ),
            path(
                "<int:pk>/activate/",
                self.admin_site.admin_view(self.activate_view),
                name="evaluations_rubricversion_activate",
            ),
        ]
        return own + super().get_urls()

    def _draft_or_404(self, request, pk: int) -> RubricVersion:
        version = RubricVersion.objects.select_related("rubric").filter(pk=pk).first()
        if version is None or not self.has_view_permission(request, version):
            raise Http404("No such rubric version.")
        return version

    def crosswalk_view(self, request, pk: int):
        """The crosswalk editor: what each criterion of the version mapped from becomes in this draft."""
        version = self._draft_or_404(request, pk)
        if not policy.allowed(request.user, "rubric_version.edit", version):
            return TemplateResponse(
                request,
                "admin/evaluations/rubricversion/crosswalk.html",
                {**self.admin_site.each_context(request), "version": version, "frozen": True, "opts": self.model._meta,
                 "walk": rubric_impact.rubric_version_crosswalk_table(version)},
                status=200 if request.method == "GET" else 409,
            )  # fmt: skip
        earlier = rubric_impact.crosswalk_sources(version)
        chosen = request.GET.get("from") or (version.crosswalk or {}).get("from")
        previous = next((v for v in earlier if str(v.number) == str(chosen)), earlier[0] if earlier else None)
        context = {**self.admin_site.each_context(request), "version": version, "opts": self.model._meta}
        if previous is None:
            return TemplateResponse(
                request, "admin/evaluations/rubricversion/crosswalk.html", {**context, "form": None}
            )
        old_keys = [c.key for c in previous.criteria.all()]
        new_keys = [c.key for c in version.criteria.all()]
        _, stored, _ = crosswalk.parse(version.crosswalk)
        if (version.crosswalk or {}).get("from") != previous.number:
            stored = []
        walked = crosswalk.complete(
            stored, selectors.rubric_version_info(previous).criteria, selectors.rubric_version_info(version).criteria
        )
        form = CrosswalkForm(request.POST or None, old_keys=old_keys, new_keys=new_keys, initial_entries=walked.entries)
        status = 200
        if request.method == "POST" and form.is_valid():
            try:
                rubric_versions.rubric_version_crosswalk_set(
                    version=version, by=request.user, data={"from": previous.number, "entries": form.entries()}
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
                status = 400
            except WorkflowError as exc:
                form.add_error(None, str(exc))
                status = 409
            else:
                self.message_user(request, f"The crosswalk from version {previous.number} is saved.")
                return HttpResponseRedirect(request.path)
        elif request.method == "POST":
            status = 400
        context |= {
            "form": form,
            "previous": previous,
            "earlier": earlier,
            "new_only": [e.new[0] for e in walked.entries if e.kind == "new"],
        }
        return TemplateResponse(request, "admin/evaluations/rubricversion/crosswalk.html", context, status=status)

    def activate_view(self, request, pk: int):
        """Activation asks first: its impact on the archive, then a confirm button."""
        version = self._draft_or_404(request, pk)
        refusal = policy.refusal(request.user, "rubric_version.activate", version)
        if isinstance(refusal, PermissionDenied):
            raise refusal
        context = {**self.admin_site.each_context(request), "version": version, "opts": self.model._meta}
        if refusal is not None:
            context["refusal"] = str(refusal)
            return TemplateResponse(request, "admin/evaluations/rubricversion/activate.html", context, status=409)
        if request.method == "POST":
            try:
                version, impact = rubric_versions.rubric_version_activate_reporting(version=version, by=request.user)
            except (WorkflowError, ValidationError) as exc:
                context["refusal"] = "; ".join(getattr(exc, "messages", [str(exc)]))
                return TemplateResponse(request, "admin/evaluations/rubricversion/activate.html", context, status=400)
            self.message_user(request, f"{version} is now active; summaries are being recomputed. {impact.as_text()}")
            return HttpResponseRedirect(reverse("admin:evaluations_rubricversion_change", args=[version.pk]))
        context["impact"] = rubric_impact.activation_impact(version)
        return TemplateResponse(request, "admin/evaluations/rubricversion/activate.html", context)

    @admin.action(description="Activate the selected draft version (asks first)", permissions=["activate"])
    def activate(self, request, queryset):
        versions = list(queryset[:2])
        if len(versions) != 1:
            self.message_user(request, "Activate one version at a time.", messages.ERROR)
            return None
        return HttpResponseRedirect(reverse("admin:evaluations_rubricversion_activate", args=[versions[0].pk]))

    def has_activate_permission(self, request):
        return policy.allowed(request.user, "rubric_version.activate")

    @admin.action(description="Clone the selected version as a new draft", permissions=["add"])
    def clone(self, request, queryset):
        for version in queryset:
            draft = rubric_versions.rubric_version_clone(version=version, by=request.user)
            self.message_user(request, f"{draft} created from version {version.number}: edit it, then activate it.")


_SCORE_FIELDS = ("criterion", "party", "value", "rationale")


class ScoreInline(admin.TabularInline):
    model = Score
    extra = 0
    fields = _SCORE_FIELDS
    readonly_fields = _SCORE_FIELDS
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


_ANNOTATION_FIELDS = ("kind", "quote", "prefix", "suffix", "body", "author", "orphaned")


class AnnotationInline(admin.StackedInline):
    model = Annotation
    extra = 0
    fields = _ANNOTATION_FIELDS
    readonly_fields = _ANNOTATION_FIELDS
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


_AUDIT_FIELDS = ("at", "action", "actor", "from_state", "to_state", "comment")


class AuditInline(admin.TabularInline):
    model = AuditEntry
    fk_name = "evaluation_version"
    extra = 0
    fields = _AUDIT_FIELDS
    readonly_fields = _AUDIT_FIELDS
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


_FIGURE_FIELDS = ("organization", "leverage", "workaround", "dependency", "classification")


class PartyFigureInline(admin.TabularInline):
    model = PartyFigure
    extra = 0
    fields = _FIGURE_FIELDS
    readonly_fields = _FIGURE_FIELDS


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
