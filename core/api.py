"""What every API view shares: errors, pagination, permissions, ETags, schema defaults.

Service errors are mapped to HTTP statuses here, in one place, so that a view
never catches them itself.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, connection, models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.http import Http404, HttpRequest, JsonResponse
from django.views import defaults as django_defaults
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import Direction, OpenApiResponse, extend_schema
from rest_framework import exceptions, pagination, permissions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from core import throttle
from core.conditional import (  # noqa: F401  (re-exported: the API views import them from here)
    MAX_LOCK_DIGITS,
    ConditionalGetMixin,
    PreconditionFailed,
    PreconditionRequired,
    expected_lock_from_if_match,
    page_etag,
)
from core.errors import EditConflict, TransitionNotAllowed, errors_by_field

# --- Errors -----------------------------------------------------------------


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The current state does not allow this."
    default_code = "conflict"


def _field_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    """Keyed by field, down to the field of a list item where the service named it (``scores[0].value``)."""
    return {("non_field_errors" if name == "__all__" else name): msgs for name, msgs in errors_by_field(exc).items()}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, taught the services' errors.

    ValidationError → 400 field by field; PermissionDenied → 403; EditConflict
    → 412 with the current ETag; TransitionNotAllowed → 409; a missing row → 404;
    an integrity error (a race the validation could not see) → 409; a value the
    database refuses, or a body over DATA_UPLOAD_MAX_MEMORY_SIZE → 400.
    """
    headers: dict[str, str] = {}
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_field_errors(exc))
    elif isinstance(exc, EditConflict):
        headers["ETag"] = exc.current.etag
        exc = PreconditionFailed(str(exc))
    elif isinstance(exc, TransitionNotAllowed):
        exc = Conflict(str(exc))
    elif isinstance(exc, ObjectDoesNotExist):
        exc = exceptions.NotFound()
    elif isinstance(exc, IntegrityError):
        exc = Conflict("This conflicts with data saved meanwhile; reload and try again.")
    elif isinstance(exc, DataError):
        # A value the database cannot store (a NUL in JSON, a number out of range).
        exc = exceptions.ValidationError({"non_field_errors": ["A value given cannot be stored; check the input."]})
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, RequestDataTooBig):
        exc = exceptions.ParseError("The request body is too large.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is not None:
        for name, value in headers.items():
            response[name] = value
    return response


def _api_or(page_view, status_code: int, detail: str):
    """A handler answering JSON under /api/, like every other API answer, and ``page_view``'s page elsewhere."""

    def handler(request: HttpRequest, *args, **kwargs):
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": detail}, status=status_code)
        return page_view(request, *args, **kwargs)

    return handler


# Mounted as handler400/403/404/500 by config.urls: a URL under /api/ that no
# view matches, or an error raised before DRF sees the request, is still JSON.
handler400 = _api_or(django_defaults.bad_request, 400, "Bad request.")
handler403 = _api_or(django_defaults.permission_denied, 403, "You do not have permission to do this.")
handler404 = _api_or(django_defaults.page_not_found, 404, "Not found.")
handler500 = _api_or(django_defaults.server_error, 500, "Server error.")


class ErrorSerializer(serializers.Serializer):
    """The body of an error: ``detail``, or for 400 one list of messages per field."""

    detail = serializers.CharField(required=False)


ERROR_DESCRIPTIONS = {
    304: "Not modified: the representation matches If-None-Match.",
    400: "Bad input; the body lists the messages field by field.",
    401: "Missing or invalid credentials (Authorization: Token ...).",
    403: "Authenticated but not allowed (missing permission, or a reviewer approving their own work).",
    404: "Not found, or not visible to you (drafts are 404 to readers).",
    409: "The object's state does not allow this transition.",
    406: "The Accept header asks for something other than JSON.",
    412: "If-Match does not match the current ETag: someone saved meanwhile.",
    415: "The body is not JSON (send Content-Type: application/json).",
    428: "If-Match is required on this request.",
    429: "Too many requests; see Retry-After.",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """Schema responses for error statuses a view returns (for ``extend_schema``)."""
    return {
        code: OpenApiResponse(None if code == 304 else ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
        for code in codes
    }


def _model_field(field: serializers.Field) -> Any:
    """The model field an integer serializer field was built from, if any."""
    parent = getattr(field, "parent", None)
    model = getattr(getattr(parent, "Meta", None), "model", None)
    source = getattr(field, "source", None)
    if model is None or not source or "." in source:
        return None
    try:
        model_field = model._meta.get_field(source)
    except Exception:  # not a model field (a method, an annotation)
        return None
    return model_field if isinstance(model_field, models.IntegerField) else None


class AutoSchema(SpectacularAutoSchema):
    """Every operation documents the statuses any request may get.

    Any request may carry bad credentials (401), ask for something other than
    JSON (406) or exceed its rate (429); a path with a parameter may name
    nothing (404); a write may be refused (403) or carry bad input (400, or 415
    when it is not JSON); a read may be answered 304.
    """

    def _insert_min_max(self, field: Any, content: dict) -> None:
        """Bounds that come from the database backend are given as the model field's portable range.

        Django adds each integer model field's range as validators, asked of the connection:
        SQLite says 64 bits for every kind, PostgreSQL the column's own size. One document
        whatever the database: the range of the field's kind (PostgreSQL's, the SQL standard's).
        """
        super()._insert_min_max(field, content)
        model_field = _model_field(field)
        if model_field is None:
            return
        kind = model_field.get_internal_type()
        backend_min, backend_max = connection.ops.integer_field_range(kind)
        portable_min, portable_max = BaseDatabaseOperations.integer_field_ranges.get(kind, (None, None))
        if content.get("minimum") == backend_min and backend_min is not None:
            content["minimum"] = portable_min if portable_min is not None else backend_min
        if content.get("maximum") == backend_max and backend_max is not None:
            content["maximum"] = portable_max if portable_max is not None else backend_max

    def get_auth(self) -> list[dict]:
        # spectacular knows only DRF's own permission classes: reads that
        # HasPermission lets through anonymously are public too, and the
        # schema has to say so (schemathesis' ignored_auth check holds us to it).
        auths = super().get_auth()
        if (
            self.method in permissions.SAFE_METHODS
            and {} not in auths
            and all(isinstance(p, PUBLIC_READ_PERMISSIONS) for p in self.view.get_permissions())
        ):
            auths.append({})
        return auths

    def _get_response_bodies(self, direction: Direction = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        codes = {401, 406, 429}
        if self.method == "GET":
            codes |= {304, 400}
        else:
            codes |= {400, 403, 415}
        if "{" in self.path:
            codes.add(404)
        for code, response in errors(*sorted(codes)).items():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(response, str(code), direction=direction)
        return responses


# --- OpenAPI links (for stateful clients and fuzzers) --------------------------------

LINKS_EXTENSION = "x-moatwatch-links"


def links(status_code: int, **targets: tuple[str, dict[str, str]]) -> dict:
    """``extend_schema(extensions=...)`` naming what a response leads to, as OpenAPI links.

    ``targets`` maps a link name to ``(operationId, {parameter: runtime expression})``,
    e.g. ``GetCase=("cases_retrieve", {"slug": "$response.body#/slug"})``.
    ``links_postprocessing_hook`` moves them onto the response, where OpenAPI wants them.
    """
    return {
        LINKS_EXTENSION: {
            str(status_code): {
                name: {"operationId": operation_id, "parameters": parameters}
                for name, (operation_id, parameters) in targets.items()
            }
        }
    }


def links_postprocessing_hook(result: dict, generator, request, public) -> dict:
    """Settings' SPECTACULAR POSTPROCESSING_HOOKS: each operation's declared links onto its responses."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            declared = operation.pop(LINKS_EXTENSION, None) if isinstance(operation, dict) else None
            for status_code, response_links in (declared or {}).items():
                operation["responses"][status_code].setdefault("links", {}).update(response_links)
    return result


# --- Permissions ------------------------------------------------------------


class HasPermission(permissions.BasePermission):
    """Authenticated and holding the view's ``required_permission`` for its writes.

    The services check their own permissions too; this is for the writes
    whose services leave the check to the caller (rubric versions).
    """

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        if not (request.user and request.user.is_authenticated):
            return False
        required = getattr(view, "required_permission", None)
        return required is None or request.user.has_perm(required)


# Permission classes under which any GET is answered without credentials (drafts are filtered, not refused).
PUBLIC_READ_PERMISSIONS = (permissions.AllowAny, permissions.IsAuthenticatedOrReadOnly, HasPermission)


# --- Pagination ---------------------------------------------------------------


class CursorPagination(pagination.CursorPagination):
    """Cursor pagination whose ordering always ends in the primary key.

    The cursor keeps the first ordering field's value; the key makes the order
    of ties deterministic, so no row is skipped or repeated between pages.
    """

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-announced_on",)

    def get_ordering(self, request, queryset, view) -> tuple[str, ...]:
        ordering = tuple(super().get_ordering(request, queryset, view))
        if not any(field.lstrip("-") in ("pk", "id") for field in ordering):
            ordering += ("-pk" if ordering[0].startswith("-") else "pk",)
        return ordering


# --- Tokens -----------------------------------------------------------------------


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class TokenView(APIView):
    """Trade a username and password for an API token (the same one until the password changes)."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="auth_token_create",
        request=AuthTokenSerializer,
        responses={200: TokenResponseSerializer, **errors(400, 429)},
        description="Send `username` and `password`; use the token as `Authorization: Token <token>`. "
        "A password change revokes it; ask again for a new one.",
        auth=[],
    )
    def post(self, request: Request) -> Response:
        # The same guessing limits as the sign-in page (core.throttle).
        username = request.data.get("username") if isinstance(request.data, dict) else None
        username = username if isinstance(username, str) else None
        ip = throttle.client_ip(request)
        wait = throttle.login_wait_seconds(username, ip)
        if wait:
            raise exceptions.Throttled(wait=wait, detail=throttle.locked_message(wait))
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            throttle.login_failed(username, ip)
            raise exceptions.ValidationError(serializer.errors)
        throttle.login_succeeded(username, ip)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})
