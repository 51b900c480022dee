"""Desk forms for evaluation versions. They parse input and hand the services dataclasses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from cases.models import Party, Source
from core.errors import errors_by_field
from evaluations import crosswalk
from evaluations.models import Annotation, Criterion, EvaluationVersion
from evaluations.scoring import label
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

    @property
    def about(self) -> str:
        """What the row scores, in words: the criterion's name and the party's (or the deal)."""
        return f"{label(self.criterion.key)}, {self.party.organization.name if self.party else 'the deal'}"


def score_rows(criteria: list[Criterion], parties: list[Party]) -> list[ScoreRow]:
    """Per-party criteria once per party, per-deal criteria once."""
    rows = []
    for criterion in criteria:
        for party in parties if criterion.per_party else [None]:
            rows.append(ScoreRow(criterion, party, f"s-{criterion.key}-{party.pk if party else 'deal'}"))
    return rows


# The score form's layouts: a section per party, or criteria as rows and parties as columns.
BY_PARTY, GRID = "parties", "grid"
GRID_FROM = 4  # parties: from this many on, the grid is the default


class EvaluationVersionForm(forms.Form):
    """Narrative, verdict, change note and the whole score grid of one draft.

    A row with a rationale and no score parks the rationale (kept with the draft, never published;
    evaluations.services.workflow); sources and quotes need the score they support.
    """

    lock_version = forms.IntegerField(widget=forms.HiddenInput)
    verdict = forms.CharField(required=False, max_length=300, help_text="The analysis in one line.")
    # strip=False: the narrative comes back exactly as loaded (a final line break included), so a save
    # that changed nothing in it records no change to it (the text rule still normalizes line endings).
    narrative = forms.CharField(
        required=False, strip=False, widget=forms.Textarea(attrs={"rows": 18}), help_text="Markdown."
    )
    change_note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Change note (public)",
        help_text="Public: readers see it on the case's history, the changelog and the corrections feed "
        "once this version is published. Keep private remarks out of it.",
    )

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
        self.rubric_version = rubric_version
        self.criteria = criteria
        self.parties = parties
        self.rows = score_rows(criteria, parties)
        source_choices = [(str(s.pk), f"{s.publisher}: {s.title}") for s in sources]
        self.source_numbers = {n: s.pk for n, s in enumerate(sources, start=1)}
        low, high = rubric_version.scale_min, rubric_version.scale_max
        for row in self.rows:
            # Each input names its criterion and party: a grid of inputs all labelled "Score" is unusable by ear.
            self.fields[f"{row.prefix}-value"] = forms.IntegerField(
                required=False,
                min_value=low,
                max_value=high,
                label=f"Score: {row.about}",
                widget=forms.NumberInput(attrs={"class": "score-value", "inputmode": "numeric"}),
                error_messages={
                    "min_value": f"Give a score from {low} to {high}.",
                    "max_value": f"Give a score from {low} to {high}.",
                    "invalid": f"Give a whole number from {low} to {high}.",
                },
            )
            self.fields[f"{row.prefix}-rationale"] = forms.CharField(
                required=False, widget=forms.Textarea(attrs={"rows": 3}), label=f"Rationale: {row.about}"
            )
            self.fields[f"{row.prefix}-sources"] = forms.MultipleChoiceField(
                required=False,
                choices=source_choices,
                widget=forms.CheckboxSelectMultiple,
                label=f"Sources: {row.about}",
            )
            self.fields[f"{row.prefix}-quotes"] = forms.CharField(
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                label=f"Quoted passages: {row.about}",
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
        for item in version.parked_rationales:
            initial[f"s-{item['criterion']}-{item['party'] or 'deal'}-rationale"] = item["rationale"]
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
            value_given = f"{row.prefix}-value" in cleaned and cleaned[f"{row.prefix}-value"] is not None
            unscored = f"{row.prefix}-value" in cleaned and not value_given  # not a bad value: none at all
            try:
                quotes = self._quotes(row.prefix)
            except ValidationError as exc:
                self.add_error(f"{row.prefix}-quotes", exc)
                continue
            # A rationale alone is parked; the sources and quotes a score rests on need the score.
            if unscored and cleaned.get(f"{row.prefix}-sources"):
                self.add_error(f"{row.prefix}-sources", "Sources back a score: give the score, or clear them.")
            if unscored and quotes:
                self.add_error(f"{row.prefix}-quotes", "Quotes back a score: give the score, or clear them.")
        return cleaned

    def score_inputs(self) -> tuple[list[ScoreInput], list[str]]:
        """The scores given (a rationale alone is parked: value None), and for each the prefix of its fields."""
        inputs, prefixes = [], []
        for row in self.rows:
            value = self.cleaned_data.get(f"{row.prefix}-value")
            rationale = self.cleaned_data[f"{row.prefix}-rationale"]
            if value is None and not rationale.strip():
                continue
            inputs.append(
                ScoreInput(
                    criterion=row.criterion.key,
                    party_id=row.party_id,
                    value=value,
                    rationale=rationale,
                    source_ids=tuple(int(pk) for pk in self.cleaned_data[f"{row.prefix}-sources"]),
                    citations=self._quotes(row.prefix),
                )
            )
            prefixes.append(row.prefix)
        return inputs, prefixes

    def service_errors(self, error: ValidationError, prefixes: list[str]) -> None:
        """A save's refusal on the fields it is about: ``scores[2].value`` on the third score's value."""
        fields = {"value": "value", "organization": "value", "criterion": "value", "rationale": "rationale"}
        fields |= {"sources": "sources", "citations": "quotes"}
        for name, problems in errors_by_field(error).items():
            key, _, field = name.partition(".")
            if key.startswith("scores[") and key.endswith("]") and key[7:-1].isdigit():
                index = int(key[7:-1])
                target = f"{prefixes[index]}-{fields.get(field, 'value')}" if index < len(prefixes) else None
            else:
                target = key if key in self.fields else None
            self.add_error(target, problems)

    def layout(self, wanted: str | None = None) -> str:
        """The layout asked for, else the grid for deals with many parties."""
        if wanted in (BY_PARTY, GRID):
            return wanted
        return GRID if len(self.parties) >= GRID_FROM else BY_PARTY

    def _cell(self, row: ScoreRow, ids: str) -> dict:
        """One score's bound fields; ``ids`` starts the ids of its criterion's question (-q) and guidance (-g)."""
        value = self[f"{row.prefix}-value"]
        rationale = self[f"{row.prefix}-rationale"]
        sources, quotes = self[f"{row.prefix}-sources"], self[f"{row.prefix}-quotes"]
        q_id, g_id = f"{ids}-q", f"{ids}-g" if row.criterion.guidance else ""
        # aria-describedby names only ids the page has: the criterion's question and guidance, the
        # scale, and the field's own error when it has one (desk/_score_form.html renders each).
        described_by = [q_id, *([g_id] if g_id else []), "score-scale"]
        if value.errors:
            described_by.append(f"{value.auto_id}_error")
        value.field.widget.attrs["aria-describedby"] = " ".join(described_by)
        rationale_text = str(rationale.value() or "")
        return {
            "row": row,
            "q_id": q_id,
            "g_id": g_id,
            "value": value,
            "rationale": rationale,
            "sources": sources,
            "quotes": quotes,
            "parked": rationale_text.strip() != "" and value.value() in (None, ""),
            "rationale_start": rationale_text if len(rationale_text) <= 60 else rationale_text[:59].rstrip() + "…",
            "detail_errors": bool(rationale.errors or sources.errors or quotes.errors),
        }

    def score_sections(self, layout: str) -> dict:
        """The score inputs arranged for ``layout``: by party (a section each, then the deal), or a grid."""
        by_key = {(row.criterion.pk, row.party_id): row for row in self.rows}
        per_party = [c for c in self.criteria if c.per_party]
        deal = [self._cell(by_key[(c.pk, None)], f"crit-{c.key}-deal") for c in self.criteria if not c.per_party]
        if layout == GRID:
            grid = []
            for c in per_party:
                cells = [self._cell(by_key[(c.pk, p.pk)], f"crit-{c.key}") for p in self.parties]
                grid.append({"criterion": c, "q_id": f"crit-{c.key}-q", "g_id": f"crit-{c.key}-g", "cells": cells})
            return {"layout": GRID, "grid": grid, "parties": self.parties, "deal": deal}
        sections = [
            {"party": p, "cells": [self._cell(by_key[(c.pk, p.pk)], f"crit-{c.key}-{p.pk}") for c in per_party]}
            for p in self.parties
        ]
        return {"layout": BY_PARTY, "sections": sections, "parties": self.parties, "deal": deal}

    def error_summary(self) -> list[dict]:
        """Every error, in the form's order, with the id of the input it belongs to (the page's top list)."""
        result = [{"id": "", "label": "", "message": m} for m in self.non_field_errors()]
        for name, field in self.fields.items():
            for message in self.errors.get(name, ()):
                auto_id = self[name].auto_id
                if isinstance(field.widget, forms.CheckboxSelectMultiple):
                    auto_id += "_0"
                result.append({"id": auto_id, "label": field.label or name, "message": message})
        return result


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
    # strip=False: the words around a quote are matched exactly, spaces included.
    prefix = forms.CharField(  # type: ignore[assignment]
        required=False,
        strip=False,
        max_length=64,
        help_text="A few words just before it, exactly (needed when the quote occurs more than once).",
    )
    suffix = forms.CharField(
        required=False, strip=False, max_length=64, help_text="A few words just after it, exactly (or these)."
    )
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


class RebaseForm(forms.Form):
    """Move a draft onto the active rubric version: the lock is the version's as the page showed it."""

    lock_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1)


# --- The review loop ---------------------------------------------------------------------------


class ReviewCommentForm(forms.Form):
    """A private review comment: on a passage (its exact words), on a score, or on the whole version."""

    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Comment")
    quote = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="On the passage",
        help_text="The exact words of the narrative (optional).",
    )
    score = forms.ChoiceField(required=False, label="Or on the score", choices=[("", "none")])

    def __init__(self, *args, scores: Iterable = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "none")]
        for score in scores:
            party = score.party.organization.name if score.party_id else "the deal"
            choices.append((f"{score.criterion.key}:{score.party_id or 'deal'}", f"{score.criterion.key}, {party}"))
        self.fields["score"].choices = choices  # type: ignore[attr-defined]

    def anchor(self) -> dict:
        """The service's anchor arguments (quote, criterion_key, party_id)."""
        key, _, party = self.cleaned_data["score"].partition(":")
        return {
            "quote": self.cleaned_data["quote"].strip(),
            "criterion_key": key,
            "party_id": int(party) if party.isdigit() else None,
        }


class ReplyForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Reply")


class AssignForm(forms.Form):
    reviewer = forms.ChoiceField(label="Reviewer")

    def __init__(self, *args, reviewers: Iterable = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].choices = [(str(u.pk), u.get_username()) for u in reviewers]  # type: ignore[attr-defined]


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
