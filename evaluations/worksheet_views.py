"""Desk pages of the press-release worksheet: paste an announcement, confirm the proposals, get a draft.

GET /desk/worksheet/ shows the paste form; POSTing it reads the text
(cases.worksheet, pure) and shows every proposal as an editable form; POSTing
that to /desk/worksheet/draft/ creates the draft case and its draft evaluation
through evaluations.worksheet_services. Nothing is written before that last
step, and that step writes everything or nothing.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import Truncator

from cases.forms import CaseForm, SourceForm, organization_choices
from cases.models import DealType, Organization
from cases.web_selectors import organization_aliases
from cases.worksheet import DEFAULT_ALIASES, QUESTIONS, KnownOrganization, Worksheet, extract, scores_for_rubric
from core.desk import desk_view
from core.errors import TransitionNotAllowed
from core.types import AuthenticatedHttpRequest
from evaluations.models import RubricVersion
from evaluations.worksheet_forms import DraftForm, PasteForm, ScoresForm, WorksheetPartyFormSet
from evaluations.worksheet_services import WorksheetScore, worksheet_draft_create

QUOTE_CHARS = 400


def _read(text: str) -> Worksheet:
    known = [KnownOrganization(slug=slug, name=name) for slug, name in Organization.objects.values_list("slug", "name")]
    # The newsroom's alias table (desk and admin), over the press's usual names for the demo's organizations.
    aliases = {slug: (*DEFAULT_ALIASES.get(slug, ()), *recorded) for slug, recorded in organization_aliases().items()}
    aliases = {**DEFAULT_ALIASES, **aliases}
    return extract(
        text, organizations=known, deal_types=DealType.objects.values_list("slug", flat=True), aliases=aliases
    )


def _rubric() -> RubricVersion | None:
    """The rubric version a new case is evaluated under (the first active one, as for any new case)."""
    return (
        RubricVersion.objects.filter(status=RubricVersion.Status.ACTIVE)
        .order_by("rubric_id")
        .prefetch_related("criteria")
        .first()
    )


def _criteria(rubric: RubricVersion | None) -> list[tuple[str, str]]:
    if rubric is None:
        return []
    return [(c.key, c.key.replace("_", " ")) for c in rubric.criteria.all() if c.per_party]


def _quote(ws: Worksheet, index: int) -> str:
    return Truncator(ws.sentence(index)).chars(QUOTE_CHARS)


def _rationale(ws: Worksheet, answer) -> str:
    quotes = " ".join(f"“{_quote(ws, i)}”" for i in answer.passages)
    return f"{answer.answer}." + (f" The announcement: {quotes}" if quotes else "")


def _narrative(ws: Worksheet) -> str:
    labels = Counter(f.label for f in ws.concrete)
    lines = [
        "*Drafted from the press-release worksheet: every score is a proposal to review, and every quote "
        "comes from the source's excerpt.*",
        "",
        f"**Press-release language:** {ws.vague_count} vague claims"
        + (f" ({', '.join(sorted({f.text for f in ws.vague}))})" if ws.vague else "")
        + f", {ws.concrete_count} concrete commitments"
        + (f" ({', '.join(f'{k}: {v}' for k, v in sorted(labels.items()))})" if labels else "")
        + ".",
    ]
    for key, question in QUESTIONS:
        lines += ["", f"### {question}", ""]
        for answer in (a for a in ws.answers if a.criterion == key):
            lines.append(f"- {answer.answer}.")
            lines += [f"  > {_quote(ws, i)}" for i in answer.passages]
    return "\n".join(lines)


def _title(ws: Worksheet) -> str:
    names = [o.name for o in ws.organizations[:3]]
    kinds = dict(DealType.objects.values_list("slug", "name"))
    kind = kinds.get(ws.deal_types[0].slug, "") if ws.deal_types else "deal"
    return Truncator(f"{' and '.join(names) or 'New deal'}: {kind}").chars(300)


def _initial(ws: Worksheet, paste: dict, rubric: RubricVersion | None) -> dict:
    ids = dict(Organization.objects.values_list("slug", "pk"))
    low, high = ws.value_range_usd()
    day = next((d for d in ws.dates if d.precision != "year"), None)
    announced = None
    if day is not None:
        parts = [int(p) for p in day.value.split("-")] + [1]
        announced = f"{parts[0]:04d}-{parts[1]:02d}-{parts[2]:02d}"
    case = {
        "title": _title(ws),
        "summary": " ".join(s.text for s in ws.sentences[:2]),
        "announced_on": announced or paste.get("published_on"),
        "announced_precision": day.precision if day else "day",
        "deal_types": [d.slug for d in ws.deal_types],
        "value_low_usd": low,
        "value_high_usd": high,
        "value_note": "; ".join(f"{a.text} ({a.currency})" for a in ws.amounts),
        "capacity_mw": ws.capacity_mw(),
        "capacity_chips": ws.capacity_chips(),
        "capacity_note": "; ".join(c.text for c in ws.capacities),
        "tags": "",
    }
    parties = [
        {"organization": ids[o.slug], "role": o.role}
        if not o.is_new and o.slug in ids
        else {"new_organization_name": o.name, "role": o.role}
        for o in ws.organizations
    ]
    source = {
        "publisher": paste.get("publisher", ""),
        "title": Truncator(ws.sentences[0].text if ws.sentences else "").chars(500),
        "url": paste.get("url", ""),
        "published_on": paste.get("published_on"),
        "published_precision": "day",
        "claim": "The announcement, as pasted into the worksheet (kept as this source's excerpt).",
    }
    scores = {}
    keys = [key for key, _ in _criteria(rubric)]
    scale = (rubric.scale_min, rubric.scale_max) if rubric else (0, 4)
    rows = {o.slug: i for i, o in enumerate(ws.organizations)}
    for answer in scores_for_rubric(ws.answers, keys, *scale):
        row = rows[answer.organization]
        scores[f"s-{row}-{answer.criterion}-value"] = str(answer.score)
        scores[f"s-{row}-{answer.criterion}-rationale"] = _rationale(ws, answer)
    draft = {"text": ws.text, "narrative": _narrative(ws), "score_rows": len(ws.organizations)}
    return {"case": case, "parties": parties, "source": source, "scores": scores, "draft": draft}


def _questions(ws: Worksheet, scores: ScoresForm, rows: int) -> list[dict]:
    """Per proposed party: each question, its answer, its passages, and the score fields it maps onto."""
    keys = {key for key, _ in scores.criteria}
    result = []
    for row, org in enumerate(ws.organizations[:rows]):
        items = []
        for answer in (a for a in ws.answers if a.organization == org.slug):
            fields = scores.field_pair(row, answer.criterion) if answer.criterion in keys else None
            items.append(
                {"answer": answer, "passages": [(i + 1, ws.sentence(i)) for i in answer.passages], "fields": fields}
            )
        result.append({"row": row, "organization": org, "items": items})
    return result


def _render_proposals(request, ws, forms: dict, rubric, status: int) -> HttpResponse:
    def amount(a) -> str:
        details = [a.currency, a.qualifier, f"per {a.per}" if a.per else ""]
        return f"{a.text} ({', '.join(d for d in details if d)})"

    def term(t) -> str:
        return f"{t.kind.replace('_', ' ')}{': ' + t.value if t.value else ''} ({t.text})"

    found = (
        [
            ("organization", f"{o.name}{' (new)' if o.is_new else ''} as {o.role}", o.role_sentence)
            for o in ws.organizations
        ]
        + [("deal type", d.slug.replace("_", " "), d.sentence) for d in ws.deal_types]
        + [("amount", amount(a), a.sentence) for a in ws.amounts]
        + [("capacity", c.text, c.sentence) for c in ws.capacities]
        + [("date", f"{d.text} ({d.value})", d.sentence) for d in ws.dates]
        + [("term", term(t), t.sentence) for t in ws.terms]
    )
    context = {
        "ws": ws,
        "found": [
            (kind, text, None if i is None else i + 1, ws.sentence(i) if i is not None else None)
            for kind, text, i in found
        ],
        "vague": [(f.text, f.label, f.sentence + 1) for f in ws.vague],
        "concrete": [(f.text, f.label, f.sentence + 1) for f in ws.concrete],
        "questions": _questions(ws, forms["scores"], forms["scores"].rows),
        "rubric": rubric,
        **forms,
    }
    return render(request, "desk/worksheet_proposals.html", context, status=status)


@desk_view("cases.add_case")
def worksheet(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The paste form; posted, the proposals page (nothing written)."""
    form = PasteForm(request.POST or None)
    if request.method != "POST":
        return render(request, "desk/worksheet.html", {"form": form})
    if not form.is_valid():
        return render(request, "desk/worksheet.html", {"form": form}, status=400)
    ws = _read(form.cleaned_data["text"])
    rubric = _rubric()
    initial = _initial(ws, form.cleaned_data, rubric)
    forms: dict[str, Any] = {
        "draft": DraftForm(initial=initial["draft"]),
        "case_form": CaseForm(prefix="case", initial=initial["case"]),
        "parties": WorksheetPartyFormSet(
            prefix="parties", initial=initial["parties"], form_kwargs={"organization_choices": organization_choices()}
        ),
        "source": SourceForm(prefix="source", initial=initial["source"]),
        "scores": ScoresForm(
            initial=initial["scores"],
            rows=len(ws.organizations),
            criteria=_criteria(rubric),
            scale=(rubric.scale_min, rubric.scale_max) if rubric else (0, 4),
        ),
    }
    return _render_proposals(request, ws, forms, rubric, 200)


@desk_view("cases.add_case", methods=("POST",))
def worksheet_draft(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Create the draft case and evaluation from the confirmed proposals, or show the proposals again with errors."""
    draft = DraftForm(request.POST)
    if not draft.is_valid():
        # Not what the proposals page posts: start again from the paste form, with the text if there was one.
        form = PasteForm({"text": request.POST.get("text", ""), "url": "", "publisher": "", "published_on": ""})
        form.is_valid()
        form.add_error(None, "The proposals were incomplete; read the text again.")
        return render(request, "desk/worksheet.html", {"form": form}, status=400)
    ws = _read(draft.cleaned_data["text"])
    rubric = _rubric()
    rows = min(draft.cleaned_data["score_rows"], len(ws.organizations))
    forms: dict[str, Any] = {
        "draft": draft,
        "case_form": CaseForm(request.POST, prefix="case"),
        "parties": WorksheetPartyFormSet(
            request.POST, prefix="parties", form_kwargs={"organization_choices": organization_choices()}
        ),
        "source": SourceForm(request.POST, prefix="source"),
        "scores": ScoresForm(
            request.POST,
            rows=rows,
            criteria=_criteria(rubric),
            scale=(rubric.scale_min, rubric.scale_max) if rubric else (0, 4),
        ),
    }
    # A list, not a generator: every form validates, so every error shows at once.
    if all([form.is_valid() for form in forms.values()]) and _create(request, ws, forms):
        return redirect("desk-version", pk=forms["created"].pk)
    return _render_proposals(request, ws, forms, rubric, 400)


def _create(request: AuthenticatedHttpRequest, ws: Worksheet, forms: dict[str, Any]) -> bool:
    parties = forms["parties"]
    kept = [(i, f) for i, f in enumerate(parties.forms) if f.has_changed() and not f.cleaned_data.get("DELETE")]
    position = {form_index: kept_index for kept_index, (form_index, _) in enumerate(kept)}
    given = [s for s in forms["scores"].scores() if s[0] in position]
    try:
        version = worksheet_draft_create(
            by=request.user,
            data=forms["case_form"].case_input(()),
            parties=[f.party_row() for _, f in kept],
            source=forms["source"].source_input(),
            excerpt=forms["draft"].cleaned_data["text"],
            narrative=forms["draft"].cleaned_data["narrative"],
            scores=[WorksheetScore(position[row], key, value, rationale) for row, key, value, rationale in given],
        )
    except TransitionNotAllowed as exc:
        forms["draft"].add_error(None, str(exc))
        return False
    except ValidationError as exc:
        _errors_onto_forms(exc, forms, [f for _, f in kept], given)
        return False
    forms["created"] = version
    messages.success(request, f"Draft case “{version.case.title}” and its draft analysis created; review, then submit.")
    return True


def _errors_onto_forms(exc: ValidationError, forms: dict, party_forms: list, given: list) -> None:
    """Each service error on the field it is about: ``parties[1].role``, ``sources[0].url``, ``scores[3]``..."""
    if not hasattr(exc, "error_dict"):
        forms["draft"].add_error(None, exc.messages)
        return
    for key, messages_ in exc.message_dict.items():
        if key.startswith("parties[") and "]." in key:
            index, _, name = key[len("parties[") :].partition("].")
            row = party_forms[int(index)]
            row.add_error(name if name in row.fields else None, messages_)
        elif key.startswith("sources[") and "]." in key:
            name = key.partition("].")[2]
            forms["source"].add_error(name if name in forms["source"].fields else None, messages_)
        elif key.startswith("scores[") and key[len("scores[") : -1].isdigit():
            row, criterion, _, _ = given[int(key[len("scores[") : -1])]
            forms["scores"].add_error(f"s-{row}-{criterion}-value", messages_)
        elif key in forms["case_form"].fields:
            forms["case_form"].add_error(key, messages_)
        else:
            forms["draft"].add_error(None, [f"{key}: {m}" for m in messages_])
