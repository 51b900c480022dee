"""Conditional requests: ETags on every GET, If-None-Match -> 304, If-Match on writes.

Small and free of the rest of core.api so that mutation testing (scripts/mutation)
can mutate it whole.
"""

from __future__ import annotations

import hashlib

from django.utils.cache import patch_vary_headers
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = "Send the version's ETag in an If-Match header; it guards against lost updates."
    default_code = "precondition_required"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "This version changed since you loaded it; reload it and apply your change again."
    default_code = "precondition_failed"


# The response's ETag header by name. Django's response headers are case-insensitive, so a
# mutant spelling it "etag" or "ETAG" names the same header: the name is kept out of mutation
# here (tests/mutation_accepted.md, core.conditional). The request's headers are read from
# request.META by their exact WSGI keys instead, where another spelling is another key.
ETAG = "ETag"  # pragma: no mutate


def _etag_matches(header: str, etag: str) -> bool:
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") in (wanted, "*") for tag in header.split(","))


class ConditionalGetMixin(APIView):
    """Every successful GET carries an ETag; a matching If-None-Match gets 304.

    Views may set ``response["ETag"]`` themselves (versions do, from their
    lock); otherwise it is a hash of the JSON body. What a user may see
    depends on who they are, so responses vary on the credentials.

    A view that can say what its representation depends on in ONE query
    defines ``etag_validator`` (the reader's view: anonymous requests). Then
    a conditional GET is answered before the representation is built (a 304
    costs that one query), and a 200 carries the same validator as its ETag.
    """

    _validator: str | None = None

    def etag_validator(self, request: Request, **kwargs) -> str | None:
        """The quoted ETag of what an anonymous reader gets here, in one query; None: no such resource
        (the view then answers as it would, a 404), or no cheap validator (the body's hash is the ETag)."""
        return None

    def _uses_validator(self, request: Request) -> bool:
        return (
            type(self).etag_validator is not ConditionalGetMixin.etag_validator
            and request.method in ("GET", "HEAD")
            and not request.user.is_authenticated
        )

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
        if not if_none_match or not self._uses_validator(request):
            return
        self._validator = self.etag_validator(request, **kwargs)
        if self._validator and _etag_matches(if_none_match, self._validator):
            # Answered without building the representation: the handler becomes the 304.
            self.get = self.head = self._not_modified

    def _not_modified(self, request: Request, *args, **kwargs) -> Response:
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers={ETAG: self._validator or ""})

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code == status.HTTP_304_NOT_MODIFIED and self._validator:
            patch_vary_headers(response, ["Authorization", "Cookie"])
            return response
        if request.method not in ("GET", "HEAD") or response.status_code != 200 or response.streaming:
            return response
        if not isinstance(response, Response):
            return response
        if self._uses_validator(request):
            validator = (
                self._validator if "HTTP_IF_NONE_MATCH" in request.META else self.etag_validator(request, **kwargs)
            )
            if validator:
                response[ETAG] = validator
        etag = response.get(ETAG)
        if not etag:
            body = JSONRenderer().render(response.data)
            etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
            response[ETAG] = etag
        patch_vary_headers(response, ["Authorization", "Cookie"])
        if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
        if if_none_match and _etag_matches(if_none_match, etag):
            not_modified = Response(status=status.HTTP_304_NOT_MODIFIED, headers={ETAG: etag})
            not_modified.accepted_renderer = response.accepted_renderer
            not_modified.accepted_media_type = response.accepted_media_type
            # APIView.finalize_response sets renderer_context on every Response; the stub omits it.
            not_modified.renderer_context = response.renderer_context  # type: ignore[attr-defined]
            patch_vary_headers(not_modified, ["Authorization", "Cookie"])
            return not_modified
        return response


def page_etag(kind: str, keys: list[str], data: dict) -> str:
    """A list page's ETag: the cache keys of its items (each names the rows it shows) and the
    page's links, so a conditional GET costs the page's one query and nothing is rendered twice."""
    links = [str(data.get("next") or ""), str(data.get("previous") or "")]
    return f'"{kind}{hashlib.sha256("\n".join([*keys, *links]).encode()).hexdigest()[:32]}"'


MAX_LOCK_DIGITS = 9  # lock versions are positive integers below 2**31


def expected_lock_from_if_match(request: Request, *, pk: int) -> int:
    """The lock version the client loaded, from ``If-Match: "ev<pk>-<lock>"``.

    No header: 428 (a write without it could silently overwrite someone's
    work). A header naming another object or unreadable: 412.
    """
    header = request.META.get("HTTP_IF_MATCH", "").strip()
    if not header or header == "*":
        raise PreconditionRequired()
    tag = header.split(",")[0].strip().removeprefix("W/").strip('"')
    prefix = f"ev{pk}-"
    lock = tag[len(prefix) :]
    # ASCII digits only (int() reads other scripts' digits too), and few enough to be
    # a lock version: int() refuses strings over 4,300 digits with a ValueError.
    if not tag.startswith(prefix) or not (lock.isascii() and lock.isdigit()) or len(lock) > MAX_LOCK_DIGITS:
        raise PreconditionFailed("If-Match is not an ETag of this version; reload it.")
    return int(lock)
