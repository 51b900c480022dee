"""Types the edges and services share: the project's user model and a signed-in request.

AUTH_USER_MODEL is Django's default ``auth.User``; services that set foreign keys to it
take a ``User``. A desk view behind ``desk_view`` (sign-in first) and an API view behind an
authenticated permission receive a request whose user is signed in.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from rest_framework.request import Request

__all__ = ["AuthenticatedApiRequest", "AuthenticatedHttpRequest", "User"]


class AuthenticatedHttpRequest(HttpRequest):
    user: User


class AuthenticatedApiRequest(Request):
    user: User  # after authentication (the views using this type require it)
