"""Desk forms for evaluation versions. They parse input and hand the services dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from cases.models import Party, Source
from evaluations import crosswalk
from evaluations.models import Annotation, Criterion, EvaluationVersion
from evaluations.services.annotations import AnnotationInput
from evaluations.services.evidence import CitationInput
from evaluations.services.workflow import ScoreInput


@dataclass
class ScoreRow:
    """One line of the score grid: a criterion, for one party or for the deal."""

    criterion: Criterion
    party: Party | None
    prefix: str

    @property
    def party_id(self) -> int | None:
        return self.party.pk if self.party else None


def score_rows(criteria: list[Criterion], parties: list[Party]) -> list[ScoreRow]:
    """Per-party criteria once per party, per-deal criteria once."""
    rows = []
    for criterion in criteria:
        for party in parties if criterion.per_party else [None]:
            rows.append(ScoreRow(criterion, party, f"s-{criterion.key}-{party.pk if party else 'deal'}"))
    return rows


class EvaluationVersionForm(forms.Form):
    """Narrative, verdict, change note and the whole score grid of one draft."""

    lock_version = forms.IntegerField(widget=forms.HiddenInput)
    verdict = forms.CharField(required=False, max_length=300, help_text="The analysis in one line.")
    # strip=False: the narrative comes back exactly as loaded (a final line break included), so a save
    # that changed nothing in it records no change to it (the text rule still normalizes line endings).
    narrative = forms.CharField(
        required=False, strip=False, widget=forms.Textarea(attrs={"rows": 18}), help_text="Markdown."
    )
    change_note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(
        self,
        *args,
        version: EvaluationVersion,
        criteria: list[Criterion],
        parties: list[Party],
        sources: list[Source],
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        rubric_version = version.evaluation.rubric_version
        self.rows = score_rows(criteria, parties)
        source_choices = [(str(s.pk), f"{s.publisher}: {s.title}") for s in sources]
        self.source_numbers = {n: s.pk for n, s in enumerate(sources, start=1)}
        for row in self.rows:
            # Each input names its criterion and party: a grid of inputs all labelled "Score" is unusable by ear.
            about = f"{row.criterion.key}, {row.party.organization.name if row.party else 'the deal'}"
            self.fields[f"{row.prefix}-value"] = forms.IntegerField(
                required=False,
                min_value=rubric_version.scale_min,
                max_value=rubric_version.scale_max,
                label=f"Score ({about})",
                help_text=f"{rubric_version.scale_min}-{rubric_version.scale_max}; leave empty if not scored",
            )
            self.fields[f"{row.prefix}-rationale"] = forms.CharField(
                required=False, widget=forms.Textarea(attrs={"rows": 2}), label=f"Rationale ({about})"
            )
            self.fields[f"{row.prefix}-sources"] = forms.MultipleChoiceField(
                required=False, choices=source_choices, widget=forms.CheckboxSelectMultiple, label=f"Sources ({about})"
            )
            self.fields[f"{row.prefix}-quotes"] = forms.CharField(
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                label=f"Quoted passages ({about})",
                help_text="One per line: the source's number, a colon, then its exact words from the source's "
                "excerpt (“1: more than 300 megawatts”).",
            )

    @staticmethod
    def initial_for(version: EvaluationVersion) -> dict:
        """The form's values from a saved version (its scores prefetched with their sources)."""
        initial = {
            "lock_version": version.lock_version,
            "verdict": version.verdict,
            "narrative": version.narrative,
            "change_note": version.change_note,
        }
        numbers = {pk: n for n, pk in enumerate(version.case.sources.values_list("pk", flat=True), start=1)}
        for score in version.scores.all():
            prefix = f"s-{score.criterion.key}-{score.party_id or 'deal'}"
            initial[f"{prefix}-value"] = score.value
            initial[f"{prefix}-rationale"] = score.rationale
            initial[f"{prefix}-sources"] = [str(s.pk) for s in score.sources.all()]
            initial[f"{prefix}-quotes"] = "\n".join(
                f"{numbers.get(c.source_id, '?')}: {c.quote}" for c in score.citations.all()
            )
        return initial

    def _quotes(self, prefix: str) -> tuple[CitationInput, ...]:
        """The ``N: words`` lines of a score's quotes field (checked in ``clean``)."""
        citations = []
        for line in self.cleaned_data.get(f"{prefix}-quotes", "").splitlines():
            if not line.strip():
                continue
            number, _, quote = line.partition(":")
            source_id = self.source_numbers.get(int(number)) if number.strip().isdigit() else None
            if source_id is None or not quote.strip():
                count = len(self.source_numbers)
                raise ValidationError(f"“{line[:40]}”: start with a source number (1 to {count}) and a colon")
            citations.append(CitationInput(source_id=source_id, quote=quote.strip()))
        return tuple(citations)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        for row in self.rows:
            if cleaned.get(f"{row.prefix}-value") is None and (
                cleaned.get(f"{row.prefix}-rationale", "").strip() or cleaned.get(f"{row.prefix}-sources")
            ):
                self.add_error(f"{row.prefix}-value", "Give a score, or clear the rationale and sources.")
            try:
                self._quotes(row.prefix)
            except ValidationError as exc:
                self.add_error(f"{row.prefix}-quotes", exc)
        return cleaned

    def score_inputs(self) -> tuple[list[ScoreInput], list[str]]:
        """The scores given, and for each the name of the field an error about it belongs to."""
        inputs, fields = [], []
        for row in self.rows:
            value = self.cleaned_data.get(f"{row.prefix}-value")
            if value is None:
                continue
            inputs.append(
                ScoreInput(
                    criterion=row.criterion.key,
                    party_id=row.party_id,
                    value=value,
                    rationale=self.cleaned_data[f"{row.prefix}-rationale"],
                    source_ids=tuple(int(pk) for pk in self.cleaned_data[f"{row.prefix}-sources"]),
                    citations=self._quotes(row.prefix),
                )
            )
            fields.append(f"{row.prefix}-value")
        return inputs, fields

    def bound_rows(self) -> list[dict]:
        return [
            {
                "row": row,
                "value": self[f"{row.prefix}-value"],
                "rationale": self[f"{row.prefix}-rationale"],
                "sources": self[f"{row.prefix}-sources"],
                "quotes": self[f"{row.prefix}-quotes"],
            }
            for row in self.rows
        ]


class CommentForm(forms.Form):
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SendBackForm(forms.Form):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what needs to change before sending it back."},
    )


class PublishAtField(forms.DateTimeField):
    """A time to publish, shown and read in the site's time zone (named in the label) unless the
    editor gives an offset. A text box, not datetime-local: that input cannot carry an offset."""

    def __init__(self, *, required: bool, help_text: str) -> None:
        zone = settings.TIME_ZONE
        super().__init__(
            required=required,
            label=f"Publish at ({zone})",
            # ISO 8601 is read first (Django's DateTimeField), so "2026-12-01T09:00+02:00" works too.
            widget=forms.DateTimeInput(
                format="%Y-%m-%d %H:%M", attrs={"placeholder": "YYYY-MM-DD HH:MM", "autocomplete": "off"}
            ),
            help_text=f"{help_text} In {zone}, or with an offset: 2026-12-01 09:00+02:00.",
            error_messages={
                "invalid": "Enter a valid date/time. For example 2026-12-01 09:00, or with an offset: "
                "2026-12-01 09:00+02:00."
            },
        )


class ApproveForm(forms.Form):
    publish_at = PublishAtField(required=False, help_text="Leave empty to publish now; a later time schedules it.")
    correction_note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only when this version corrects the published analysis: a public note of what changed.",
    )


class RescheduleForm(forms.Form):
    publish_at = PublishAtField(required=True, help_text="The new time; it must still be to come.")


class UnscheduleForm(forms.Form):
    comment = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Why (optional, for the audit log)."
    )


class AnnotationForm(forms.Form):
    quote = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), help_text="The exact words of the narrative.")
    # The metaclass moves declared fields out of the class attributes: BaseForm.prefix stays the form's.
    prefix = forms.CharField(  # type: ignore[assignment]
        required=False, max_length=64, help_text="A few words before it (optional)."
    )
    suffix = forms.CharField(required=False, max_length=64, help_text="A few words after it (optional).")
    kind = forms.ChoiceField(choices=Annotation.Kind.choices)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Note")

    def annotation_input(self) -> AnnotationInput:
        data = self.cleaned_data
        return AnnotationInput(
            quote=data["quote"],
            kind=data["kind"],
            body=data["body"],
            prefix=data["prefix"] or None,
            suffix=data["suffix"] or None,
        )


class RestoreForm(forms.Form):
    """Restore a kept revision: the lock is the version's as the page showed it."""

    lock_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1)


class CrosswalkForm(forms.Form):
    """The crosswalk editor (the admin's rubric screen): one row per criterion of the version mapped
    from, saying what it becomes in the draft and how its scores carry. Rows marked merged into the
    same new criterion make one ``merged`` entry; new criteria no row names are new."""

    ROW_KINDS = [(k, crosswalk.KIND_LABELS[k]) for k in crosswalk.KINDS if k != "new"]

    def __init__(self, *args: Any, old_keys: list[str], new_keys: list[str], initial_entries=(), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.old_keys, self.new_keys = old_keys, new_keys
        by_old = {key: entry for entry in initial_entries for key in entry.old}
        for key in old_keys:
            entry = by_old.get(key)
            self.fields[f"kind__{key}"] = forms.ChoiceField(
                label=f"{key}: becomes", choices=self.ROW_KINDS, initial=entry.kind if entry else "dropped"
            )
            self.fields[f"to__{key}"] = forms.MultipleChoiceField(
                label=f"{key}: new criteria",
                choices=[(k, k) for k in new_keys],
                required=False,
                widget=forms.CheckboxSelectMultiple,
                initial=list(entry.new) if entry else [],
            )
            self.fields[f"rule__{key}"] = forms.ChoiceField(
                label=f"{key}: carry scores by",
                choices=list(crosswalk.RULE_LABELS.items()),
                initial=entry.rule if entry else "unscored",
            )

    def rows(self) -> list[tuple[str, Any, Any, Any]]:
        return [(k, self[f"kind__{k}"], self[f"to__{k}"], self[f"rule__{k}"]) for k in self.old_keys]

    def entries(self) -> list[dict]:
        """The entries in the stored shape (evaluations.crosswalk); the service validates them."""
        data = self.cleaned_data
        merged: dict[str, dict] = {}
        result: list[dict] = []
        for key in self.old_keys:
            kind, targets, rule = data[f"kind__{key}"], list(data[f"to__{key}"]), data[f"rule__{key}"]
            if kind == "same" and not targets:
                targets = [key]
            if kind == "dropped":
                targets, rule = [], "unscored"
            if kind == "merged" and len(targets) == 1:
                entry = merged.setdefault(targets[0], {"kind": "merged", "from": [], "to": targets, "rule": rule})
                entry["from"].append(key)
                if entry["rule"] != rule:
                    raise ValidationError(f"the criteria merged into {targets[0]} must carry by the same rule")
                if len(entry["from"]) == 1:
                    result.append(entry)
                continue
            result.append({"kind": kind, "from": [key], "to": targets, "rule": rule})
        return result
