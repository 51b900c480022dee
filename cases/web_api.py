"""/api/v1/ endpoints for the web of dependencies: the graph (JSON, GraphML), an organization's
independent paths, drift and relationships, and deals side by side. Published content only."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import graph, selectors, web_selectors
from cases.models import Organization
from core.api import errors
from evaluations import side_by_side

GRAPH_PARAMETERS = [
    OpenApiParameter("from", int, description="First year announced."),
    OpenApiParameter("to", int, description="Last year announced."),
    OpenApiParameter("type", str, description="A deal type's slug."),
    OpenApiParameter("classification", str, enum=list(web_selectors.CLASSIFICATIONS)),
    OpenApiParameter("collapse", str, enum=["1"], description="Collapse corporate families into their parent."),
]


def _organization(slug: str) -> Organization:
    try:
        return selectors.organization_detail(slug)
    except Organization.DoesNotExist:
        raise Http404("No such organization.") from None


def _graph(request: Request, focus: Organization | None) -> graph.Graph:
    filters, problems = web_selectors.graph_filters_parse(request.query_params)
    if problems:
        raise ValidationError(problems)
    return web_selectors.graph_read(filters, focus=focus)


def _graphml(built: graph.Graph, name: str) -> HttpResponse:
    response = HttpResponse(graph.as_graphml(built), content_type="application/graphml+xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.graphml"'
    return response


class GraphMLView(APIView):
    def perform_content_negotiation(self, request: Request, force: bool = False):
        return super().perform_content_negotiation(request, force=True)


GRAPH_JSON = OpenApiResponse(OpenApiTypes.OBJECT, description="{nodes: [...], edges: [...], total_nodes}")
GRAPHML = OpenApiResponse(OpenApiTypes.STR, description="GraphML for Gephi and similar tools.")


class GraphView(APIView):
    @extend_schema(
        operation_id="graph_retrieve", parameters=GRAPH_PARAMETERS, responses={200: GRAPH_JSON, **errors(400, 429)}
    )
    def get(self, request: Request) -> Response:
        return Response(graph.as_json(_graph(request, None)))


class GraphGraphMLView(GraphMLView):
    @extend_schema(
        operation_id="graph_graphml",
        parameters=GRAPH_PARAMETERS,
        responses={(200, "application/graphml+xml"): GRAPHML, **errors(400, 429)},
    )
    def get(self, request: Request) -> HttpResponse:
        return _graphml(_graph(request, None), "moatwatch-graph")


class OrganizationGraphView(APIView):
    @extend_schema(
        operation_id="organization_graph_retrieve",
        parameters=GRAPH_PARAMETERS,
        responses={200: GRAPH_JSON, **errors(400, 404, 429)},
    )
    def get(self, request: Request, slug: str) -> Response:
        return Response(graph.as_json(_graph(request, _organization(slug))))


class OrganizationGraphMLView(GraphMLView):
    @extend_schema(
        operation_id="organization_graph_graphml",
        parameters=GRAPH_PARAMETERS,
        responses={(200, "application/graphml+xml"): GRAPHML, **errors(400, 404, 429)},
    )
    def get(self, request: Request, slug: str) -> HttpResponse:
        organization = _organization(slug)
        return _graphml(_graph(request, organization), f"moatwatch-{organization.slug}")


def relationship_json(link) -> dict:
    return {
        "subject": link.subject.slug,
        "subject_name": link.subject.name,
        "kind": link.kind,
        "parent": link.parent.slug,
        "parent_name": link.parent.name,
        "started_on": link.started_on.isoformat(),
        "started_precision": link.started_precision,
        "ended_on": link.ended_on.isoformat() if link.ended_on else None,
        "source": {"publisher": link.source_publisher, "title": link.source_title, "url": link.source_url},
        "note": link.note,
    }


class OrganizationWebView(APIView):
    @extend_schema(
        operation_id="organization_web_retrieve",
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="{independent_paths: {resource: {groups, count, suppliers, hhi, without}},"
                " independent_paths_stale, drift: {families, years, lines}, relationships: [...]}",
            ),
            **errors(404, 429),
        },
    )
    def get(self, request: Request, slug: str) -> Response:
        organization = _organization(slug)
        exposure = selectors.organization_exposure(organization)
        return Response(
            {
                "organization": organization.slug,
                "independent_paths": exposure.independent_paths if exposure and exposure.computed_at else None,
                "independent_paths_stale": bool(exposure.stale) if exposure else True,
                "drift": web_selectors.organization_drift(organization),
                "relationships": [
                    relationship_json(link) for link in web_selectors.organization_relationships_public(organization)
                ],
            }
        )


class DealsCompareView(APIView):
    @extend_schema(
        operation_id="cases_compare",
        parameters=[OpenApiParameter("cases", str, required=True, description="2 to 6 case slugs, comma-separated.")],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="{cases: [...], criteria: [...]}"),
            **errors(400, 429),
        },
    )
    def get(self, request: Request) -> Response:
        try:
            sheets = web_selectors.compare_sheets(
                web_selectors.compare_slugs_parse(request.query_params.getlist("cases"))
            )
        except web_selectors.CompareError as exc:
            raise ValidationError({"cases": [str(exc)]}) from None
        rows = side_by_side.align(sheets)
        return Response(
            {
                "cases": [
                    {
                        "slug": s.slug,
                        "title": s.title,
                        "rubric": s.rubric_label,
                        "facts": s.facts,
                        "parties": [
                            {"organization": slug, "name": name, "role": role} for name, slug, role in s.parties
                        ],
                        "figures": s.figures,
                        "classification": s.classification,
                        "risk_index": s.risk_index,
                        "verdict": s.verdict,
                    }
                    for s in sheets
                ],
                "criteria": [
                    {
                        "key": row["key"],
                        "question": row["name"],
                        "cells": [
                            None
                            if cell is None
                            else [
                                {"party": sc.party or None, "value": sc.value, "rationale": sc.rationale} for sc in cell
                            ]
                            for cell in row["cells"]
                        ],
                    }
                    for row in rows
                ],
            }
        )
