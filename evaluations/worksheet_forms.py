"""Forms of the press-release worksheet: the paste, and the proposals an editor confirms."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from cases.forms import DATE, PartyForm
from cases.worksheet import MAX_TEXT

SCORE_ROWS_MAX = 20


class PasteForm(forms.Form):
    text = forms.CharField(
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 14}),
        label="The announcement",
        help_text=f"Paste the press release or the report's text (at most {MAX_TEXT:,} characters).",
    )
    url = forms.URLField(
        required=False,
        max_length=1000,
        assume_scheme="https",
        label="Where it was published (optional)",
        help_text="Stored as the source's address; the app does not fetch it.",
    )
    publisher = forms.CharField(required=False, max_length=300)
    published_on = forms.DateField(required=False, widget=DATE)

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if len(text.split()) < 5:
            raise ValidationError("Paste the announcement itself: a few sentences at least.")
        return text


class WorksheetPartyForm(PartyForm):
    """A party row; a new organization must be confirmed, never created because a name was read."""

    confirm_new = forms.BooleanField(required=False, label="yes, create this new organization")

    def clean(self):
        cleaned = super().clean()
        if self.has_changed() and cleaned.get("new_organization_name", "").strip() and not cleaned.get("confirm_new"):
            self.add_error("confirm_new", "Confirm that this organization is new, or choose an existing one instead.")
        return cleaned


WorksheetPartyFormSet = forms.formset_factory(
    WorksheetPartyForm, extra=1, can_delete=True, max_num=SCORE_ROWS_MAX, validate_max=True
)


class DraftForm(forms.Form):
    """The worksheet's own fields on the proposals page: the pasted text and the narrative."""

    text = forms.CharField(max_length=MAX_TEXT, widget=forms.HiddenInput)
    narrative = forms.CharField(widget=forms.Textarea(attrs={"rows": 16}), label="Draft analysis (Markdown)")
    score_rows = forms.IntegerField(min_value=0, max_value=SCORE_ROWS_MAX, widget=forms.HiddenInput)


class ScoresForm(forms.Form):
    """A score and its rationale per proposed party row and criterion; a blank score is left unscored."""

    def __init__(self, *args, rows: int, criteria: list[tuple[str, str]], scale: tuple[int, int], **kwargs):
        super().__init__(*args, **kwargs)
        self.rows, self.criteria = rows, criteria
        low, high = scale
        choices = [("", "not scored"), *((str(v), str(v)) for v in range(low, high + 1))]
        for row in range(rows):
            for key, label in criteria:
                self.fields[f"s-{row}-{key}-value"] = forms.TypedChoiceField(
                    choices=choices, coerce=int, empty_value=None, required=False, label=f"{label}: score"
                )
                self.fields[f"s-{row}-{key}-rationale"] = forms.CharField(
                    required=False, widget=forms.Textarea(attrs={"rows": 2}), label=f"{label}: rationale"
                )

    def field_pair(self, row: int, key: str) -> tuple[forms.BoundField, forms.BoundField]:
        return self[f"s-{row}-{key}-value"], self[f"s-{row}-{key}-rationale"]

    def scores(self) -> list[tuple[int, str, int, str]]:
        """(row, criterion, value, rationale) for every score given."""
        result = []
        for row in range(self.rows):
            for key, _ in self.criteria:
                value = self.cleaned_data.get(f"s-{row}-{key}-value")
                if value is not None:
                    result.append((row, key, value, self.cleaned_data.get(f"s-{row}-{key}-rationale", "").strip()))
        return result
