"""How people are named to others: never by their login name.

A login name is half of a credential (and the half the sign-in throttle keys
on), so pages, feeds and the API show a display name instead.
"""

from __future__ import annotations

NEWSROOM = "Moatwatch newsroom"


def display_name(user) -> str:
    """The user's full name, or the newsroom's when they have none (never the username)."""
    if user is None:
        return NEWSROOM
    return user.get_full_name().strip() or NEWSROOM
