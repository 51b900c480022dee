"""Fixtures for the toolkit's tests: unpublished content on top of the demo corpus."""

from __future__ import annotations

from tests.shared_fixtures import (  # noqa: F401 - fixtures registered by name
    COLOSSUS,
    SECRET,
    draft_case,
    publish_second_version,
    unpublished_version,
)
