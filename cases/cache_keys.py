"""Cache keys and freshness stamps for the reader's pages: the one place they are built.

Every cached piece of a page (an archive row, a case's analysis block, an
organization's exposure block and counterparties, the archive's filter
choices) and the case page's ETag is keyed on the rows it shows, by their
"last changed" stamps. A key names what it depends on, so a change to any of
those rows makes a new key and the old entry simply ages out: nothing has to
be deleted on write except the filter choices, which depend on everything
(``ARCHIVE_CHOICES`` and ``ARCHIVE_VOCABULARY``; the services forget them after commit),
and the published total's generation, which the same services move on.

An archive row and an API list item are keyed on the summary's *shown values*
(``ROW_SUMMARY_FIELDS``), not on when it was computed or whether it is marked
stale: neither shows the stale flag, and a stale summary's figures are still
what readers see until the recompute writes new ones. So a rubric activation
(which marks the whole archive stale, then rewrites every summary) keeps every
cached row whose figures come out the same, and rebuilds only the rows whose
figures really changed. The case page does show the flag (a notice), so its
ETag keeps it.

Bump a key's version (``v2`` -> ``v3``) when what it caches changes shape.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

ARCHIVE_CHOICES = "cases:archive-choices:v2"  # v2: with the rubric's bands and classifications
ARCHIVE_VOCABULARY = "cases:archive-vocabulary:v1"  # the rubric's part of the choices, read by the filters

ARCHIVE_CHOICES_TIMEOUT = 300  # a safety net: the services that change the choices forget them
# The archive's total of published cases: counted once per "generation" of the published set (a
# first publication or a deletion starts a new one, after commit), not 100,000 rows per request.
PUBLISHED_GENERATION = "cases:published-generation:v1"
PUBLISHED_COUNT_TIMEOUT = 600  # a safety net for writes that bypass the services (bulk loads, SQL)
ROW_TIMEOUT = 24 * 3600
ANALYSIS_TIMEOUT = 24 * 3600
COUNTERPARTIES_TIMEOUT = 600
EXPOSURE_FRAGMENT_TIMEOUT = 600


def published_count(generation: str) -> str:
    return f"cases:published-count:v1:{generation}"


def stamp(at: datetime | None) -> str:
    """A moment as a key part, to the microsecond; ``-`` for never."""
    return f"{at.timestamp():.6f}" if at else "-"


def computed_stamp(computed_at: datetime | None, stale: bool | None) -> str:
    """A computed row's freshness (a summary or an exposure): when it was computed, and whether
    it has been marked stale since (the page shows a notice then)."""
    return f"{stamp(computed_at)}{'s' if stale else ''}"


def latest(moments) -> datetime | None:
    return max((at for at in moments if at is not None), default=None)


# What an archive row (``cases/_case_row.html``) and an API list item (``CaseListSerializer``)
# show of a case's risk summary. Add a field here when either starts showing it.
ROW_SUMMARY_FIELDS = ("risk_index", "risk_band", "classification", "needs_reevaluation")


def summary_shown(summary) -> str:
    """The summary's values a row shows, as a short digest (``none`` without a summary).

    Neither when it was computed nor the stale flag: marking a summary stale changes nothing
    a row shows, and a recompute that comes out with the same figures changes nothing either.
    """
    if summary is None:
        return "none"
    text = "\x1f".join(repr(getattr(summary, name)) for name in ROW_SUMMARY_FIELDS)
    return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()


def archive_row(case) -> str:
    """An archive row: the case (editing it, its deal types or parties, or renaming one of its
    organizations touches ``updated_at``), its published version (the row's verdict; the
    ``published_version_id`` that ``selectors.case_list_published`` annotates) and the figures
    it shows of its summary (``summary_shown``). A search's headline is not part of it: it fills
    the row's slot when the row is served (``views.HEADLINE_SLOT``), so v6 rows hold that slot."""
    summary = getattr(case, "risk_summary", None)
    version = case.published_version_id or 0
    return f"cases:row:v6:{case.pk}:{stamp(case.updated_at)}:{version}:{summary_shown(summary)}"


def api_row(case) -> str:
    """An API list item: the case (touched by every change to its deal types, tags, parties or
    their organizations) and the figures it shows of its summary, in the API's shape. No verdict,
    so not the published version."""
    summary = getattr(case, "risk_summary", None)
    return f"cases:api-row:v2:{case.pk}:{stamp(case.updated_at)}:{summary_shown(summary)}"


def analysis(version_id: int, case_updated_at: datetime | None, organizations_at: datetime | None) -> str:
    """A published version's analysis block: the version never changes; what it shows from outside
    is the sources (editing them touches the case) and the parties' organization names."""
    return f"cases:analysis:v2:{version_id}:{stamp(case_updated_at)}:{stamp(organizations_at)}"


def exposure_freshness(exposure) -> str:
    return computed_stamp(exposure.computed_at, exposure.stale) if exposure else "none"


def counterparties(organization, exposure) -> str:
    """An organization's counterparties: they change with its deals, that is when its exposure is
    recomputed (or marked stale)."""
    return f"cases:counterparties:v2:{organization.pk}:{stamp(organization.updated_at)}:{exposure_freshness(exposure)}"


def drift(organization, exposure) -> str:
    """An organization's role drift: its published deals' years and its roles in them, which change
    when its exposure is recomputed (or marked stale), and its name."""
    return f"cases:drift:v1:{organization.pk}:{stamp(organization.updated_at)}:{exposure_freshness(exposure)}"


def exposure_fragment(organization, exposure) -> str:
    """The organization page's exposure block (``{% cache %}`` vary-on): its name and its exposure."""
    # v2: the blocks list only the top suppliers and supplier groups (a new template, so new fragments).
    return f"v2:{organization.pk}:{stamp(organization.updated_at)}:{exposure_freshness(exposure)}"


def supply_page(organization, exposure, resource: str | None, number: int) -> str:
    """One page of an organization's full supply list (suppliers, or one resource's supplier groups)."""
    return f"cases:supply:v1:{exposure_fragment(organization, exposure)}:{resource or '-'}:{number}"


def case_page_etag(pk, updated_at, version_id, computed_at, stale, organizations_at) -> str:
    """A published case page's validator: the case, its published version, its summary and the
    parties' organizations (see ``selectors.case_page_etag``, which reads these in one query)."""
    return (
        f"c{pk}-{stamp(updated_at)}-v{version_id or 0}-s{computed_stamp(computed_at, stale)}-o{stamp(organizations_at)}"
    )
