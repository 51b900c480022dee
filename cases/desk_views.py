"""Desk pages for cases and organizations: list, create, edit, timeline.

Forms validate; cases.services (through cases.desk_services for inline
organizations) write; errors from the services come back onto the forms.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from cases import desk_services, relationships, services, web_selectors
from cases.facts import case_facts
from cases.forms import (
    CaseForm,
    DeskCaseFilterForm,
    OrganizationForm,
    OrganizationMergeForm,
    PartyFormSet,
    SourceExcerptForm,
    SourceForm,
    SourceFormSet,
    TimelineEventForm,
    organization_choices,
    organization_picker,
)
from cases.models import Case, Organization, TimelineEvent
from cases.source_excerpts import source_excerpt_set
from core.desk import apply_service_errors, desk_view
from core.errors import EditConflict, WorkflowError
from core.types import AuthenticatedHttpRequest
from evaluations import policy, selectors
from evaluations.models import EvaluationVersion


def desk_landing(user) -> str | None:
    """Where signing in lands without a safe ``next``: the desk for the newsroom, else the default."""
    return reverse("desk-dashboard") if policy.is_newsroom(user) else None


def _desk_case_or_404(pk: int) -> Case:
    try:
        return selectors.desk_case(pk)
    except Case.DoesNotExist:
        raise Http404("No such case.") from None


@desk_view(policy.DRAFT_VIEWERS["case"], methods=("GET",))
def case_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = DeskCaseFilterForm(
        request.GET, authors=selectors.desk_case_authors(), assignees=selectors.desk_case_assignees()
    )
    if form.is_valid():
        data = form.cleaned_data
        cases = selectors.desk_case_list(
            data["q"],
            status=data["status"],
            author_id=data["author"],
            assignee_id=data["assignee"],
            needs_reevaluation=data["needs_reevaluation"],
        )
        status = 200
    else:
        cases, status = Case.objects.none(), 400
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"page": page, "form": form, "q": form.cleaned_data.get("q", ""), "query": query.urlencode()}
    return render(request, "desk/case_list.html", context, status=status)


@desk_view(policy.DRAFT_VIEWERS["case"], methods=("GET",))
def case_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _desk_case_or_404(pk)
    return _render_case(request, case, TimelineEventForm())


def _render_case(
    request: AuthenticatedHttpRequest, case: Case, timeline_form: TimelineEventForm, status: int = 200
) -> HttpResponse:
    versions = list(case.evaluation_versions.all())
    open_version = next((v for v in versions if v.is_open), None)
    context = {
        "case": case,
        "versions": versions,
        "open_version": open_version,
        "timeline_form": timeline_form,
        **_timeline_rows(case, open_version),
    }
    return render(request, "desk/case_detail.html", context, status=status)


def _timeline_rows(case: Case, open_version: EvaluationVersion | None) -> dict:
    """The timeline the desk edits, each event with its position (what ``timeline_edit`` takes): a
    published case's as its open version's facts hold it (its own when none is open), else the case's."""
    if case.is_published and open_version is not None and open_version.facts:
        kinds = dict(TimelineEvent.Kind.choices)
        rows = []
        for item in open_version.facts.get("timeline", []):
            try:
                occurred_on = date.fromisoformat(item.get("occurred_on") or "")
            except (TypeError, ValueError):
                occurred_on = None
            rows.append(
                {
                    "kind": kinds.get(item.get("kind"), item.get("kind")),
                    "occurred_on": occurred_on,
                    "precision": item.get("precision") or "day",
                    "note": item.get("note") or "",
                }
            )
        return {"timeline_rows": rows, "timeline_draft": open_version}
    rows = [
        {"kind": e.get_kind_display(), "occurred_on": e.occurred_on, "precision": e.precision, "note": e.note}
        for e in case.timeline.all()
    ]
    return {"timeline_rows": rows, "timeline_draft": None}


def _open_version(case: Case | None) -> EvaluationVersion | None:
    if case is None or not case.is_published:
        return None
    return EvaluationVersion.objects.filter(case=case, state__in=EvaluationVersion.OPEN_STATES).first()


def _case_forms(
    request: AuthenticatedHttpRequest,
    case: Case | None,
    choices: list[tuple[int, str]],
    draft: EvaluationVersion | None = None,
):
    if request.method == "POST":
        data = request.POST
        return (
            CaseForm(data),
            PartyFormSet(data, prefix="parties", form_kwargs={"organization_choices": choices}),
            SourceFormSet(data, prefix="sources"),
        )
    if case is None:
        return (
            CaseForm(),
            PartyFormSet(prefix="parties", form_kwargs={"organization_choices": choices}),
            SourceFormSet(prefix="sources"),
        )
    if case.is_published:  # facts: a published case's form shows the open draft's facts
        facts = draft.facts if draft is not None and draft.facts else case_facts(case)
        ids = dict(
            Organization.objects.filter(slug__in=[p["organization"] for p in facts["parties"]]).values_list(
                "slug", "pk"
            )
        )
        parties = [
            {"organization": ids.get(p["organization"]), "role": p["role"], "note": p["note"]} for p in facts["parties"]
        ]
        sources = [{name: value for name, value in item.items() if name != "id"} for item in facts["sources"]]
        initial = {
            **{name: facts[name] for name in Case.FACT_FIELDS},
            "deal_types": facts["deal_types"],
            "tags": ", ".join(facts["tags"]),
        }
        return (
            CaseForm(initial=initial),
            PartyFormSet(prefix="parties", initial=parties, form_kwargs={"organization_choices": choices}),
            SourceFormSet(prefix="sources", initial=sources),
        )
    parties = [
        {"organization": p.organization_id, "role": p.role, "note": p.note}
        for p in case.parties.select_related("organization").order_by("position", "id")
    ]
    sources = [SourceForm.initial_for(s) for s in case.sources.order_by("position", "id")]
    return (
        CaseForm(initial=CaseForm.initial_for(case)),
        PartyFormSet(prefix="parties", initial=parties, form_kwargs={"organization_choices": choices}),
        SourceFormSet(prefix="sources", initial=sources),
    )


def _unfold(*formsets) -> None:
    """Empty rows fold one inside the next ("Add another ..."): a form shown again after a refused
    save opens every fold up to the last row that was filled in."""
    for formset in formsets:
        if not formset.is_bound:
            continue
        changed = [index for index, row in enumerate(formset.forms) if row.has_changed()]
        for index, row in enumerate(formset.forms):
            row.fold_open = bool(changed) and index <= changed[-1]


def _kept(formset) -> list:
    return [f for f in formset.forms if f.has_changed() and not f.cleaned_data.get("DELETE")]


def _case_save(request: AuthenticatedHttpRequest, case: Case | None) -> HttpResponse:
    choices, names = organization_picker()
    draft = _open_version(case)
    if case is not None and draft is not None and draft.state != EvaluationVersion.State.DRAFT:
        messages.error(
            request,
            f"Version {draft.number} is {draft.get_state_display()}: its facts are under review. "
            "Send it back to edit them.",
        )
        return redirect("desk-version", pk=draft.pk)
    form, parties, sources = _case_forms(request, case, choices, draft)
    if request.method == "POST":
        valid = form.is_valid() & parties.is_valid() & sources.is_valid()
        if valid and case is not None and case.is_published:
            return _facts_save(request, case, draft, form, parties, sources, names)
        if valid:
            party_forms, source_forms = _kept(parties), _kept(sources)
            typed = [f.party_row().new_organization_name for f in party_forms if not f.cleaned_data["organization"]]
            known = {name: org for name, org in web_selectors.organizations_matching(typed).items() if org is not None}
            try:
                saved = desk_services.case_save_with_parties(
                    by=request.user,
                    case=case,
                    data=form.case_input(tuple(f.source_input() for f in source_forms)),
                    parties=[f.party_row() for f in party_forms],
                    match_names=True,
                )
            except ValidationError as exc:
                _errors_onto_forms(exc, form, party_forms, source_forms)
            else:
                for name, organization in known.items():
                    messages.info(request, f"“{name}” is {organization.name}: the party is {organization.name}.")
                messages.success(request, f"Case “{saved.title}” saved.")
                return redirect("desk-case", pk=saved.pk)
        status = 400
    else:
        status = 200
    return _render_case_form(request, case, draft, form, parties, sources, names, status=status)


def _facts_save(request: AuthenticatedHttpRequest, case: Case, draft, form, parties, sources, names) -> HttpResponse:
    """A published case's facts: saved in the open draft (started if none), public once it is published."""
    party_forms, source_forms = _kept(parties), _kept(sources)
    lock = request.POST.get("lock", "")
    try:
        version = desk_services.case_facts_save_in_draft(
            by=request.user,
            case=case,
            data=form.case_input(tuple(f.source_input() for f in source_forms)),
            parties=[f.party_row() for f in party_forms],
            expected_lock=int(lock) if draft is not None and lock.isdigit() else None,
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            exc = ValidationError({key.removeprefix("facts."): value for key, value in exc.message_dict.items()})
        _errors_onto_forms(exc, form, party_forms, source_forms)
    except (EditConflict, WorkflowError) as exc:
        form.add_error(None, str(exc))
    else:
        messages.success(
            request,
            f"Facts saved in draft version {version.number}. Readers see them once it is reviewed and published.",
        )
        return redirect("desk-version", pk=version.pk)
    return _render_case_form(request, case, draft, form, parties, sources, names, status=400)


def _render_case_form(
    request: AuthenticatedHttpRequest, case: Case | None, draft, form, parties, sources, names, *, status: int
) -> HttpResponse:
    """The case form (with its parties and sources), its folds opened up to the last row filled in."""
    _unfold(parties, sources)
    context = {
        "case": case,
        "form": form,
        "parties": parties,
        "sources": sources,
        "draft": draft,
        "organization_names": names,
    }
    return render(request, "desk/case_form.html", context, status=status)


def _errors_onto_forms(exc: ValidationError, form: CaseForm, party_forms: list, source_forms: list) -> None:
    """``parties[2].role`` goes on the third kept party row's role field, and so on."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, messages_ in exc.message_dict.items():
        for prefix, rows in (("parties[", party_forms), ("sources[", source_forms)):
            if key.startswith(prefix):
                index, _, name = key[len(prefix) :].partition("].")
                row = rows[int(index)]
                row.add_error(name if name in row.fields else None, messages_)
                break
        else:
            form.add_error(key if key in form.fields else None, messages_)


@desk_view(policy.permission("case.create"))
def case_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _case_save(request, None)


@desk_view(policy.permission("case.edit"))
def case_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _desk_case_or_404(pk)
    return _case_save(request, case)


@desk_view(policy.permission("source.edit"))
def source_excerpt(request: AuthenticatedHttpRequest, pk: int, source_pk: int) -> HttpResponse:
    """The source's excerpt: the text its scores quote (see ``cases.source_excerpts``)."""
    case = _desk_case_or_404(pk)
    source = next((s for s in case.sources.all() if s.pk == source_pk), None)
    if source is None:
        raise Http404("No such source in this case.")
    form = SourceExcerptForm(request.POST or None, initial={"excerpt": source.excerpt})
    if request.method == "POST" and form.is_valid():
        try:
            source_excerpt_set(source=source, by=request.user, excerpt=form.cleaned_data["excerpt"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Excerpt saved; open drafts' quotes of it were checked again.")
            return redirect("desk-case", pk=case.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "desk/source_excerpt.html", {"case": case, "source": source, "form": form}, status=status)


@desk_view(policy.permission("timeline_event.add"), methods=("POST",))
def timeline_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _desk_case_or_404(pk)
    form = TimelineEventForm(request.POST)
    if form.is_valid() and case.is_published:  # facts: into the open draft
        try:
            version = desk_services.case_timeline_add_in_draft(by=request.user, case=case, event=form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except WorkflowError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Timeline event added to draft version {version.number}.")
            return redirect("desk-version", pk=version.pk)
    elif form.is_valid():
        try:
            services.timeline_event_add(case=case, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Timeline event added.")
            return redirect("desk-case", pk=case.pk)
    return _render_case(request, case, form, status=400)


@desk_view(policy.permission("timeline_event.edit"))
def timeline_edit(request: AuthenticatedHttpRequest, pk: int, n: int) -> HttpResponse:
    """Edit or delete the ``n``-th event of the timeline the case's desk page lists: directly on a
    case never published, in the open draft's facts (started if none) once it is published."""
    case = _desk_case_or_404(pk)
    event: TimelineEvent | None = None
    if case.is_published:
        draft, held = desk_services.draft_timeline(case)
        if not 0 <= n < len(held):
            raise Http404("No such timeline event.")
        initial = {name: held[n].get(name) for name in ("kind", "occurred_on", "precision", "note")}
        lock = str(draft.lock_version) if draft is not None else ""
    else:
        events = list(case.timeline.order_by("occurred_on", "id"))
        if not 0 <= n < len(events):
            raise Http404("No such timeline event.")
        event = events[n]
        initial = {
            "kind": event.kind,
            "occurred_on": event.occurred_on,
            "precision": event.precision,
            "note": event.note,
        }
        draft, lock = None, str(event.pk)
    form = TimelineEventForm(request.POST or None, initial=initial)
    if request.method == "POST":
        delete = "delete" in request.POST
        posted_lock = request.POST.get("lock", "")
        if delete or form.is_valid():
            try:
                if event is None:
                    version = desk_services.case_timeline_change_in_draft(
                        by=request.user,
                        case=case,
                        index=n,
                        event=None if delete else form.cleaned_data,
                        expected_lock=int(posted_lock) if posted_lock.isdigit() else None,
                    )
                    done = "deleted from" if delete else "changed in"
                    messages.success(request, f"Timeline event {done} draft version {version.number}.")
                    return redirect("desk-version", pk=version.pk)
                if posted_lock != str(event.pk):
                    raise WorkflowError("The timeline changed since you opened this page: reload it.")
                if delete:
                    services.timeline_event_delete(event=event, by=request.user)
                else:
                    services.timeline_event_update(event=event, by=request.user, **form.cleaned_data)
                messages.success(request, "Timeline event deleted." if delete else "Timeline event saved.")
                return redirect("desk-case", pk=case.pk)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except WorkflowError as exc:
                form.add_error(None, str(exc))
    status = 400 if request.method == "POST" else 200
    context = {"case": case, "form": form, "draft": draft, "lock": lock, "n": n}
    return render(request, "desk/timeline_edit.html", context, status=status)


@desk_view(policy.permission("organization.create"))
def organizations(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organization = services.organization_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Organization “{organization.name}” created.")
            return redirect("desk-organizations")
    organizations = Organization.objects.order_by("name")
    status = 400 if request.method == "POST" else 200
    return render(request, "desk/organizations.html", {"form": form, "organizations": organizations}, status=status)


@desk_view(policy.permission("organization.edit"))
def organization_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    try:
        organization = Organization.objects.get(pk=pk)
    except Organization.DoesNotExist:
        raise Http404("No such organization.") from None
    initial = {"name": organization.name, "kind": organization.kind, "description": organization.description}
    form = OrganizationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_update(organization=organization, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Organization “{organization.name}” saved.")
            return redirect("desk-organizations")
    status = 400 if request.method == "POST" else 200
    return render(request, "desk/organization_form.html", {"form": form, "organization": organization}, status=status)


@desk_view(policy.permission("organization.merge"))
def organization_merge(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Pick two organizations (GET), see what moves, confirm (POST): ``relationships.organization_merge`` does it."""
    choices = organization_choices()
    data = request.POST if request.method == "POST" else (request.GET if "source" in request.GET else None)
    form = OrganizationMergeForm(data, organization_choices=choices)
    preview = None
    status = 200
    if form.is_bound and form.is_valid():
        found = Organization.objects.in_bulk([form.cleaned_data["source"], form.cleaned_data["target"]])
        source, target = found[form.cleaned_data["source"]], found[form.cleaned_data["target"]]
        if request.method == "POST":
            source_name = source.name
            try:
                merged = relationships.organization_merge(by=request.user, source=source, target=target)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request, f"“{source_name}” merged into “{merged.name}”; its old address redirects there."
                )
                return redirect("desk-organizations")
        preview = web_selectors.organization_merge_preview(source, target)
    if form.is_bound and form.errors:
        status = 400
    return render(request, "desk/organization_merge.html", {"form": form, "preview": preview}, status=status)
