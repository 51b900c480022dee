from __future__ import annotations

from django.contrib import admin

from cases import services
from cases.models import Case, DealType, Organization, Party, Source, Tag, TimelineEvent
from core.text import TextCleanModelForm


class PartyInline(admin.TabularInline):
    form = TextCleanModelForm  # the one text rule (core.text), as the desk and the API apply it
    model = Party
    extra = 0
    autocomplete_fields = ["organization"]


class SourceInline(admin.StackedInline):
    form = TextCleanModelForm
    model = Source
    extra = 0

    def has_delete_permission(self, request, obj=None):
        # Django asks once per case, not per source: no deleting the sources of a case that a
        # published analysis cites from (the database would refuse the cited ones).
        return (obj is None or not services.sources_on_record(obj.sources.all())) and super().has_delete_permission(
            request, obj
        )


class TimelineInline(admin.TabularInline):
    form = TextCleanModelForm
    model = TimelineEvent
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    form = TextCleanModelForm
    list_display = ["name", "kind", "slug"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


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

    def has_delete_permission(self, request, obj=None):
        # Published analyses and the audit trail stay on the record (the database refuses too).
        return (obj is None or not services.case_on_record(obj)) and super().has_delete_permission(request, obj)


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    form = TextCleanModelForm
    list_display = ["case", "organization", "role"]
    list_filter = ["role"]
    search_fields = ["case__title", "organization__name"]
    list_select_related = ["case", "organization"]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    form = TextCleanModelForm
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
    form = TextCleanModelForm
    list_display = ["case", "kind", "occurred_on"]
    list_filter = ["kind"]
    list_select_related = ["case"]


@admin.register(DealType, Tag)
class VocabularyAdmin(admin.ModelAdmin):
    form = TextCleanModelForm
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
