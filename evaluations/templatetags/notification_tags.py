"""The desk navigation's unread count: ``{% unread_notifications as unread %}`` (one query)."""

from __future__ import annotations

from django import template

from evaluations import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context: template.Context) -> int:
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return selectors.notifications_unread_count(user)
