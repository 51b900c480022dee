"""The admin for the case library.

Writes go through the services: organizations are saved by
``organization_create``/``organization_update`` (which bring cached pages,
filter choices and counterparties' exposures up to date). Cases and everything
under them (parties, sources, timeline) are read-only here: a published case's
facts change only through an evaluation version, a draft case through the desk
or the API (the services' rules, text normalization, search document); a case
with no evaluation history may be deleted, through ``case_delete``.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.options import Action, ActionLocation, InlineModelAdmin
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect

from cases import relationships, selectors, services
from cases.models import (
    Case,
    DealType,
    Organization,
    OrganizationAlias,
    OrganizationRelationship,
    Party,
    Source,
    Tag,
    TimelineEvent,
    normalize_organization_name,
)
from core.text import TextCleanModelForm


class DraftCaseInline(InlineModelAdmin):
    """An inline of a case's rows: read-only (the desk and the API write them, through the services)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PartyInline(DraftCaseInline, admin.TabularInline):
    form = TextCleanModelForm  # the one text rule (core.text), as the desk and the API apply it
    model = Party
    extra = 0
    autocomplete_fields = ["organization"]


class SourceInline(DraftCaseInline, admin.StackedInline):
    form = TextCleanModelForm
    model = Source
    extra = 0


class TimelineInline(DraftCaseInline, admin.TabularInline):
    form = TextCleanModelForm
    model = TimelineEvent
    extra = 0


class CaseRowAdmin(admin.ModelAdmin):
    """A row under a case (party, source, timeline event): read-only here."""

    form = TextCleanModelForm  # the one text rule (core.text), as the desk and the API apply it
    actions = None  # bulk deletion would bypass the per-row check

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    form = TextCleanModelForm
    list_display = ["name", "kind", "slug"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    actions = None  # bulk deletion is not a service

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in ("name", "kind", "description", "slug")}
        if change:
            # The service compares with the stored row (a rename re-computes counterparties' exposures).
            saved = services.organization_update(
                organization=Organization.objects.get(pk=obj.pk), by=request.user, **fields
            )
        else:
            saved = services.organization_create(by=request.user, **fields)
        obj.pk = saved.pk

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            # Raised inside the view's transaction, so nothing was written.
            for field_name, errors in exc.message_dict.items():
                self.message_user(request, f"{field_name}: {' '.join(errors)}", messages.ERROR)
            return HttpResponseRedirect(request.path)


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    form = TextCleanModelForm
    actions = None  # bulk deletion would bypass the per-case check below
    list_display = ["title", "announced_on", "status", "is_synthetic"]
    list_filter = ["status", "deal_types", "is_synthetic", "announced_on"]
    search_fields = ["title", "slug", "summary"]
    date_hierarchy = "announced_on"
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["deal_types", "tags"]
    readonly_fields = ["status", "first_published_at", "created_at", "updated_at"]
    inlines = [PartyInline, SourceInline, TimelineInline]

    def has_add_permission(self, request):
        return False  # the desk and the API create cases, through the services

    def has_change_permission(self, request, obj=None):
        return False  # facts: a published case's through a version, a draft's through the desk or the API

    def has_delete_permission(self, request, obj=None):
        # Published analyses and the audit trail stay on the record (the database refuses too).
        return (obj is None or not services.case_on_record(obj)) and super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        services.case_delete(case=obj, by=request.user)


@admin.register(Party)
class PartyAdmin(CaseRowAdmin):
    list_display = ["case", "organization", "role"]
    list_filter = ["role"]
    search_fields = ["case__title", "organization__name"]
    list_select_related = ["case", "organization"]


@admin.register(Source)
class SourceAdmin(CaseRowAdmin):
    list_display = ["publisher", "title", "case", "published_on"]
    search_fields = ["publisher", "title", "url", "case__title"]
    list_select_related = ["case"]


@admin.register(TimelineEvent)
class TimelineEventAdmin(CaseRowAdmin):
    list_display = ["case", "kind", "occurred_on"]
    list_filter = ["kind"]
    list_select_related = ["case"]


@admin.register(DealType, Tag)
class VocabularyAdmin(admin.ModelAdmin):
    form = TextCleanModelForm
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    # The archive's filter lists show these names, rendered once and cached (selectors.archive_choices).
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        selectors.archive_choices_forget()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        selectors.archive_choices_forget()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        selectors.archive_choices_forget()


@admin.register(OrganizationRelationship)
class OrganizationRelationshipAdmin(admin.ModelAdmin):
    """Writes go through ``cases.relationships`` (the role check, the audit entry, the recompute)."""

    list_display = ["subject", "kind", "parent", "started_on", "ended_on", "is_published"]
    list_filter = ["kind", "is_published"]
    autocomplete_fields = ["subject", "parent"]
    search_fields = ["subject__name", "parent__name"]

    def save_model(self, request, obj, form, change):
        data = relationships.RelationshipInput(
            **{name: getattr(obj, name) for name in relationships.RelationshipInput.__dataclass_fields__}
        )
        existing = OrganizationRelationship.objects.get(pk=obj.pk) if change else None
        saved = relationships.relationship_save(by=request.user, data=data, relationship=existing)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        relationships.relationship_delete(by=request.user, relationship=obj)

    def get_actions(
        self, request, action_location: ActionLocation = ActionLocation.CHANGE_LIST
    ) -> dict[str, Action | None]:
        return {}  # no bulk delete: each removal is audited through the service


@admin.register(OrganizationAlias)
class OrganizationAliasAdmin(admin.ModelAdmin):
    list_display = ["name", "organization"]
    autocomplete_fields = ["organization"]
    search_fields = ["name", "organization__name"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.normalized = normalize_organization_name(obj.name)
            obj.save()
            return
        obj.pk = relationships.alias_add(by=request.user, organization=obj.organization, name=obj.name).pk
