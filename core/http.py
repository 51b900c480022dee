"""HTTP plumbing shared by the reader's pages: the methods a read answers, absolute links.

Monitors, load balancers and ``curl -I`` send HEAD; browsers and CORS tooling
send OPTIONS. A read answers both. Absolute links come from ``SITE_URL``,
never from the request's Host header (which the client chooses).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def safe_methods(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET and HEAD go to the view (Django drops HEAD's body), OPTIONS is answered with ``Allow``,
    anything else is 405. Like ``require_safe``, with OPTIONS answered."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "OPTIONS":
            response = HttpResponse(status=200)
            response["Allow"] = ", ".join(SAFE_METHODS)
            response["Content-Length"] = "0"
            return response
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(SAFE_METHODS)
        return view(request, *args, **kwargs)

    return wrapper


def absolute_url(path: str) -> str:
    """``path`` (starting with ``/``) on the site's public address, ``SITE_URL``."""
    if path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL + path
