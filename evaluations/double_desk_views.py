"""The desk's pages for independent double scoring: a version's double scoring (mark it,
score it blind, settle its differences) and the reconciliation queue across drafts.
What each person sees comes from evaluations.double_reads (the blind rule)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from core.desk import apply_service_errors, desk_view
from core.errors import TransitionNotAllowed
from core.types import AuthenticatedHttpRequest
from evaluations import double_reads, policy
from evaluations.desk_views import version_or_404
from evaluations.forms import score_rows
from evaluations.models import EvaluationVersion, Reconciliation
from evaluations.services import double_scoring as services
from evaluations.services.facts import version_party_ids


def _scorers() -> forms.ModelChoiceField:
    codename = policy.permission("double_scoring.submit").split(".", 1)[1]
    users = (
        User.objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True) | Q(groups__permissions__codename=codename) | Q(user_permissions__codename=codename)
        )
        .distinct()
        .order_by("username")
    )
    return forms.ModelChoiceField(queryset=users)


class RequestForm(forms.Form):
    first_scorer = forms.ModelChoiceField(queryset=User.objects.none(), label="First editor")
    second_scorer = forms.ModelChoiceField(queryset=User.objects.none(), label="Second editor")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("first_scorer", "second_scorer"):
            self.fields[name].queryset = _scorers().queryset  # type: ignore[attr-defined]


class SettleForm(forms.Form):
    reconciliation = forms.IntegerField(widget=forms.HiddenInput)
    value = forms.IntegerField(label="Settled score")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Why", max_length=2000)


def _sheet_rows(version: EvaluationVersion) -> list:
    parties = [p for p in version.case.parties.select_related("organization") if p.pk in version_party_ids(version)]
    return score_rows(list(version.evaluation.rubric_version.criteria.all()), parties)


def _render(request: AuthenticatedHttpRequest, version: EvaluationVersion, status: int = 200, **extra) -> HttpResponse:
    view = double_reads.double_view(version, request.user)
    rubric_version = version.evaluation.rubric_version
    context = {
        "version": version,
        "case": version.case,
        "view": view,
        "scale": range(rubric_version.scale_min, rubric_version.scale_max + 1),
        "can_request": view is None and policy.allowed(request.user, "double_scoring.request", version),
        "can_submit": view is not None
        and not view.submitted_mine
        and policy.allowed(request.user, "double_scoring.submit", version),
        "can_settle": view is not None
        and view.shows_first
        and view.shows_second
        and policy.allowed(request.user, "double_scoring.settle", version),
        "request_form": extra.get("request_form") or RequestForm(),
        "sheet_errors": extra.get("sheet_errors") or [],
        "settle_errors": extra.get("settle_errors") or {},
    }
    if context["can_submit"]:
        context["sheet"] = _sheet_rows(version)
    return render(request, "desk/double_scoring.html", context, status=status)


@desk_view(policy.NEWSROOM_PERMISSION)
def double_scoring(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    version = version_or_404(pk)
    if request.method == "GET":
        return _render(request, version)
    action = request.POST.get("action", "")
    try:
        if action == "request":
            form = RequestForm(request.POST)
            if not form.is_valid():
                return _render(request, version, status=400, request_form=form)
            try:
                services.double_scoring_request(
                    version=version,
                    by=request.user,
                    first_scorer=form.cleaned_data["first_scorer"],
                    second_scorer=form.cleaned_data["second_scorer"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
                return _render(request, version, status=400, request_form=form)
            messages.success(request, "Marked for independent double scoring.")
        elif action == "submit":
            scores, problems = [], []
            for row in _sheet_rows(version):
                raw = request.POST.get(row.prefix, "").strip()
                try:
                    value = int(raw)
                except ValueError:
                    problems.append(f"{row.criterion.key} ({row.party.organization.name if row.party else 'the deal'})")
                    continue
                scores.append(services.RawScoreInput(row.criterion.key, row.party_id, value))
            if problems:
                return _render(request, version, status=400, sheet_errors=[f"Score {p}." for p in problems])
            try:
                services.double_scoring_submit(version=version, by=request.user, scores=scores)
            except ValidationError as exc:
                return _render(request, version, status=400, sheet_errors=exc.messages)
            messages.success(request, "Your scores are submitted.")
        elif action == "settle":
            settle_form = SettleForm(request.POST)
            if not settle_form.is_valid():
                return _render(request, version, status=400, settle_errors=settle_form.errors)
            try:
                reconciliation = Reconciliation.objects.get(
                    pk=settle_form.cleaned_data["reconciliation"], version=version
                )
            except Reconciliation.DoesNotExist:
                raise Http404("No such difference.") from None
            try:
                services.double_scoring_settle(
                    reconciliation=reconciliation,
                    by=request.user,
                    value=settle_form.cleaned_data["value"],
                    note=settle_form.cleaned_data["note"],
                )
            except ValidationError as exc:
                return _render(request, version, status=400, settle_errors=exc.message_dict)
            messages.success(request, "Difference settled.")
        else:
            return _render(request, version, status=400)
    except TransitionNotAllowed as exc:
        messages.error(request, str(exc))
    return redirect("desk-double-scoring", pk=version.pk)


@desk_view(policy.NEWSROOM_PERMISSION, methods=("GET",))
def reconciliation_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "desk/reconciliation_queue.html",
        {
            "queue": double_reads.reconciliation_queue(),
            "waiting": double_reads.pending_double_scorings(request.user),
        },
    )
