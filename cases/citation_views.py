"""Citation downloads (BibTeX, CSL-JSON) of a public analysis version and of a public rubric version.

The permanent, versioned URLs they cite are the reader pages that already
exist: ``/cases/<slug>/versions/<n>/`` and ``/rubric/<rubric>/v<n>/``.
"""

from __future__ import annotations

import json

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from cases import citations, selectors
from cases.models import Case
from core.http import absolute_url
from evaluations.models import EvaluationVersion, RubricVersion

FORMATS = {
    "bib": ("application/x-bibtex; charset=utf-8", "bib"),
    "json": ("application/vnd.citationstyles.csl+json; charset=utf-8", "json"),
}


def _download(citation: citations.Citation, fmt: str) -> HttpResponse:
    content_type, extension = FORMATS[fmt]
    if fmt == "bib":
        body = citations.bibtex(citation)
    else:
        body = json.dumps(citations.csl_json(citation), ensure_ascii=False, indent=2) + "\n"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{citation.key}.{extension}"'
    return response


@require_GET
def case_version_cite(request: HttpRequest, slug: str, number: int, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404("No such citation format.")
    try:
        case = selectors.case_published_or_404_slug(slug)
        version = selectors.evaluation_version_public(case, number)
    except (Case.DoesNotExist, EvaluationVersion.DoesNotExist):
        raise Http404("No published version here.") from None
    url = absolute_url(reverse("case-version", args=[case.slug, version.number]))
    return _download(citations.case_version_citation(case, version, url=url), fmt)


@require_GET
def rubric_version_cite(request: HttpRequest, rubric_slug: str, number: int, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404("No such citation format.")
    try:
        version = selectors.rubric_version_public(rubric_slug, number)
    except RubricVersion.DoesNotExist:
        raise Http404("No published rubric version here.") from None
    url = absolute_url(reverse("rubric-version", args=[rubric_slug, number]))
    return _download(citations.rubric_version_citation(version, url=url), fmt)
