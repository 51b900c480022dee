"""Every error is the right error: nested and oversized JSON, huge headers, unknown /api/ URLs, the schema's auth.

Requests go through a client that does not raise the view's exception, so a
500 is seen as the status a client would get.
"""

from __future__ import annotations

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token

from cases.models import Case
from evaluations.models import EvaluationVersion
from evaluations.services import workflow
from tests.support.content import COLOSSUS

pytestmark = pytest.mark.django_db

NESTED_40KB = "[" * 20_000 + "]" * 20_000  # beyond Python's recursion limit
NESTED_OBJECTS = '{"a":' * 200 + "1" + "}" * 200  # below it, far beyond any body we take
NESTED_IN_A_FIELD = '{"version": {"classification": ' + '{"a": ' * 500 + "1" + "}" * 500 + "}}"
OVERSIZED = '{"narrative": "' + "x" * (3 * 1024 * 1024) + '"}'


def _client(user=None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {token.key}"
    return client


def _write_urls(editor) -> tuple[list[tuple[str, str]], EvaluationVersion]:
    case = Case.objects.get(slug=COLOSSUS)
    draft = workflow.evaluation_version_start(case=case, by=editor)
    source = case.sources.first()
    organization = case.parties.select_related("organization").first().organization
    return [
        ("post", "/api/v1/auth/token/"),
        ("post", "/api/v1/cases/"),
        ("patch", f"/api/v1/cases/{COLOSSUS}/"),
        ("post", f"/api/v1/cases/{COLOSSUS}/parties/"),
        ("post", f"/api/v1/cases/{COLOSSUS}/sources/"),
        ("put", f"/api/v1/cases/{COLOSSUS}/sources/{source.pk}/"),
        ("post", "/api/v1/organizations/"),
        ("patch", f"/api/v1/organizations/{organization.slug}/"),
        ("post", f"/api/v1/evaluation-versions/{draft.pk}/submit/"),
        ("post", f"/api/v1/evaluation-versions/{draft.pk}/send-back/"),
        ("post", f"/api/v1/evaluation-versions/{draft.pk}/publish/"),
        ("post", "/api/v1/rubrics/partnership-leverage/versions/"),
        ("patch", "/api/v1/rubrics/partnership-leverage/versions/1/"),
        ("patch", f"/api/v1/evaluation-versions/{draft.pk}/"),
    ], draft


@pytest.mark.parametrize("body", [NESTED_40KB, NESTED_OBJECTS, NESTED_IN_A_FIELD, OVERSIZED])
def test_nested_or_oversized_json_is_a_400_everywhere(demo, editor, admin_user, body):
    urls, draft = _write_urls(editor)
    wrong = []
    for who, user in (("anonymous", None), ("admin", admin_user)):
        client = _client(user)
        for method, url in urls:
            headers = {"HTTP_IF_MATCH": draft.etag}  # the current one: the body is what is wrong
            response = getattr(client, method)(url, body, content_type="application/json", **headers)
            # Anonymous writes may be refused for want of credentials before the body is read.
            allowed = {400, 401} if user is None and "auth/token" not in url else {400}
            if response.status_code not in allowed or response["Content-Type"] != "application/json":
                wrong.append((who, method, url, response.status_code))
    assert wrong == []


def test_the_token_endpoint_refuses_deep_json_with_a_400(db):
    response = _client().post("/api/v1/auth/token/", NESTED_40KB, content_type="application/json")
    assert response.status_code == 400
    assert "nests deeper" in response.json()["detail"]


def test_an_if_match_of_thousands_of_digits_is_refused_not_a_500(demo, editor):
    draft = workflow.evaluation_version_start(case=Case.objects.get(slug=COLOSSUS), by=editor)
    client = _client(editor)
    for lock in ("9" * 4300, "1" * 30, "²", "١٢"):  # huge, beyond 2**63, non-ASCII digits
        response = client.patch(
            f"/api/v1/evaluation-versions/{draft.pk}/",
            {"narrative": "x"},
            content_type="application/json",
            HTTP_IF_MATCH=f'"ev{draft.pk}-{lock}"',
        )
        assert response.status_code == 412, (lock[:10], response.status_code)


@pytest.mark.parametrize("behind_proxy", [False, True])
def test_header_values_of_any_length_are_safe(demo, editor, settings, behind_proxy):
    settings.BEHIND_PROXY = behind_proxy
    draft = workflow.evaluation_version_start(case=Case.objects.get(slug=COLOSSUS), by=editor)
    huge = "9" * 70_000
    headers = {
        "HTTP_AUTHORIZATION": "Token " + huge,
        "HTTP_IF_MATCH": f'"ev{draft.pk}-{huge}"',
        "HTTP_IF_NONE_MATCH": f'"{huge}", W/"{huge}"',
        "HTTP_ACCEPT": "application/json;q=" + huge,
        "HTTP_ACCEPT_LANGUAGE": "en-" + huge,
        "HTTP_X_FORWARDED_FOR": ", ".join(["198.51.100.1"] * 5000),
        "HTTP_COOKIE": "sessionid=" + huge,
    }
    client = _client()
    wrong = []
    for name, value in headers.items():
        for method, url in (
            ("get", "/api/v1/cases/"),
            ("get", f"/api/v1/cases/{COLOSSUS}/"),
            ("patch", f"/api/v1/evaluation-versions/{draft.pk}/"),
            ("post", "/api/v1/auth/token/"),
        ):
            if method == "get":
                response = client.get(url, **{name: value})
            else:
                response = getattr(client, method)(url, "{}", content_type="application/json", **{name: value})
            if response.status_code >= 500:
                wrong.append((name, method, url, response.status_code))
    assert wrong == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/",
        "/api/nothing",
        "/api/v2/cases/",
        "/api/v1/no-such-thing/",
        "/api/v1/cases/x/y/z/w/",
        "/api/v1/cases/no-such-case/",
    ],
)
def test_every_api_404_is_json(demo, path):
    response = Client().get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_pages_outside_the_api_keep_their_html_404(db):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_the_schema_says_reads_need_no_token(demo):
    """Every GET is public (drafts are filtered, not refused): the schema must allow anonymous reads."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    anonymous = Client()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            security = operation.get("security", [])
            if method == "get":
                assert {} in security, f"GET {path} is public but its schema asks for credentials"
            elif path != "/api/v1/auth/token/":
                assert security and {} not in security, f"{method.upper()} {path} needs credentials"
    # And the rubric reads the schema used to guard do answer anonymously.
    assert anonymous.get("/api/v1/rubrics/partnership-leverage/versions/").status_code == 200
    assert anonymous.get("/api/v1/rubrics/partnership-leverage/versions/1/").status_code == 200


def test_the_schema_links_each_created_object_to_what_can_be_done_with_it(db):
    """Stateful fuzzing follows these links; each must name a real operation and its real parameters."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = {
        operation["operationId"]: operation
        for operations in schema["paths"].values()
        for operation in operations.values()
    }
    found = 0
    for operation in operations.values():
        assert "x-moatwatch-links" not in operation
        for response in operation["responses"].values():
            for link in response.get("links", {}).values():
                found += 1
                target = operations[link["operationId"]]
                names = {(p["in"], p["name"]) for p in target.get("parameters", [])}
                for parameter in link["parameters"]:
                    where, _, name = parameter.rpartition(".")
                    assert any(n == name and (not where or w == where) for w, n in names), (link, parameter)
    assert found >= 15
    assert "links" in operations["cases_create"]["responses"]["201"]
