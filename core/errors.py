"""The errors services raise when a write is refused, shared by every edge.

Each edge maps them once: the API in ``core.api.exception_handler`` (409, 412),
the desk as a message on the page. They live here, below the domain apps, so
that the edges' plumbing needs no domain import.
"""

from __future__ import annotations

from typing import Protocol

from django.core.exceptions import ValidationError


class WorkflowError(Exception):
    """A state change the rules do not allow; the message says why."""


class TransitionNotAllowed(WorkflowError):
    """The object's current state does not allow this change (HTTP 409)."""


class Versioned(Protocol):
    lock_version: int

    @property
    def etag(self) -> str: ...


class EditConflict(WorkflowError):
    """Someone saved the object since this editor loaded it (optimistic lock; HTTP 412)."""

    def __init__(self, current: Versioned):
        super().__init__(
            f"This draft was saved by someone else since you opened it (now at revision {current.lock_version}). "
            "Your text is below; copy what you need and reload."
        )
        self.current = current


# A service names the field of a list item a problem is about (``scores[2]``'s ``value``) in the
# error's code, so that the message under ``scores[2]`` stays as it was and an edge can say more.
FIELD_CODE = "field:"


def field_error(message: str, field: str) -> ValidationError:
    """A problem with ``field`` of one item of a list the service was given."""
    return ValidationError(message, code=FIELD_CODE + field)


def errors_by_field(error: ValidationError) -> dict[str, list[str]]:
    """A service's errors keyed by field: ``scores[2].value`` where the service named the field,
    else the key it raised (``scores[2]``, ``narrative``, ``__all__`` for the whole)."""
    if not hasattr(error, "error_dict"):
        return {"__all__": list(error.messages)}
    result: dict[str, list[str]] = {}
    for key, items in error.error_dict.items():
        for item in items:
            code = item.code or ""
            name = f"{key}.{code[len(FIELD_CODE) :]}" if code.startswith(FIELD_CODE) else key
            result.setdefault(name, []).extend(item.messages)
    return result
