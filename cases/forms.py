"""Desk forms for cases: they parse and validate input; the services write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from cases.desk_services import PartyRow
from cases.models import Case, DatePrecision, DealType, Organization, Party, Source, TimelineEvent
from cases.services import CaseInput, SourceInput
from cases.web_selectors import organization_aliases

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CaseForm(forms.Form):
    title = forms.CharField(max_length=300)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    announced_on = forms.DateField(widget=DATE, help_text="For a month or a year, give its first day.")
    announced_precision = forms.ChoiceField(choices=DatePrecision.choices, initial=DatePrecision.DAY)
    deal_types = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    value_low_usd = forms.IntegerField(required=False, min_value=0, label="Reported value, low (USD)")
    value_high_usd = forms.IntegerField(required=False, min_value=0, label="Reported value, high (USD)")
    value_note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    capacity_mw = forms.DecimalField(
        required=False, min_value=0, max_digits=10, decimal_places=1, label="Capacity (MW)"
    )
    capacity_chips = forms.IntegerField(required=False, min_value=0, label="Capacity (chips)")
    capacity_note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    tags = forms.CharField(required=False, help_text="Comma-separated; new tags are created.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        deal_types = self.fields["deal_types"]
        assert isinstance(deal_types, forms.ChoiceField)
        deal_types.choices = list(DealType.objects.values_list("slug", "name"))

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        low, high = cleaned.get("value_low_usd"), cleaned.get("value_high_usd")
        if low is not None and high is not None and low > high:
            self.add_error("value_high_usd", "The high end of the range is below the low end.")
        return cleaned

    @staticmethod
    def initial_for(case: Case) -> dict:
        return {
            **{name: getattr(case, name) for name in Case.FACT_FIELDS},
            "deal_types": [d.slug for d in case.deal_types.all()],
            "tags": ", ".join(t.name for t in case.tags.all()),
        }

    def case_input(self, sources: tuple[SourceInput, ...]) -> CaseInput:
        data = self.cleaned_data
        return CaseInput(
            **{name: data[name] for name in Case.FACT_FIELDS},
            deal_types=tuple(data["deal_types"]),
            tags=tuple(t.strip() for t in data["tags"].split(",") if t.strip()),
            sources=sources,
        )


class DeskCaseFilterForm(forms.Form):
    """The desk case list's search and filters (GET); every choice is in the URL."""

    STATUSES = [
        ("", "any status"),
        ("unpublished", "never published"),
        ("published", "published"),
        ("draft", "with a draft version"),
        ("in_review", "with a version in review"),
        ("scheduled", "with a scheduled version"),
    ]

    q = forms.CharField(required=False, max_length=200, label="Search titles and slugs (drafts too)")
    status = forms.ChoiceField(required=False, choices=STATUSES)
    author = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Version by")
    assignee = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Assigned to")
    needs_reevaluation = forms.BooleanField(required=False, label="Needs re-evaluation")

    def __init__(self, *args, authors=(), assignees=(), **kwargs):
        super().__init__(*args, **kwargs)
        for name, people in (("author", authors), ("assignee", assignees)):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [("", "anyone"), *people]


class PartyForm(forms.Form):
    """A party row: an existing organization, or a new one named here."""

    organization = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    new_organization_name = forms.CharField(
        required=False,
        max_length=200,
        label="or type its name",
        help_text="A name or alias it already goes by (AWS) picks that organization; a new name creates one.",
        widget=forms.TextInput(attrs={"list": "organization-names", "autocomplete": "off"}),
    )
    new_organization_kind = forms.ChoiceField(
        required=False, choices=[("", "kind…"), *Organization.Kind.choices], label="its kind"
    )
    role = forms.ChoiceField(choices=[("", "role…"), *Party.Role.choices], required=False)
    note = forms.CharField(required=False, max_length=300)

    def __init__(self, *args, organization_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Choices are read once per page and shared by every row: no query per row.
        organization = self.fields["organization"]
        assert isinstance(organization, forms.ChoiceField)
        organization.choices = [("", "organization…"), *organization_choices]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if not self.has_changed() or cleaned.get("DELETE"):
            return cleaned
        organization, name = cleaned.get("organization"), cleaned.get("new_organization_name", "").strip()
        if organization and name:
            raise ValidationError("Choose an organization or name a new one, not both.")
        if not organization and not name and "organization" not in self.errors:
            self.add_error("organization", "Choose an organization, or name a new one.")
        if name and not cleaned.get("new_organization_kind"):
            self.add_error("new_organization_kind", "Say what kind of organization it is.")
        if not cleaned.get("role"):
            self.add_error("role", "Choose the party's role.")
        return cleaned

    def party_row(self) -> PartyRow:
        data = self.cleaned_data
        return PartyRow(
            role=data["role"],
            note=data["note"],
            organization_id=data["organization"],
            new_organization_name=data["new_organization_name"].strip(),
            new_organization_kind=data["new_organization_kind"],
        )


class SourceExcerptForm(forms.Form):
    excerpt = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="Paste the passage of the source that the scores rest on, word for word. "
        "Scores quote it; a quote that no longer appears here is flagged in open drafts.",
    )


class SourceForm(forms.Form):
    publisher = forms.CharField(max_length=300)
    title = forms.CharField(max_length=500)
    url = forms.URLField(max_length=1000, label="URL", assume_scheme="https")
    published_on = forms.DateField(required=False, widget=DATE)
    published_precision = forms.ChoiceField(choices=DatePrecision.choices, initial=DatePrecision.DAY)
    claim = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def source_input(self) -> SourceInput:
        return SourceInput(**{name: self.cleaned_data[name] for name in self.fields if name != "DELETE"})

    @staticmethod
    def initial_for(source: Source) -> dict:
        return {
            "publisher": source.publisher,
            "title": source.title,
            "url": source.url,
            "published_on": source.published_on,
            "published_precision": source.published_precision,
            "claim": source.claim,
        }


# Empty rows beyond the first fold behind "Add another party/source" (a <details>, no script):
# adding parties and sources needs no save-and-reopen cycle.
EXTRA_ROWS = 8
PartyFormSet = forms.formset_factory(PartyForm, extra=EXTRA_ROWS, can_delete=True, max_num=50, validate_max=True)
SourceFormSet = forms.formset_factory(SourceForm, extra=EXTRA_ROWS, can_delete=True, max_num=100, validate_max=True)


class TimelineEventForm(forms.Form):
    kind = forms.ChoiceField(choices=TimelineEvent.Kind.choices)
    occurred_on = forms.DateField(widget=DATE)
    precision = forms.ChoiceField(choices=DatePrecision.choices, initial=DatePrecision.DAY)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


def organization_choices() -> list[tuple[int, str]]:
    """The desk's organization picker: each name with the other names it goes by ("Amazon (also AWS)")."""
    return organization_picker()[0]


def organization_picker() -> tuple[list[tuple[int, str]], list[str]]:
    """The picker's choices, and every name and alias for the typed field's suggestions (two queries)."""
    aliases = organization_aliases()
    rows = list(Organization.objects.order_by("name", "pk").values_list("pk", "slug", "name"))
    choices = [
        (pk, f"{name} (also {', '.join(aliases[slug])})" if slug in aliases else name) for pk, slug, name in rows
    ]
    names = {name for _, _, name in rows} | {alias for others in aliases.values() for alias in others}
    return choices, sorted(names, key=str.casefold)


class OrganizationMergeForm(forms.Form):
    """Two organizations created for one company: the duplicate goes into the one that stays."""

    source = forms.TypedChoiceField(coerce=int, label="Merge this organization (it goes away)")
    target = forms.TypedChoiceField(coerce=int, label="into this one (it stays)")

    def __init__(self, *args, organization_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("source", "target"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [("", "organization…"), *organization_choices]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("source") and cleaned.get("source") == cleaned.get("target"):
            self.add_error("target", "Pick two different organizations.")
        return cleaned


class OrganizationForm(forms.Form):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Organization.Kind.choices)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
