"""The errors services raise when a write is refused, shared by every edge.

Each edge maps them once: the API in ``core.api.exception_handler`` (409, 412),
the desk as a message on the page. They live here, below the domain apps, so
that the edges' plumbing needs no domain import.
"""

from __future__ import annotations

from typing import Protocol


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
