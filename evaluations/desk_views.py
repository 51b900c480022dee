"""The editorial desk: HTML pages for writing, reviewing and publishing analyses.

Views parse and validate input and call the services; every view checks the
permission the service will check, on the server, before doing anything.
Drafts are shown only here, to signed-in users with desk permissions.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse

from cases import charts, reading
from cases.models import Case, Party, Source
from core.desk import apply_service_errors, desk_view
from core.errors import EditConflict, TransitionNotAllowed, errors_by_field
from core.types import AuthenticatedHttpRequest
from evaluations import anchoring, compare, policy, selectors
from evaluations import preview as previewing
from evaluations.checklist import version_checklist
from evaluations.forms import (
    AnnotationForm,
    ApproveForm,
    AssignForm,
    CommentForm,
    EvaluationVersionForm,
    RebaseForm,
    ReplyForm,
    RescheduleForm,
    RestoreForm,
    ReviewCommentForm,
    SendBackForm,
    UnscheduleForm,
)
from evaluations.markdown import render as render_markdown
from evaluations.models import Annotation, Criterion, EvaluationVersion, Notification, ReviewComment
from evaluations.revision_compare import compare_revisions
from evaluations.services import annotations as annotation_services
from evaluations.services import notifications as notification_services
from evaluations.services import rebase, review, scheduling, workflow
from evaluations.services import revision_restore as restoring
from evaluations.services.scheduling import publish_at_shown

State = EvaluationVersion.State


def version_or_404(pk: int) -> EvaluationVersion:
    """The version as the desk's pages read it (selectors.desk_version), or a 404."""
    try:
        return selectors.desk_version(pk)
    except EvaluationVersion.DoesNotExist:
        raise Http404("No such version.") from None


def _case_or_404(pk: int) -> Case:
    try:
        return Case.objects.get(pk=pk)
    except Case.DoesNotExist:
        raise Http404("No such case.") from None


# --- Dashboard --------------------------------------------------------------


@desk_view(policy.NEWSROOM_PERMISSION, methods=("GET",))
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "desk/dashboard.html", selectors.desk_dashboard(request.user))


# --- A version: read, review, annotate ------------------------------------------


def _located_annotations(version: EvaluationVersion) -> list[dict]:
    """Each annotation with the passage it anchors to in this version's narrative."""
    result = []
    for note in version.annotations.all():
        span = anchoring.locate(version.narrative, note.quote, note.prefix, note.suffix)
        result.append(
            {
                "note": note,
                "found": span is not None,
                "before": version.narrative[max(0, span[0] - 60) : span[0]] if span else "",
                "after": version.narrative[span[1] : span[1] + 60] if span else "",
                "body_html": render_markdown(note.body),
            }
        )
    return result


def _render_version(
    request: AuthenticatedHttpRequest, version: EvaluationVersion, status: int = 200, **forms
) -> HttpResponse:
    selectors.version_review_load(version)  # before the buttons: open comments block approval
    context = {
        "version": version,
        "case": version.case,
        "contributors": selectors.version_contributors(version),
        "since_review": _since_last_review(request, version),
        "narrative_html": render_markdown(version.narrative),
        "annotations": _located_annotations(version),
        **policy.version_buttons(request.user, version),
        "has_published": selectors.desk_case_has_published(version.case_id),
        "submit_form": forms.get("submit_form") or CommentForm(),
        "send_back_form": forms.get("send_back_form") or SendBackForm(),
        "approve_form": forms.get("approve_form") or ApproveForm(),
        "reschedule_form": forms.get("reschedule_form") or RescheduleForm(initial={"publish_at": version.publish_at}),
        "unschedule_form": forms.get("unschedule_form") or UnscheduleForm(),
        "annotation_form": forms.get("annotation_form") or AnnotationForm(),
        # checklist: what the draft lacks (blocking) and what to look at, before submit and approve
        "checklist": version_checklist(version) if version.state in (State.DRAFT, State.IN_REVIEW) else None,
        # facts: what this version changes in the case's facts, against the version it started from
        "fact_changes": compare.facts_compared(version.based_on.facts, version.facts) if version.based_on else (),
        **_review_context(request, version, forms),
    }
    return render(request, "desk/version_detail.html", context, status=status)


def _review_context(request: AuthenticatedHttpRequest, version: EvaluationVersion, forms: dict) -> dict:
    """The review loop on the version page: the send-back banner, comment threads, reviewers."""
    can_assign = policy.allowed(request.user, "version.assign", version)
    reviewers = selectors.users_with_permission(policy.permission("version.approve")) if can_assign else []
    return {
        "sent_back": selectors.sent_back_by(version),
        "review_threads": selectors.review_threads(version),
        "open_comment_count": policy.open_comment_count(version),
        "assignments": list(version.assignments.all()),
        "comment_form": forms.get("comment_form") or ReviewCommentForm(scores=version.scores.all()),
        "reply_form": ReplyForm(),
        "assign_form": forms.get("assign_form") or AssignForm(reviewers=reviewers),
        "withdraw_form": CommentForm(),
        "discard_form": CommentForm(),
    }


def _since_last_review(request: AuthenticatedHttpRequest, version: EvaluationVersion) -> dict | None:
    """For a version back in review: what changed since the reviewer's last send-back (else anyone's)."""
    if version.state != State.IN_REVIEW:
        return None
    review = selectors.last_review(version, request.user)
    if review is None:
        return None
    latest = list(version.revisions.all())[-1].number
    revisions = selectors.revisions_by_number(version.pk, [review.revision_number, latest])
    return {
        "review": review,
        "changes": compare_revisions(revisions[review.revision_number], revisions[latest]),
    }


@desk_view(policy.NEWSROOM_PERMISSION, methods=("GET",))
def version_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _render_version(request, version_or_404(pk))


def _after_action(request: AuthenticatedHttpRequest, version: EvaluationVersion, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("desk-version", pk=version.pk)


def _refusal_text(exc: ValidationError | TransitionNotAllowed) -> str:
    """A service's refusal in words: a ValidationError's messages, or why the state does not allow it."""
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


def _refused(
    request: AuthenticatedHttpRequest,
    version: EvaluationVersion,
    exc: ValidationError | TransitionNotAllowed,
    *,
    form: Form | None = None,
    form_name: str = "",
    fields: dict[str, str] | None = None,
    not_done: str = "",
) -> HttpResponse:
    """How the version page answers a service that refused an action on it.

    A state that no longer allows the action (TransitionNotAllowed): a message, back on the version
    page. A ValidationError: on ``form`` (by ``fields``), and in a message after ``not_done`` when
    given; the version page again with 400, the form shown as ``form_name``. (PermissionDenied is
    ``desk_view``'s: the 403 page.)
    """
    if isinstance(exc, TransitionNotAllowed):
        messages.error(request, str(exc))
        return redirect("desk-version", pk=version.pk)
    if form is not None:
        apply_service_errors(form, exc, fields)
    if not_done:
        messages.error(request, not_done + _refusal_text(exc))
    return _render_version(request, version, status=400, **({form_name: form} if form_name else {}))


@desk_view(policy.permission("version.submit"), methods=("POST",))
def version_submit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    version = version_or_404(pk)
    form = CommentForm(request.POST)
    form.is_valid()
    try:
        workflow.evaluation_version_submit(version=version, by=request.user, comment=form.cleaned_data["comment"])
    except (ValidationError, TransitionNotAllowed) as exc:
        return _refused(request, version, exc, form=form, form_name="submit_form", not_done="Not submitted: ")
    return _after_action(request, version, f"Version {version.number} is submitted for review.")


@desk_view(policy.permission("version.send_back"), methods=("POST",))
def version_send_back(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    version = version_or_404(pk)
    form = SendBackForm(request.POST)
    if not form.is_valid():
        return _render_version(request, version, status=400, send_back_form=form)
    try:
        workflow.evaluation_version_send_back(version=version, by=request.user, comment=form.cleaned_data["comment"])
    except (ValidationError, TransitionNotAllowed) as exc:
        return _refused(request, version, exc, form=form, form_name="send_back_form")
    return _after_action(request, version, f"Version {version.number} is back with its author as a draft.")


@desk_view(policy.permission("version.approve"), methods=("POST",))
def version_approve(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    version = version_or_404(pk)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        return _render_version(request, version, status=400, approve_form=form)
    try:
        approved = workflow.evaluation_version_approve(
            version=version,
            by=request.user,
            publish_at=form.cleaned_data["publish_at"],
            correction_note=form.cleaned_data["correction_note"],
        )
    except (ValidationError, TransitionNotAllowed) as exc:
        return _refused(request, version, exc, form=form, form_name="approve_form")
    if approved.state == State.SCHEDULED:
        return _after_action(
            request, version, f"Version {version.number} will be published at {publish_at_shown(approved.publish_at)}."
        )
    return _after_action(request, version, f"Version {version.number} is published.")


@desk_view(policy.permission("version.reschedule"), methods=("POST",))
def version_reschedule(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    version = version_or_404(pk)
    form = RescheduleForm(request.POST)
    if not form.is_valid():
        return _render_version(request, version, status=400, reschedule_form=form)
    try:
        moved = scheduling.evaluation_version_reschedule(
            version=version, by=request.user, publish_at=form.cleaned_data["publish_at"]
        )
    except (ValidationError, TransitionNotAllowed) as exc:
        return _refused(request, version, exc, form=form, form_name="reschedule_form")
    return _after_action(
        request, version, f"Version {version.number} will now be published at {publish_at_shown(moved.publish_at)}."
    )


@desk_view(policy.permission("version.unschedule"), methods=("POST",))
def version_unschedule(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    version = version_or_404(pk)
    form = UnscheduleForm(request.POST)
    if not form.is_valid():
        return _render_version(request, version, status=400, unschedule_form=form)
    try:
        scheduling.evaluation_version_unschedule(version=version, by=request.user, comment=form.cleaned_data["comment"])
    except (ValidationError, TransitionNotAllowed) as exc:
        return _refused(request, version, exc, form=form, form_name="unschedule_form")
    message = f"Version {version.number} is off the schedule and back in review; approve it again to publish it."
    return _after_action(request, version, message)


@desk_view(policy.NEWSROOM_PERMISSION, methods=("GET",))
def version_preview(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The draft's whole reader page, marked as a preview (newsroom only, never indexed or cached)."""
    try:
        version = previewing.preview_version(pk)
    except EvaluationVersion.DoesNotExist:
        raise Http404("No such version.") from None
    context = previewing.version_preview(version)
    context |= {
        "preview": True,
        "chart": charts.risk_chart(context["summary"]),
        "analysis": reading.outline(render_to_string("cases/_analysis.html", context)),
        "can_approve": policy.allowed(request.user, "version.approve", version),
    }
    response = render(request, "desk/version_preview.html", context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-store"
    return response


@desk_view(policy.permission("version.rebase"), methods=("POST",))
def version_rebase(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    version = version_or_404(pk)
    form = RebaseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not moved: reload the page and try again.")
        return redirect("desk-version", pk=pk)
    try:
        result = rebase.evaluation_version_rebase(
            version=version, by=request.user, expected_lock=form.cleaned_data["lock_version"]
        )
    except EditConflict:
        messages.error(request, "Not moved: someone saved this draft since you loaded the page. Look again.")
        return redirect("desk-version", pk=pk)
    except TransitionNotAllowed as exc:
        messages.error(request, f"Not moved: {exc}")
        return redirect("desk-version", pk=pk)
    return _after_action(request, version, result.summary()[:1].upper() + result.summary()[1:] + ".")


@desk_view(policy.permission("annotation.add"), methods=("POST",))
def annotation_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    version = version_or_404(pk)
    form = AnnotationForm(request.POST)
    if form.is_valid():
        try:
            annotation_services.annotation_add(version=version, by=request.user, item=form.annotation_input())
        except ValidationError as exc:
            # Each message next to the field it is about (the quote, when it occurs more than once).
            for name, problems in errors_by_field(exc).items():
                field = name.rpartition(".")[2] if "." in name else None
                form.add_error(field if field in form.fields else None, problems)
        except TransitionNotAllowed as exc:
            return _refused(request, version, exc)
        else:
            return _after_action(request, version, "Annotation added.")
    return _render_version(request, version, status=400, annotation_form=form)


@desk_view(policy.permission("annotation.delete"), methods=("POST",))
def annotation_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    try:
        note = Annotation.objects.select_related("version").get(pk=pk)
    except Annotation.DoesNotExist:
        raise Http404("No such annotation.") from None
    try:
        annotation_services.annotation_delete(annotation=note, by=request.user)
    except TransitionNotAllowed as exc:
        return _refused(request, note.version, exc)
    messages.success(request, "Annotation removed.")
    return redirect("desk-version", pk=note.version_id)


# --- Writing a draft ------------------------------------------------------------


@desk_view(policy.permission("version.start"), methods=("POST",))
def evaluation_start(request: AuthenticatedHttpRequest, case_pk: int) -> HttpResponse:
    case = _case_or_404(case_pk)
    try:
        version = workflow.evaluation_version_start(case=case, by=request.user)
    except TransitionNotAllowed as exc:
        messages.error(request, str(exc))
        return redirect("desk-case", pk=case.pk)
    messages.success(request, f"Version {version.number} started.")
    return redirect("desk-version-edit", pk=version.pk)


def _edit_form(version: EvaluationVersion, data=None) -> EvaluationVersionForm:
    criteria = list(
        Criterion.objects.filter(version_id=version.evaluation.rubric_version_id).order_by("position", "id")
    )
    parties = list(
        Party.objects.filter(case_id=version.case_id).select_related("organization").order_by("position", "id")
    )
    sources = list(Source.objects.filter(case_id=version.case_id).order_by("position", "id"))
    return EvaluationVersionForm(
        data,
        initial=EvaluationVersionForm.initial_for(version),
        version=version,
        criteria=criteria,
        parties=parties,
        sources=sources,
    )


def _render_edit(
    request: AuthenticatedHttpRequest,
    version: EvaluationVersion,
    form: EvaluationVersionForm,
    status: int = 200,
    **extra,
) -> HttpResponse:
    layout = form.layout(request.POST.get("layout") if request.method == "POST" else request.GET.get("layout"))
    context = {
        "version": version,
        "case": version.case,
        "form": form,
        "rubric_version": form.rubric_version,
        "scores": form.score_sections(layout),
        **extra,
    }
    return render(request, "desk/version_edit.html", context, status=status)


@desk_view(policy.permission("version.edit"))
def version_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    version = version_or_404(pk)
    if request.method == "GET" and version.state != State.DRAFT:
        messages.error(
            request, f"Version {version.number} is {version.get_state_display()}: only a draft can be edited."
        )
        return redirect("desk-version", pk=pk)
    if request.method == "GET":
        return _render_edit(request, version, _edit_form(version))
    # A POST goes to the service even if the state changed since the form was loaded:
    # its refusal comes back on the form with the editor's text intact.
    form = _edit_form(version, request.POST)
    if "preview" in request.POST:
        # Nothing is saved: the form comes back with the text rendered as readers would see it.
        form.is_valid()
        return _render_edit(request, version, form, preview_html=render_markdown(request.POST.get("narrative", "")))
    if not form.is_valid():
        return _render_edit(request, version, form, status=400)
    scores, score_prefixes = form.score_inputs()
    try:
        saved = workflow.evaluation_version_save(
            version=version,
            by=request.user,
            expected_lock=form.cleaned_data["lock_version"],
            narrative=form.cleaned_data["narrative"],
            verdict=form.cleaned_data["verdict"],
            change_note=form.cleaned_data["change_note"],
            scores=scores,
        )
    except EditConflict as exc:
        # Nothing was written: the editor's text stays in the form, the saved text beside it.
        return _render_edit(request, version, form, status=409, conflict=exc.current, conflict_message=str(exc))
    except ValidationError as exc:
        form.service_errors(exc, score_prefixes)
        return _render_edit(request, version, form, status=400)
    except TransitionNotAllowed as exc:
        # Submitted or sent on meanwhile: the editor's text is shown back, not dropped.
        form.add_error(None, f"Not saved: {exc}. Your text is below.")
        return _render_edit(request, version, form, status=409)
    latest = saved.revisions.order_by("-number").values_list("number", flat=True).first()
    messages.success(request, f"Saved (revision {latest}).")
    return redirect("desk-version-edit", pk=pk)


# --- A case's versions: compare and history --------------------------------------


@desk_view(policy.NEWSROOM_PERMISSION, methods=("GET",))
def version_compare(request: AuthenticatedHttpRequest, case_pk: int) -> HttpResponse:
    case = _case_or_404(case_pk)
    numbers = list(EvaluationVersion.objects.filter(case=case).order_by("number").values_list("number", flat=True))
    try:
        a = int(request.GET.get("a") or (numbers[-2] if len(numbers) > 1 else 0))
        b = int(request.GET.get("b") or (numbers[-1] if numbers else 0))
    except ValueError:
        a = b = 0
    versions = selectors.desk_versions_for_compare(case.pk, [a, b])
    comparison = None
    error = ""
    if a not in versions or b not in versions:
        error = "Choose two versions of this case." if len(numbers) > 1 else "This case has fewer than two versions."
    elif a == b:
        error = "Choose two different versions."
    else:
        older, newer = sorted([versions[a], versions[b]], key=lambda v: v.number)
        comparison = compare.compare_versions(older, newer)
    context = {"case": case, "numbers": numbers, "a": a, "b": b, "comparison": comparison, "error": error}
    if comparison is not None:
        context |= {"label_a": f"v{comparison.a.number}", "label_b": f"v{comparison.b.number}"}
    return render(request, "desk/compare.html", context, status=400 if error and request.GET else 200)


@desk_view(policy.NEWSROOM_PERMISSION, methods=("GET",))
def case_history(request: AuthenticatedHttpRequest, case_pk: int) -> HttpResponse:
    case = _case_or_404(case_pk)
    return render(request, "desk/history.html", {"case": case, "versions": selectors.desk_case_history(case.pk)})


# --- A version's revisions: list, compare, restore ---------------------------------------


def _revisions_version_or_404(pk: int) -> EvaluationVersion:
    try:
        return selectors.desk_version_revisions(pk)
    except EvaluationVersion.DoesNotExist:
        raise Http404("No such version.") from None


@desk_view(policy.NEWSROOM_PERMISSION, methods=("GET",))
def version_revisions(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    version = _revisions_version_or_404(pk)
    revisions = list(version.revisions.all())
    context = {
        "version": version,
        "case": version.case,
        "revisions": revisions,
        "contributors": selectors.version_contributors(version),
        "can_restore": policy.allowed(request.user, "version.edit", version),
        "restore_form": RestoreForm(initial={"lock_version": version.lock_version}),
        "a": revisions[-2].number if len(revisions) > 1 else None,
        "b": revisions[-1].number if revisions else None,
    }
    return render(request, "desk/revisions.html", context)


@desk_view(policy.NEWSROOM_PERMISSION, methods=("GET",))
def revision_compare(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    version = _revisions_version_or_404(pk)
    numbers = [revision.number for revision in version.revisions.all()]
    try:
        a = int(request.GET.get("a") or (numbers[-2] if len(numbers) > 1 else 0))
        b = int(request.GET.get("b") or (numbers[-1] if numbers else 0))
    except ValueError:
        a = b = 0
    revisions = selectors.revisions_by_number(version.pk, [a, b])
    changes, error = None, ""
    if a not in revisions or b not in revisions:
        error = "Choose two revisions of this version." if len(numbers) > 1 else "This version has one revision."
    elif a == b:
        error = "Choose two different revisions."
    else:
        older, newer = sorted([revisions[a], revisions[b]], key=lambda r: r.number)
        changes = compare_revisions(older, newer)
    context = {"version": version, "case": version.case, "numbers": numbers, "a": a, "b": b}
    context |= {"changes": changes, "error": error}
    return render(request, "desk/revision_compare.html", context, status=400 if error and request.GET else 200)


@desk_view(policy.permission("version.edit"), methods=("POST",))
def revision_restore(request: AuthenticatedHttpRequest, pk: int, number: int) -> HttpResponse:
    version = version_or_404(pk)
    form = RestoreForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not restored: reload the page and try again.")
        return redirect("desk-version-revisions", pk=pk)
    try:
        restoring.evaluation_version_restore(
            version=version, by=request.user, expected_lock=form.cleaned_data["lock_version"], number=number
        )
    except EditConflict:
        messages.error(request, "Not restored: someone saved this draft since you loaded the page. Look again.")
        return redirect("desk-version-revisions", pk=pk)
    except (ValidationError, TransitionNotAllowed) as exc:
        messages.error(request, f"Not restored: {_refusal_text(exc)}")
        return redirect("desk-version-revisions", pk=pk)
    messages.success(request, f"Revision {number} restored as a new save.")
    return redirect("desk-version-revisions", pk=pk)


@desk_view(policy.DRAFT_VIEWERS["version"], methods=("GET",))
def version_saved(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The version's last-save marker as JSON (newsroom only, never cached): the edit pages' script
    polls it and tells the editor when someone else saved the draft. The save itself is still
    refused server-side by the lock (If-Match) rule; the page works without the script."""
    marker = selectors.version_save_marker(pk)
    if marker is None:
        raise Http404("No such version.")
    response = JsonResponse(marker)
    response["ETag"] = marker["etag"]
    response["Cache-Control"] = "private, no-store"
    return response


# --- The review loop: withdraw, discard, reviewers, private comments ----------------------------


@desk_view(policy.permission("version.withdraw"), methods=("POST",))
def version_withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    version = version_or_404(pk)
    form = CommentForm(request.POST)
    form.is_valid()
    try:
        review.evaluation_version_withdraw(
            version=version, by=request.user, comment=form.cleaned_data.get("comment", "")
        )
    except TransitionNotAllowed as exc:
        return _refused(request, version, exc)
    return _after_action(request, version, f"Version {version.number} is withdrawn from review: a draft again.")


@desk_view(policy.permission("version.discard"), methods=("POST",))
def version_discard(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    version = version_or_404(pk)
    form = CommentForm(request.POST)
    form.is_valid()
    try:
        review.evaluation_version_discard(
            version=version, by=request.user, comment=form.cleaned_data.get("comment", "")
        )
    except TransitionNotAllowed as exc:
        return _refused(request, version, exc)
    messages.success(request, f"Version {version.number} is discarded: a new version can be started.")
    return redirect("desk-case", pk=version.case_id)


def _reviewer_or_none(form: AssignForm):
    return get_user_model().objects.filter(pk=form.cleaned_data["reviewer"]).first()


@desk_view(policy.permission("version.assign"), methods=("POST",))
def version_assign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    version = version_or_404(pk)
    unassign = "unassign" in request.POST
    reviewers = selectors.users_with_permission(policy.permission("version.approve"))
    # Unassigning names someone assigned, who may since have lost the right: any user id is taken.
    form = AssignForm(request.POST, reviewers=reviewers if not unassign else _assigned_users(version))
    if not form.is_valid():
        return _render_version(request, version, status=400, assign_form=form)
    reviewer = _reviewer_or_none(form)
    try:
        if unassign:
            review.review_unassign(version=version, by=request.user, reviewer=reviewer)
        else:
            review.review_assign(version=version, by=request.user, reviewer=reviewer)
    except (ValidationError, TransitionNotAllowed) as exc:
        return _refused(request, version, exc, form=form, form_name="assign_form")
    name = reviewer.get_username()
    return _after_action(request, version, f"{name} is {'no longer' if unassign else 'now'} assigned to review this.")


def _assigned_users(version: EvaluationVersion) -> list:
    return [a.reviewer for a in version.assignments.select_related("reviewer")]


@desk_view(policy.permission("comment.add"), methods=("POST",))
def review_comment_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    version = version_or_404(pk)
    form = ReviewCommentForm(request.POST, scores=version.scores.all())
    if not form.is_valid():
        return _render_version(request, version, status=400, comment_form=form)
    try:
        review.review_comment_create(version=version, by=request.user, body=form.cleaned_data["body"], **form.anchor())
    except (ValidationError, TransitionNotAllowed) as exc:
        fields = {"criterion": "score", "party": "score"}
        return _refused(request, version, exc, form=form, form_name="comment_form", fields=fields)
    messages.success(request, "Comment added (the newsroom only sees it).")
    return redirect(f"{reverse('desk-version', kwargs={'pk': pk})}#review-h")


def _comment_or_404(pk: int) -> ReviewComment:
    comment = ReviewComment.objects.select_related("version").filter(pk=pk).first()
    if comment is None:
        raise Http404("No such comment.")
    return comment


@desk_view(policy.permission("comment.add"), methods=("POST",))
def review_comment_reply(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    parent = _comment_or_404(pk)
    version = version_or_404(parent.version_id)
    form = ReplyForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"body": ["the reply is empty"]})
        review.review_comment_create(version=version, by=request.user, body=form.cleaned_data["body"], parent=parent)
    except (ValidationError, TransitionNotAllowed) as exc:
        return _refused(request, version, exc, not_done="Not replied: ")
    messages.success(request, "Reply added.")
    return redirect(f"{reverse('desk-version', kwargs={'pk': version.pk})}#comment-{parent.pk}")


@desk_view(policy.permission("comment.resolve"), methods=("POST",))
def review_comment_resolve(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    comment = _comment_or_404(pk)
    try:
        review.review_comment_resolve(comment=comment, by=request.user)
    except (ValidationError, TransitionNotAllowed) as exc:
        messages.error(request, f"Not resolved: {_refusal_text(exc)}")
        return redirect("desk-version", pk=comment.version_id)
    messages.success(request, "Comment resolved.")
    return redirect(f"{reverse('desk-version', kwargs={'pk': comment.version_id})}#review-h")


# --- Notifications ------------------------------------------------------------

NOTIFICATIONS_PER_PAGE = 30


@desk_view(policy.NEWSROOM_PERMISSION, methods=("GET",))
def notifications(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The signed-in user's notifications, newest first (nobody sees anyone else's)."""
    page = Paginator(selectors.notifications_for(request.user), NOTIFICATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "desk/notifications.html", {"page": page})


@desk_view(policy.NEWSROOM_PERMISSION, methods=("POST",))
def notification_read(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    try:
        notification = selectors.notification_of(request.user, pk)
    except Notification.DoesNotExist:
        raise Http404("No such notification.") from None
    notification_services.notification_mark_read(notification=notification, by=request.user)
    return redirect("desk-notifications")


@desk_view(policy.NEWSROOM_PERMISSION, methods=("POST",))
def notifications_read_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    count = notification_services.notifications_mark_all_read(by=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return redirect("desk-notifications")
