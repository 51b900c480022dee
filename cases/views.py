"""Reader pages for the case library."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from cases import selectors
from cases.models import Case, Organization
from evaluations.markdown import render as render_markdown


def home(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.case_list_published(), 25).get_page(request.GET.get("page"))
    return render(request, "cases/home.html", {"page": page})


def case_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        case = selectors.case_detail_published(slug)
    except Case.DoesNotExist:
        raise Http404("No published case here.") from None
    version = selectors.evaluation_version_for_reader(case)
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "version": version,
            "narrative_html": render_markdown(version.narrative) if version else "",
            "summary": getattr(case, "risk_summary", None),
        },
    )


def organization_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        organization = selectors.organization_detail(slug)
    except Organization.DoesNotExist:
        raise Http404("No such organization.") from None
    cases = selectors.case_list_published().filter(parties__organization=organization)
    return render(request, "cases/organization_detail.html", {"organization": organization, "cases": cases})
