"""core.conditional, rule by rule: what its mutants change must fail here (scripts/mutation)."""

from __future__ import annotations

import pytest
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from core.conditional import (
    MAX_LOCK_DIGITS,
    ConditionalGetMixin,
    PreconditionFailed,
    PreconditionRequired,
    _etag_matches,
    expected_lock_from_if_match,
    page_etag,
)

factory = APIRequestFactory()


class _Plain(APIView):
    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes: list = []


class BodyView(ConditionalGetMixin, _Plain):
    def get(self, request):
        return Response({"answer": 42})

    def post(self, request):
        return Response({"answer": 42})


class TaggedView(ConditionalGetMixin, _Plain):
    def get(self, request):
        return Response({"answer": 42}, headers={"ETag": '"ev7-3"'})


class MissingView(ConditionalGetMixin, _Plain):
    def get(self, request):
        return Response({"detail": "no"}, status=404)


def _get(view, **headers):
    return view.as_view()(factory.get("/x", headers=headers))


def _body_etag() -> str:
    return _get(BodyView)["ETag"]


# --- If-None-Match ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "etag", "matches"),
    [
        ('"abc"', '"abc"', True),
        ('W/"abc"', '"abc"', True),
        ('"abc"', 'W/"abc"', True),
        ('"x", "abc"', '"abc"', True),
        ('"x","abc"', '"abc"', True),
        ('"abc" ,"x"', '"abc"', True),
        ("*", '"abc"', True),
        (" *", '"abc"', True),
        ('"abd"', '"abc"', False),
        ('"ab"', '"abc"', False),
        ('"abc"x', '"abc"', False),
        ('"x", "y"', '"abc"', False),
        ("", '"abc"', False),
    ],
)
def test_etag_matching(header, etag, matches):
    assert _etag_matches(header, etag) is matches


def test_a_get_gets_a_strong_body_hash_etag():
    response = _get(BodyView)
    assert response.status_code == 200
    etag = response["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) == 34
    assert int(etag.strip('"'), 16) >= 0  # hex
    assert _body_etag() == etag  # stable for the same body


def test_the_view_own_etag_is_kept():
    assert _get(TaggedView)["ETag"] == '"ev7-3"'
    assert _get(TaggedView, **{"If-None-Match": '"ev7-3"'}).status_code == 304
    assert _get(TaggedView, **{"If-None-Match": '"ev7-4"'}).status_code == 200


def test_responses_vary_on_the_credentials():
    vary = {part.strip() for part in _get(BodyView)["Vary"].split(",")}
    assert {"Authorization", "Cookie"} <= vary


def test_a_matching_if_none_match_gets_a_304_with_etag_and_vary():
    etag = _body_etag()
    response = _get(BodyView, **{"If-None-Match": etag})
    assert response.status_code == 304
    assert response["ETag"] == etag
    assert {"Authorization", "Cookie"} <= {part.strip() for part in response["Vary"].split(",")}
    response.render()
    assert response.content == b""


def test_a_weak_or_listed_if_none_match_also_matches():
    etag = _body_etag()
    assert _get(BodyView, **{"If-None-Match": f'"other", W/{etag}'}).status_code == 304


def test_another_etag_of_the_same_length_gets_the_body():
    etag = _body_etag()
    other = '"' + ("0" if etag[1] != "0" else "1") + etag[2:]
    assert len(other) == len(etag)
    response = _get(BodyView, **{"If-None-Match": other})
    assert response.status_code == 200
    assert response.data == {"answer": 42}


def test_only_successful_gets_are_tagged():
    missing = _get(MissingView)
    assert missing.status_code == 404
    assert not missing.has_header("ETag")
    posted = BodyView.as_view()(factory.post("/x", {}, format="json", headers={"If-None-Match": "*"}))
    assert posted.status_code == 200
    assert not posted.has_header("ETag")


def test_head_is_tagged_too():
    response = BodyView.as_view()(factory.head("/x"))
    assert response.has_header("ETag")


# --- If-Match ---------------------------------------------------------------------


def _lock(header: str | None, pk: int = 7) -> int:
    headers = {} if header is None else {"If-Match": header}
    request = _Plain().initialize_request(factory.patch("/x", headers=headers))
    return expected_lock_from_if_match(request, pk=pk)


@pytest.mark.parametrize("header", [None, "", "  ", "*"])
def test_no_if_match_is_428(header):
    with pytest.raises(PreconditionRequired):
        _lock(header)


@pytest.mark.parametrize(
    ("header", "lock"),
    [
        ('"ev7-3"', 3),
        ('W/"ev7-12"', 12),
        (' "ev7-5" ', 5),
        ('"ev7-4", "ev7-9"', 4),
        ("ev7-8", 8),
        ('"ev7-999999999"', 999999999),
    ],
)
def test_this_version_etag_gives_its_lock(header, lock):
    assert _lock(header) == lock


@pytest.mark.parametrize(
    "header",
    [
        '"ev8-3"',  # another version, same length
        '"ev17-3"',  # another version whose id ends like this one's
        '"ev1-3"',
        '"xv7-3"',
        '"ev7-"',
        '"ev7-x"',
        '"ev7-3a"',
        '"ev7-3X"',
        '"ev7--3"',
        '"ev7-٣"',  # an Arabic-Indic digit: int() reads it, the lock is ASCII
        '"ev7-' + "9" * (MAX_LOCK_DIGITS + 1) + '"',
        '"7-3"',
        '"ev7"',
    ],
)
def test_any_other_etag_is_412(header):
    with pytest.raises(PreconditionFailed):
        _lock(header)


def test_the_lock_may_have_exactly_max_digits():
    assert MAX_LOCK_DIGITS == 9
    assert _lock('"ev7-' + "1" * MAX_LOCK_DIGITS + '"') == int("1" * MAX_LOCK_DIGITS)


def test_the_status_codes_and_messages():
    assert PreconditionRequired.status_code == 428
    assert PreconditionFailed.status_code == 412
    assert PreconditionRequired.default_code == "precondition_required"
    assert PreconditionFailed.default_code == "precondition_failed"
    assert "If-Match" in str(PreconditionRequired.default_detail)
    assert "reload" in str(PreconditionFailed.default_detail)
    with pytest.raises(PreconditionFailed) as refused:
        _lock('"ev8-3"')
    assert str(refused.value.detail) == "If-Match is not an ETag of this version; reload it."


class EchoView(ConditionalGetMixin, _Plain):
    def get(self, request):
        return Response({"echo": request.query_params.get("v", "")})


def test_different_bodies_get_different_etags():
    first = EchoView.as_view()(factory.get("/x?v=1"))["ETag"]
    second = EchoView.as_view()(factory.get("/x?v=2"))["ETag"]
    assert first != second
    assert EchoView.as_view()(factory.get("/x?v=2", headers={"If-None-Match": first})).status_code == 200


# --- A view's one-query validator ----------------------------------------------------------


class ValidatedView(ConditionalGetMixin, _Plain):
    built = 0
    validated = 0
    validator: str | None = '"v1"'

    def etag_validator(self, request, **kwargs):
        ValidatedView.validated += 1
        return ValidatedView.validator

    def get(self, request):
        ValidatedView.built += 1
        return Response({"answer": 42})


@pytest.fixture
def validated():
    ValidatedView.built = ValidatedView.validated = 0
    ValidatedView.validator = '"v1"'
    return ValidatedView


def test_matching_validator_is_304_without_building_the_body(validated):
    for header in ('"v1"', 'W/"v1"', '"x", "v1"', "*"):
        response = _get(validated, **{"If-None-Match": header})
        assert response.status_code == 304 and response["ETag"] == '"v1"' and not response.data
        assert "Authorization" in response["Vary"] and "Cookie" in response["Vary"]
    assert validated.built == 0 and validated.validated == 4


def test_head_is_answered_from_the_validator_too(validated):
    response = validated.as_view()(factory.head("/x", headers={"If-None-Match": '"v1"'}))
    assert response.status_code == 304 and validated.built == 0


def test_other_validator_builds_the_body_once_and_sends_the_validator(validated):
    response = _get(validated, **{"If-None-Match": '"v0"'})
    assert response.status_code == 200 and response["ETag"] == '"v1"' and response.data == {"answer": 42}
    assert validated.built == 1 and validated.validated == 1  # not read a second time for the 200


def test_plain_get_carries_the_validator_not_the_body_hash(validated):
    response = _get(validated)
    assert response.status_code == 200 and response["ETag"] == '"v1"' != _body_etag()
    assert validated.validated == 1


def test_no_validator_falls_back_to_the_view(validated):
    validated.validator = None
    response = _get(validated, **{"If-None-Match": '"v1"'})
    assert response.status_code == 200 and validated.built == 1 and response["ETag"] == _body_etag()


def test_signed_in_users_skip_the_validator(validated, django_user_model):
    from rest_framework.test import force_authenticate

    request = factory.get("/x", headers={"If-None-Match": '"v1"'})
    force_authenticate(request, user=django_user_model(username="someone"))
    response = validated.as_view()(request)
    assert response.status_code == 200 and validated.validated == 0 and response["ETag"] == _body_etag()


def test_views_without_a_validator_never_call_one():
    view = BodyView()
    assert view.etag_validator(None) is None
    response = _get(BodyView, **{"If-None-Match": _body_etag()})
    assert response.status_code == 304


# --- What the run after the one-query validators left alive (tests/MUTATION.md) ---------------------------------


def _vary(response) -> set[str]:
    return {part.strip() for part in response["Vary"].split(",")}


def test_a_validator_304_varies_on_exactly_the_credentials(validated):
    response = _get(validated, **{"If-None-Match": '"v1"'})
    assert response.status_code == 304 and {"Authorization", "Cookie"} <= _vary(response)
    assert not {v for v in _vary(response) if v not in ("Authorization", "Cookie", "Accept")}


class KeyedView(ConditionalGetMixin, _Plain):
    """A validator that reads the request and the URL's arguments, as the API's do."""

    built = 0

    def etag_validator(self, request, *, slug):
        return f'"{slug}-{request.method.lower()}"'

    def get(self, request, slug):
        KeyedView.built += 1
        return Response({"slug": slug})


def test_the_validator_is_given_the_request_and_the_urls_arguments():
    KeyedView.built = 0
    view = KeyedView.as_view()
    response = view(factory.get("/x", headers={"If-None-Match": '"deal-get"'}), slug="deal")
    assert response.status_code == 304 and response["ETag"] == '"deal-get"' and KeyedView.built == 0
    response = view(factory.get("/x"), slug="other")
    assert response.status_code == 200 and response["ETag"] == '"other-get"' and KeyedView.built == 1
    response = view(factory.get("/x", headers={"If-None-Match": '"deal-get"'}), slug="other")
    assert response.status_code == 200 and response["ETag"] == '"other-get"'


def test_page_etags_name_the_items_and_the_links():
    base = page_etag("cases", ["a", "b"], {"next": None, "previous": None})
    assert base.startswith('"cases') and base.endswith('"') and len(base) == len('"cases"') + 32
    assert base == page_etag("cases", ["a", "b"], {})  # no links: the same page
    others = {
        page_etag("orgs", ["a", "b"], {}),
        page_etag("cases", ["a", "c"], {}),
        page_etag("cases", ["ab"], {}),
        page_etag("cases", ["a", "b"], {"next": "https://x/?cursor=2"}),
        page_etag("cases", ["a", "b"], {"previous": "https://x/?cursor=1"}),
        page_etag("cases", ["a", "b"], {"next": "https://x/?cursor=1"}),
    }
    assert base not in others and len(others) == 6
    assert page_etag("cases", ["a", "b"], {"next": "n"}) != page_etag("cases", ["a", "b"], {"previous": "n"})
    assert page_etag("cases", ["a", "b"], {"next": ""}) == base
    assert page_etag("cases", [], {"previous": "https://x/?cursor=1"}) != page_etag(
        "cases", [], {"previous": "https://x/?cursor=2"}
    )


class FormatView(ConditionalGetMixin, _Plain):
    def get(self, request, format=None):
        return Response({"format": self.format_kwarg})


def test_the_urls_arguments_reach_drf_as_well():
    """DRF's own ``initial`` reads the format suffix from the URL's arguments: the mixin passes them on."""
    view = FormatView.as_view()
    assert view(factory.get("/x"), format="json").data == {"format": "json"}
    assert view(factory.get("/x"), format="yaml").status_code == 404  # a suffix no renderer serves
