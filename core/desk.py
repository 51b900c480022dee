"""What every desk page shares: sign-in, the permission check, the 403 page, service errors on forms."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render


def forbidden(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "desk/forbidden.html", {"reason": reason}, status=403)


def desk_view(permission: str, methods: Iterable[str] = ("GET", "POST")) -> Callable:
    """Sign-in, then ``permission``, then the method: anonymous users are sent to sign in,
    signed-in users without the permission get a 403 page, as do refusals from a service."""
    methods = tuple(methods)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.has_perm(permission):
                return forbidden(request, "Your account may not do this; ask an admin if it should.")
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            try:
                return view(request, *args, **kwargs)
            except PermissionDenied as exc:
                return forbidden(request, str(exc) or "You may not do this.")

        return wrapped

    return decorator


def apply_service_errors(form: forms.Form, error: ValidationError, fields: dict[str, str] | None = None) -> None:
    """Put a service's ValidationError on the form: on the named field when there is one."""
    fields = fields or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, messages in error.message_dict.items():
        name = fields.get(key, key)
        form.add_error(name if name in form.fields else None, messages)
