"""Templates ask evaluations.policy which buttons to show: ``{% may "case.edit" as can_edit %}``."""

from __future__ import annotations

from django import template

from evaluations import policy

register = template.Library()


def _user(context: template.Context):
    # Error pages render without a request: nobody is signed in there.
    return getattr(context.get("request"), "user", None)


@register.simple_tag(takes_context=True)
def may(context: template.Context, action: str, obj: object = None) -> bool:
    """Whether the signed-in user may do ``action`` (to ``obj``, in its state) now."""
    return policy.allowed(_user(context), action, obj)


@register.simple_tag(takes_context=True)
def is_newsroom(context: template.Context) -> bool:
    return policy.is_newsroom(_user(context))
