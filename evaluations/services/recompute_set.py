"""The set-based recompute: many cases' risk summaries in a few SQL statements (PostgreSQL).

The rule is ``evaluations.scoring``'s; this module states the same rule in SQL so that
PostgreSQL does the arithmetic for a whole batch at once, where the Python path reads
every score into memory and loops. ``tests/evaluations/test_recompute_set.py`` proves on
a generated archive that both write the same summaries, party figures and inputs hash
(so either path sees the other's work as current). What the SQL states, line for line
with the engine:

* a score counts when the active version has its key, with the same per-party or
  per-deal kind, and its value is on the active scale (``selectors.summary_inputs``);
  the SQL takes only cases scored under versions whose crosswalks to the active one carry
  by key (``_carried_by_key``); a crosswalk that renames, splits or merges is the Python path's;
* a party's family figure is the weighted mean of that family's counted scores (its own
  per-party ones plus the deal's per-deal ones), scaled to 0-100, rounded half up to one
  decimal, as ``(sum(w*v) - min*sum(w)) * 100 / (sum(w) * (max - min))`` (one division:
  exact wherever the engine's decimal result is);
* the party's classification, the risk index, its band and the deal's classification
  follow the thresholds of the rubric version's data (``scoring.classify_party``,
  ``scoring.risk_band``, ``scoring.SEVERITY``);
* the inputs hash is ``recompute._summary_hash``'s: the same JSON text, hashed with
  SHA-256 by the database. The rubric version's part is built here in Python with
  ``json.dumps``; the case's part (version, party scores, deal scores, party
  organizations) is spelled by SQL in the same form.

Cases the SQL does not take (no published version, a rubric without an active version, a
criterion key JSON would escape) go through ``recompute.risk_summaries_recompute``, the
Python path, in the same call. Single cases (a publish) always take the Python path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from evaluations import queue, selectors
from evaluations.models import EvaluationVersion, RubricVersion
from evaluations.services import recompute
from evaluations.services.exposures import (
    EXPOSURE_BATCH_SIZE,
    organization_exposures_mark_stale,
    organization_exposures_request_stale,
)

# Below this many cases a batch takes the Python path: the set-based statements cost a
# few milliseconds whatever the batch, and one case (a publish) is faster in Python.
SET_RECOMPUTE_MIN_CASES = 20

# Keys spelled as-is inside the SQL-built JSON text (json.dumps would escape nothing in them).
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def risk_summaries_recompute_many(*, case_ids: Iterable[int], queue_exposures: bool = True) -> list[int]:
    """Bring a batch of summaries up to date by the fastest path; return the ids of cases rewritten.

    On PostgreSQL, batches of at least ``SET_RECOMPUTE_MIN_CASES`` go through the set-based
    SQL; everything else (SQLite, small batches) through ``recompute.risk_summaries_recompute``.
    Same contract either way: idempotent by inputs hash, rows locked in case order, touched
    exposures marked stale and (unless ``queue_exposures`` is off) queued after commit.
    """
    case_ids = sorted(set(case_ids))
    if connection.vendor != "postgresql" or len(case_ids) < SET_RECOMPUTE_MIN_CASES:
        return recompute.risk_summaries_recompute(case_ids=case_ids, queue_exposures=queue_exposures)
    return risk_summaries_recompute_set(case_ids=case_ids, queue_exposures=queue_exposures)


def risk_summaries_recompute_batch(*, case_ids: Iterable[int]) -> list[int]:
    """A worker's batch (``risk_summaries_recompute_task``); return the ids of cases rewritten.

    One case is a publish (or a sweep's single straggler): its organizations'
    exposures are queued after commit, debounced, as soon as it is done. A
    larger batch is part of a full recompute (an activation's fan-out, the
    sweep after a lost message): it only marks the exposures it touches
    stale, and the batch that leaves no summary stale queues every stale
    exposure once (``exposures.organization_exposures_request_stale``). Every
    batch checks, the single case too: the last one of a fan-out may be a
    single case.
    """
    case_ids = sorted(set(case_ids))
    rewritten = risk_summaries_recompute_many(case_ids=case_ids, queue_exposures=len(case_ids) == 1)
    transaction.on_commit(organization_exposures_request_stale)  # at once, outside a transaction
    return rewritten


def risk_summaries_recompute_set(*, case_ids: Iterable[int], queue_exposures: bool = True) -> list[int]:
    """The set-based recompute of a batch (PostgreSQL only); return the ids of cases rewritten."""
    case_ids = sorted(set(case_ids))
    if not case_ids:
        return []
    now = timezone.now()
    rewritten: list[int] = []
    with transaction.atomic(), connection.cursor() as cursor:
        # Create the missing rows, then lock every row in case order (as the Python path does).
        cursor.execute(
            "INSERT INTO evaluations_risksummary (case_id, risk_band, classification, missing_criteria,"
            " needs_reevaluation, inputs_hash, stale, stale_since)"
            " SELECT c.id, '', '', '[]'::jsonb, false, '', true, %s FROM cases_case c"
            " WHERE c.id = ANY(%s) ON CONFLICT (case_id) DO NOTHING",
            [now, case_ids],
        )
        cursor.execute(
            "SELECT case_id FROM evaluations_risksummary WHERE case_id = ANY(%s) ORDER BY case_id FOR UPDATE",
            [case_ids],
        )
        locked = [row[0] for row in cursor.fetchall()]
        # A batch's scores (some 35,000 rows per 2,000 cases) sort and hash in memory, not on disk.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        taken: set[int] = set()
        organization_ids: set[int] = set()
        for version in _active_versions(locked):
            spec = selectors.rubric_spec(version)
            criteria = list(version.criteria.all())
            if not all(_PLAIN_KEY.match(c.key) for c in criteria):
                continue  # the Python path spells such keys; rare enough not to matter
            done, rewritten_here, orgs = _recompute_under(cursor, version, spec, criteria, locked, now=now)
            taken |= done
            rewritten += rewritten_here
            organization_ids |= orgs
        organization_exposures_mark_stale(organization_ids, now=now)
        if queue_exposures:
            queue.send_on_commit_coalesced(
                queue.ORGANIZATION_EXPOSURES_RECOMPUTE,
                "exposure",
                organization_ids,
                batch_size=min(EXPOSURE_BATCH_SIZE, settings.RECOMPUTE_BATCH_SIZE),
                countdown=settings.EXPOSURE_DEBOUNCE_SECONDS,
            )
        rest = [case_id for case_id in locked if case_id not in taken]
        if rest:
            rewritten += recompute.risk_summaries_recompute(case_ids=rest, queue_exposures=queue_exposures)
    return sorted(rewritten)


def _carried_by_key(version: RubricVersion) -> list[int]:
    """The numbers of the rubric's versions whose scores reach ``version`` by key alone (the
    crosswalks between them only keep keys, drop or add criteria): what the SQL's key match
    states. Cases scored under any other version are carried through a crosswalk that renames,
    splits or merges, which only the Python path does."""
    versions = selectors.rubric_versions_for_carrying([version.rubric_id])
    carrier = selectors.ScoreCarrier(versions)
    return [v.number for v in versions if carrier.by_key(version.rubric_id, v.number, version.number)]


def _active_versions(case_ids: list[int]) -> list[RubricVersion]:
    """The active versions of the rubrics the cases' published versions were scored under."""
    rubric_ids = (
        EvaluationVersion.objects.filter(case_id__in=case_ids, state=EvaluationVersion.State.PUBLISHED)
        .values("evaluation__rubric_version__rubric_id")
        .distinct()
    )
    return list(
        RubricVersion.objects.filter(rubric_id__in=rubric_ids, status=RubricVersion.Status.ACTIVE)
        .prefetch_related(selectors.criteria_prefetch())
        .order_by("pk")
    )


def _hash_prefix(version: RubricVersion, criteria: list) -> str:
    """The JSON text ``recompute._summary_hash`` starts with for this rubric version, up to the case's part."""
    head = json.dumps(
        [
            [version.pk, version.scale_min, version.scale_max],
            version.classification,
            [(c.key, c.family, str(c.weight), c.per_party) for c in criteria],
        ],
        sort_keys=True,
        default=str,
        separators=(",", ":"),
    )
    return head[:-1] + ","


# The scores of the batch's published versions under one active rubric version, each
# marked with whether it counts (the active version has its key, same kind, value on scale).
_SCORES_SQL = """
CREATE TEMP TABLE mw_set_scores ON COMMIT DROP AS
SELECT ev.case_id, ev.id AS version_id, s.party_id, p.organization_id, c0.key, s.value,
       (ac.key IS NOT NULL AND ac.per_party = (s.party_id IS NOT NULL)
        AND s.value BETWEEN %(scale_min)s AND %(scale_max)s) AS fits,
       ac.family, ac.weight
FROM evaluations_evaluationversion ev
JOIN evaluations_evaluation e ON e.id = ev.evaluation_id
JOIN evaluations_rubricversion rv ON rv.id = e.rubric_version_id
JOIN evaluations_score s ON s.version_id = ev.id
JOIN evaluations_criterion c0 ON c0.id = s.criterion_id
-- The batch's parties only: joined to every party, the planner reads the whole table for each batch
-- (its rows estimated from the batch's scores), and a full recompute grows with the square of the archive.
LEFT JOIN (SELECT id, organization_id FROM cases_party WHERE case_id = ANY(%(case_ids)s)) p ON p.id = s.party_id
LEFT JOIN evaluations_criterion ac ON ac.version_id = %(version_id)s AND ac.key = c0.key
WHERE ev.case_id = ANY(%(case_ids)s) AND ev.state = 'published' AND rv.rubric_id = %(rubric_id)s
  AND rv.number = ANY(%(by_key)s)
"""

# Each scored party's family figures and classification.
_FIGURES_SQL = """
CREATE TEMP TABLE mw_set_figures ON COMMIT DROP AS
WITH parties AS (
    SELECT case_id, party_id, organization_id,
           '[' || coalesce(string_agg('["' || key || '",' || value || ']', ',' ORDER BY key COLLATE "C")
                           FILTER (WHERE fits), '') || ']' AS scores_json
    FROM mw_set_scores WHERE party_id IS NOT NULL
    GROUP BY case_id, party_id, organization_id
),
counted AS (
    SELECT party_id, family, weight, value FROM mw_set_scores WHERE fits AND party_id IS NOT NULL
    UNION ALL
    SELECT pa.party_id, d.family, d.weight, d.value
    FROM parties pa JOIN mw_set_scores d ON d.case_id = pa.case_id AND d.party_id IS NULL AND d.fits
),
sums AS (
    SELECT party_id,
           sum(weight * value) FILTER (WHERE family = 'leverage') AS lt,
           sum(weight) FILTER (WHERE family = 'leverage') AS lw,
           sum(weight * value) FILTER (WHERE family = 'workaround') AS wt,
           sum(weight) FILTER (WHERE family = 'workaround') AS ww,
           sum(weight * value) FILTER (WHERE family = 'dependency') AS dt,
           sum(weight) FILTER (WHERE family = 'dependency') AS dw
    FROM counted GROUP BY party_id
),
figures AS (
    SELECT pa.case_id, pa.party_id, pa.organization_id, pa.scores_json,
           round((lt - %(scale_min)s * lw) * 100 / (lw * %(scale_range)s), 1) AS leverage,
           round((wt - %(scale_min)s * ww) * 100 / (ww * %(scale_range)s), 1) AS workaround,
           round((dt - %(scale_min)s * dw) * 100 / (dw * %(scale_range)s), 1) AS dependency
    FROM parties pa LEFT JOIN sums ON sums.party_id = pa.party_id
)
SELECT f.*,
       CASE WHEN coalesce(dependency, 0) >= %(dependency_risk_at)s THEN 'dependency_risk'
            WHEN coalesce(leverage, 0) >= %(leverage_at)s AND coalesce(workaround, 0) < %(workaround_at)s
                THEN 'durable_leverage'
            WHEN coalesce(workaround, 0) >= %(workaround_at)s THEN 'temporary_workaround'
            ELSE 'mixed' END AS classification
FROM figures f
"""

# Each case's summary row: risk index, band, classification, missing criteria, inputs hash.
_SUMMARIES_SQL = """
CREATE TEMP TABLE mw_set_summaries ON COMMIT DROP AS
WITH pub AS (SELECT ev.case_id, ev.id AS version_id FROM evaluations_evaluationversion ev
             JOIN evaluations_evaluation e ON e.id = ev.evaluation_id
             JOIN evaluations_rubricversion rv ON rv.id = e.rubric_version_id
             WHERE ev.case_id = ANY(%(case_ids)s) AND ev.state = 'published' AND rv.rubric_id = %(rubric_id)s
               AND rv.number = ANY(%(by_key)s)),
per_case AS (
    SELECT case_id,
           round(least(100, max(coalesce(dependency, 0)) + %(workaround_share)s * max(coalesce(workaround, 0))), 1)
               AS risk_index,
           min(CASE classification WHEN 'dependency_risk' THEN 0 WHEN 'temporary_workaround' THEN 1
                                   WHEN 'mixed' THEN 2 ELSE 3 END) AS severity,
           count(*) AS parties,
           '[' || string_agg('[' || party_id || ',' || scores_json || ']', ',' ORDER BY party_id) || ']'
               AS party_scores_json,
           '[' || string_agg('[' || party_id || ',' || organization_id || ']', ',' ORDER BY party_id) || ']'
               AS party_orgs_json
    FROM mw_set_figures GROUP BY case_id
),
deal AS (
    SELECT case_id, '[' || string_agg('["' || key || '",' || value || ']', ',' ORDER BY key COLLATE "C") || ']'
               AS deal_json
    FROM mw_set_scores WHERE party_id IS NULL AND fits GROUP BY case_id
),
party_keys AS (
    SELECT case_id, key, count(*) AS n FROM mw_set_scores
    WHERE party_id IS NOT NULL AND fits GROUP BY case_id, key
),
criteria AS (SELECT key, per_party FROM evaluations_criterion WHERE version_id = %(version_id)s),
missing AS (
    SELECT pub.case_id, jsonb_agg(cr.key ORDER BY cr.key COLLATE "C") AS keys
    FROM pub CROSS JOIN criteria cr
    LEFT JOIN per_case pc ON pc.case_id = pub.case_id
    LEFT JOIN party_keys pk ON pk.case_id = pub.case_id AND pk.key = cr.key
    LEFT JOIN mw_set_scores d ON d.case_id = pub.case_id AND d.party_id IS NULL AND d.fits AND d.key = cr.key
    WHERE (cr.per_party AND coalesce(pc.parties, 0) > coalesce(pk.n, 0))
       OR (NOT cr.per_party AND d.key IS NULL)
    GROUP BY pub.case_id
)
SELECT pub.case_id, pub.version_id, pc.risk_index,
       coalesce((SELECT b.name FROM unnest(%(band_names)s::text[], %(band_lowers)s::numeric[])
                 WITH ORDINALITY AS b(name, lower, n)
                 WHERE pc.risk_index >= b.lower ORDER BY b.n DESC LIMIT 1), '') AS risk_band,
       coalesce((ARRAY['dependency_risk', 'temporary_workaround', 'mixed', 'durable_leverage'])[pc.severity + 1], '')
           AS classification,
       coalesce(m.keys, '[]'::jsonb) AS missing_criteria,
       m.keys IS NOT NULL AS needs_reevaluation,
       encode(sha256(convert_to(
           %(hash_prefix)s || pub.version_id || ',' || coalesce(pc.party_scores_json, '[]') || ','
           || coalesce(d.deal_json, '[]') || ',' || coalesce(pc.party_orgs_json, '[]') || ']', 'UTF8')), 'hex')
           AS inputs_hash
FROM pub
LEFT JOIN per_case pc ON pc.case_id = pub.case_id
LEFT JOIN deal d ON d.case_id = pub.case_id
LEFT JOIN missing m ON m.case_id = pub.case_id
"""

# Rewrite the summaries whose inputs changed (or never computed); clear the flag of the rest.
_UPDATE_SQL = """
UPDATE evaluations_risksummary s
SET rubric_version_id = %(version_id)s, evaluation_version_id = n.version_id, risk_index = n.risk_index,
    risk_band = n.risk_band, classification = n.classification, missing_criteria = n.missing_criteria,
    needs_reevaluation = n.needs_reevaluation, inputs_hash = n.inputs_hash, computed_at = %(now)s,
    stale = false, stale_since = NULL
FROM mw_set_summaries n
-- case_id = ANY: the batch's rows through the index (the temporary table has no statistics, and a hash
-- join reads every summary of the archive for each batch).
WHERE s.case_id = ANY(%(case_ids)s) AND s.case_id = n.case_id
  AND (s.inputs_hash <> n.inputs_hash OR s.computed_at IS NULL)
RETURNING s.id, s.case_id
"""

_FIGURES_DELETE_SQL = """
DELETE FROM evaluations_partyfigure pf WHERE pf.summary_id = ANY(%s) AND NOT EXISTS (
    SELECT 1 FROM mw_set_figures f WHERE f.party_id = pf.party_id AND f.organization_id = pf.organization_id)
RETURNING pf.organization_id
"""

_FIGURES_UPDATE_SQL = """
UPDATE evaluations_partyfigure pf
SET leverage = f.leverage, workaround = f.workaround, dependency = f.dependency, classification = f.classification
FROM mw_set_figures f
WHERE pf.summary_id = ANY(%s) AND pf.party_id = f.party_id
  AND (pf.leverage, pf.workaround, pf.dependency, pf.classification)
      IS DISTINCT FROM (f.leverage, f.workaround, f.dependency, f.classification)
"""

_FIGURES_INSERT_SQL = """
INSERT INTO evaluations_partyfigure
    (summary_id, party_id, organization_id, leverage, workaround, dependency, classification)
SELECT s.id, f.party_id, f.organization_id, f.leverage, f.workaround, f.dependency, f.classification
FROM mw_set_figures f JOIN evaluations_risksummary s ON s.case_id = f.case_id
WHERE s.id = ANY(%s)
  AND NOT EXISTS (SELECT 1 FROM evaluations_partyfigure pf WHERE pf.summary_id = s.id AND pf.party_id = f.party_id)
"""

_CLEAR_SQL = """
UPDATE evaluations_risksummary s SET stale = false, stale_since = NULL
FROM mw_set_summaries n WHERE s.case_id = n.case_id AND s.stale
"""


def _recompute_under(
    cursor, version: RubricVersion, spec, criteria: list, case_ids: list[int], *, now
) -> tuple[set[int], list[int], set[int]]:
    """Recompute the batch's cases scored under ``version``'s rubric; return (cases taken, rewritten, organizations)."""
    params = {
        "case_ids": case_ids,
        "version_id": version.pk,
        "rubric_id": version.rubric_id,
        "scale_min": spec.scale_min,
        "scale_max": spec.scale_max,
        "scale_range": spec.scale_max - spec.scale_min,
        "dependency_risk_at": spec.dependency_risk_at,
        "leverage_at": spec.leverage_at,
        "workaround_at": spec.workaround_at,
        "workaround_share": spec.workaround_share,
        "band_names": [name for name, _ in spec.risk_bands],
        "band_lowers": [lower for _, lower in spec.risk_bands],
        "hash_prefix": _hash_prefix(version, criteria),
        "now": now,
        "by_key": _carried_by_key(version),
    }
    cursor.execute(_SCORES_SQL, params)
    cursor.execute(_FIGURES_SQL, params)
    cursor.execute(_SUMMARIES_SQL, params)
    cursor.execute("SELECT case_id FROM mw_set_summaries")
    taken = {row[0] for row in cursor.fetchall()}
    cursor.execute(_UPDATE_SQL, params)
    rows = cursor.fetchall()
    summary_ids = [row[0] for row in rows]
    rewritten = [row[1] for row in rows]
    cursor.execute(_CLEAR_SQL)
    organizations: set[int] = set()
    if summary_ids:
        # Figures are rewritten in place where the party is still scored (most rows after a
        # rubric activation): an UPDATE of the figures alone skips the foreign-key checks
        # and index entries that DELETE plus INSERT would redo for every row.
        cursor.execute(_FIGURES_DELETE_SQL, [summary_ids])
        organizations |= {row[0] for row in cursor.fetchall()}
        cursor.execute(_FIGURES_UPDATE_SQL, [summary_ids])
        cursor.execute(_FIGURES_INSERT_SQL, [summary_ids])
        cursor.execute("SELECT DISTINCT organization_id FROM cases_party WHERE case_id = ANY(%s)", [rewritten])
        organizations |= {row[0] for row in cursor.fetchall()}
    for name in ("mw_set_scores", "mw_set_figures", "mw_set_summaries"):
        cursor.execute(f"DROP TABLE {name}")  # the next rubric's batch makes its own
    return taken, rewritten, organizations
