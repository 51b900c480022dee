"""Fixtures for the reader's pages: versions made through the services (shared with the trust tests)."""

from __future__ import annotations

from tests.shared_fixtures import (  # noqa: F401 - fixtures registered by name
    COLOSSUS,
    SECRET,
    draft_case,
    publish_second_version,
    unpublished_version,
)
