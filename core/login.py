"""The sign-in page, with failed attempts throttled (``core.throttle``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError

from core import throttle


class ThrottledAuthenticationForm(AuthenticationForm):
    def clean(self):
        username = self.cleaned_data.get("username")
        assert self.request is not None
        ip = throttle.client_ip(self.request)
        wait = throttle.login_wait_seconds(username, ip)
        if wait:
            self.throttled_for = wait
            raise ValidationError(throttle.locked_message(wait), code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError:
            throttle.login_failed(username, ip)
            raise
        throttle.login_succeeded(username, ip)
        return cleaned


class ThrottledLoginView(LoginView):
    authentication_form = ThrottledAuthenticationForm
    # Where a signed-in user lands when no safe ``next`` was given: a callable (user -> URL or None,
    # None meaning LOGIN_REDIRECT_URL). The composition root sets it (newsroom users land on the desk).
    landing: Callable[[Any], str | None] | None = None

    def get_default_redirect_url(self) -> str:
        landing = self.landing(self.request.user) if self.landing is not None else None
        return landing or super().get_default_redirect_url()

    def form_invalid(self, form):
        response = super().form_invalid(form)
        wait = getattr(form, "throttled_for", 0)
        if wait:
            response.status_code = 429
            response["Retry-After"] = str(wait)
        return response
