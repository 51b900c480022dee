"""The archive's filters: one FilterSet for the reader's pages and the API."""

from __future__ import annotations

import functools
from typing import Any

import django_filters
from django import forms
from django.db import DatabaseError
from django.db.models import Q, QuerySet
from django.utils.choices import CallableChoiceIterator
from django_filters.fields import ModelChoiceField, ModelChoiceIterator

from cases import selectors, web_selectors
from cases.models import Case, DealType, Organization, Party
from evaluations.models import EvaluationVersion


class _ListedChoiceIterator(ModelChoiceIterator):
    """Reads the (few) choices with one plain query, not a server-side cursor, which costs more."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        if self.field.null_label is not None:
            yield (self.field.null_value, self.field.null_label)
        for obj in list(self.queryset):
            yield self.choice(obj)


class _ListedModelChoiceField(ModelChoiceField):
    iterator = _ListedChoiceIterator


class _ListedModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = _ListedModelChoiceField


class CaseFilterForm(forms.Form):
    """Ranges given the wrong way round match nothing: say so, rather than answer "no case"."""

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        after, before = data.get("announced_after"), data.get("announced_before")
        if after and before and after > before:
            self.add_error(
                "announced_before",
                forms.ValidationError(
                    "%(before)s is before %(after)s (“Announced from”): no case can be announced in between. "
                    "Swap the two dates.",
                    code="inverted",
                    params={"before": before.isoformat(), "after": after.isoformat()},
                ),
            )
        low, high = data.get("risk_min"), data.get("risk_max")
        if low is not None and high is not None and low > high:
            self.add_error(
                "risk_max",
                forms.ValidationError(
                    "%(high)s is below “Risk index from” (%(low)s): no case can match. Swap the two numbers.",
                    code="inverted",
                    params={"high": high, "low": low},
                ),
            )
        return data


def _vocabulary(name: str) -> CallableChoiceIterator:
    """The active rubric's choices, read when first iterated (a form, a validation, the schema).

    ``check --deploy`` generates the API schema with no database to read: it gets no choices
    there (the served schema, read with the database, lists them).
    """

    return CallableChoiceIterator(lambda: _vocabulary_read().get(name, []))


def _vocabulary_read() -> dict:
    try:
        return selectors.archive_vocabulary()
    except DatabaseError:
        return {}


class CaseFilter(django_filters.FilterSet):
    """Combinable filters over published cases; the parameter names are the public API."""

    organization_named: Organization | None = None

    organization = django_filters.CharFilter(method="filter_organization", label="Organization (slug, name or alias)")
    deal_type = _ListedModelChoiceFilter(
        field_name="deal_types",
        to_field_name="slug",
        queryset=DealType.objects.all(),
        label="Deal type",
        empty_label="Any",
    )
    announced_after = django_filters.DateFilter(field_name="announced_on", lookup_expr="gte", label="Announced from")
    announced_before = django_filters.DateFilter(field_name="announced_on", lookup_expr="lte", label="Announced until")
    # Read from the active rubric version when used (cached with the archive's other choices),
    # so the form, its validation and the API schema's enum follow a new version's vocabulary.
    classification = django_filters.ChoiceFilter(
        method="filter_classification",
        choices=_vocabulary("classifications"),
        label="A party classified as",
        empty_label="Any",
    )
    risk_band = django_filters.ChoiceFilter(
        field_name="risk_summary__risk_band",
        choices=_vocabulary("risk_bands"),
        label="Risk band",
        empty_label="Any",
    )
    risk_min = django_filters.NumberFilter(
        field_name="risk_summary__risk_index", lookup_expr="gte", label="Risk index from"
    )
    risk_max = django_filters.NumberFilter(
        field_name="risk_summary__risk_index", lookup_expr="lte", label="Risk index to"
    )
    tag = django_filters.CharFilter(method="filter_tag", label="Tag (slug)")
    rubric_version = django_filters.NumberFilter(
        field_name="risk_summary__rubric_version__number", label="Rubric version"
    )
    search = django_filters.CharFilter(method="filter_search", label="Search")

    class Meta:
        model = Case
        fields: list[str] = []
        form = CaseFilterForm

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The fields iterate their choices to validate and again to render: one read of the
        # vocabulary for this filter set (a request), not a cache round trip each time.
        vocabulary = functools.cache(_vocabulary_read)
        for name, key in (("classification", "classifications"), ("risk_band", "risk_bands")):
            self.filters[name].extra["choices"] = CallableChoiceIterator(lambda key=key: vocabulary().get(key, []))
            # A form field built earlier on the class's filter (the API schema builds them) is
            # copied with it and would keep the class's choices: build this one afresh.
            vars(self.filters[name]).pop("_field", None)

    def filter_organization(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        """A slug, or a name the organization goes by ("aws" for Amazon): the same rule as the desk's matching."""
        named = web_selectors.organizations_matching([value])[value]
        self.organization_named = named  # for the page's chip (only shown when that organization is public)
        organizations = Q(parties__organization__slug=value)
        if named is not None:
            organizations |= Q(parties__organization=named)
        return queryset.filter(pk__in=Case.objects.filter(organizations).values("pk"))

    def filter_tag(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return queryset.filter(pk__in=Case.objects.filter(tags__slug=value).values("pk"))

    def filter_classification(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return queryset.filter(
            pk__in=Case.objects.filter(risk_summary__party_figures__classification=value).values("pk")
        )

    def filter_search(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return selectors.case_search(queryset, value)


DATE_INPUT = forms.DateInput({"type": "date"})


class _SlugFilter(django_filters.CharFilter):
    """A slug, checked as one before any query (a NUL byte is a 400 on PostgreSQL too, not a 500)."""

    field_class = forms.SlugField


class ChangelogFilterForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        super().clean()
        since, until = self.cleaned_data.get("since"), self.cleaned_data.get("until")
        if since and until and since > until:
            self.add_error(
                "until",
                forms.ValidationError(
                    "%(until)s is before %(since)s (“Published from”): nothing can be published in between. "
                    "Swap the two dates.",
                    code="inverted",
                    params={"until": until.isoformat(), "since": since.isoformat()},
                ),
            )
        return self.cleaned_data


class ChangelogFilter(django_filters.FilterSet):
    """The public changelog's filters (page, feed and API): organization, case and period of publication."""

    organization = _ListedModelChoiceFilter(
        queryset=selectors.organization_list_published().only("pk", "slug", "name"),
        to_field_name="slug",
        field_name="case__parties__organization",  # what the method filters on; tells the schema the type
        method="filter_organization",
        label="Organization",
        empty_label="Any organization",
    )
    case = _SlugFilter(field_name="case__slug", label="Case (slug)", max_length=200)
    since = django_filters.DateFilter(
        field_name="published_at",
        lookup_expr="date__gte",
        label="Published from",
        widget=forms.DateInput({"type": "date"}),
    )
    until = django_filters.DateFilter(
        field_name="published_at",
        lookup_expr="date__lte",
        label="Published until",
        widget=forms.DateInput({"type": "date"}),
    )

    class Meta:
        model = EvaluationVersion
        fields: list[str] = []
        form = ChangelogFilterForm

    def filter_organization(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(case_id__in=Party.objects.filter(organization=value).values("case_id"))
