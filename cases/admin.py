from __future__ import annotations

from django.contrib import admin

from cases import relationships, services
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


class PartyInline(admin.TabularInline):
    model = Party
    extra = 0
    autocomplete_fields = ["organization"]


class SourceInline(admin.StackedInline):
    model = Source
    extra = 0

    def has_delete_permission(self, request, obj=None):
        # Django asks once per case, not per source: no deleting the sources of a case that a
        # published analysis cites from (the database would refuse the cited ones).
        return (obj is None or not services.sources_on_record(obj.sources.all())) and super().has_delete_permission(
            request, obj
        )


class TimelineInline(admin.TabularInline):
    model = TimelineEvent
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "slug"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    actions = None  # bulk deletion would bypass the per-case check below
    list_display = ["title", "announced_on", "status", "is_synthetic"]
    list_filter = ["status", "deal_types", "is_synthetic", "announced_on"]
    search_fields = ["title", "slug", "summary"]
    date_hierarchy = "announced_on"
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["deal_types", "tags"]
    readonly_fields = ["status", "first_published_at", "created_at", "updated_at"]
    inlines = [PartyInline, SourceInline, TimelineInline]

    def has_delete_permission(self, request, obj=None):
        # Published analyses and the audit trail stay on the record (the database refuses too).
        return (obj is None or not services.case_on_record(obj)) and super().has_delete_permission(request, obj)


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = ["case", "organization", "role"]
    list_filter = ["role"]
    search_fields = ["case__title", "organization__name"]
    list_select_related = ["case", "organization"]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    actions = None  # bulk deletion would bypass the per-source check below
    list_display = ["publisher", "title", "case", "published_on"]
    search_fields = ["publisher", "title", "url", "case__title"]
    list_select_related = ["case"]

    def has_delete_permission(self, request, obj=None):
        return (
            obj is None or not services.sources_on_record(Source.objects.filter(pk=obj.pk))
        ) and super().has_delete_permission(request, obj)


@admin.register(TimelineEvent)
class TimelineEventAdmin(admin.ModelAdmin):
    list_display = ["case", "kind", "occurred_on"]
    list_filter = ["kind"]
    list_select_related = ["case"]


@admin.register(DealType, Tag)
class VocabularyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


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

    def get_actions(self, request):
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
