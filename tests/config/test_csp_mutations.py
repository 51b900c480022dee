"""The Content-Security-Policy, directive by directive: dropping or widening any one fails here."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

EXPECTED = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}


def _policy(client, path: str) -> dict[str, list[str]]:
    header = client.get(path)["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            assert words[0] not in directives, f"{words[0]} given twice"
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.parametrize("path", ["/", "/robots.txt", "/accounts/login/"])
@pytest.mark.parametrize("directive", sorted(EXPECTED))
def test_each_directive(client, path, directive):
    assert _policy(client, path).get(directive) == EXPECTED[directive]


def test_no_other_directive(client):
    assert set(_policy(client, "/")) == set(EXPECTED)
