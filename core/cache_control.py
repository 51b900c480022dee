"""Cache-Control by kind of page, in one place.

- The desk, sign-in and the admin: ``private, no-store`` (work in progress and forms with
  CSRF tokens must not sit in any cache).
- Anything for a signed-in user, or a request with credentials, or a response setting a cookie:
  ``private, no-cache`` (the browser may keep it but revalidates; no shared cache keeps it).
- Everything else that succeeded (reader pages, feeds, sitemap, robots.txt, the API's reads,
  its schema and exports): ``public`` with a short max-age, and ``Vary: Cookie`` on HTML pages,
  whose header shows who is signed in. Validators (ETag, Last-Modified) are set by the views.

A view that sets Cache-Control itself (``never_cache`` on /health/, the admin) keeps it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers

PRIVATE_PREFIXES = ("/desk/", "/accounts/", "/admin/")
# Seconds a shared cache may keep a public response, by path prefix (first match wins).
PUBLIC_MAX_AGE = (
    ("/api/v1/export/", 300),
    ("/api/v1/schema/", 300),
    ("/api/v1/docs/", 300),
    ("/api/", 60),
    ("/feeds/", 300),
    ("/sitemap.xml", 300),
    ("/robots.txt", 3600),
    ("/", 60),
)


def _max_age(path: str) -> int:
    return next(seconds for prefix, seconds in PUBLIC_MAX_AGE if path.startswith(prefix))


class CacheControlMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        path = request.path_info
        if path.startswith(PRIVATE_PREFIXES):
            patch_cache_control(response, private=True, no_store=True)
            return response
        user = getattr(request, "user", None)
        signed_in = bool(user is not None and user.is_authenticated)
        if signed_in or "Authorization" in request.headers or response.cookies:
            patch_cache_control(response, private=True, no_cache=True)
            return response
        if request.method not in ("GET", "HEAD") or response.status_code not in (200, 304):
            return response
        patch_cache_control(response, public=True, max_age=_max_age(path))
        if response.get("Content-Type", "").startswith("text/html"):
            patch_vary_headers(response, ["Cookie"])
        return response
