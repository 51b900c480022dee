"""Precision and recall of the press-release worksheet, field by field, on the corpus.

    .venv/bin/python -m bench.worksheet_accuracy            # print the report
    .venv/bin/python -m bench.worksheet_accuracy --write    # and keep it in bench/WORKSHEET.md

The corpus and its hand-made expectations are in ``tests/cases/worksheet_corpus.py``;
``tests/cases/test_worksheet_corpus.py`` fails when the kept report is not what
this prints, so the numbers in the repository are the extractor's real ones.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from cases.worksheet import Worksheet, extract
from tests.cases.worksheet_corpus import CORPUS, Announcement, known_organizations

REPORT = Path(__file__).resolve().parent / "WORKSHEET.md"


def _vague_matches(found: list[str], expected: tuple[str, ...]) -> tuple[set, set]:
    """Phrases match when one contains the other, case aside ("strategic partnership" in a longer flag)."""
    found_l = [f.lower() for f in found]
    expected_l = [e.lower() for e in expected]
    hit_expected = {e for e in expected_l if any(f in e or e in f for f in found_l)}
    hit_found = {f for f in found_l if any(f in e or e in f for e in expected_l)}
    return hit_found, hit_expected


FIELDS: dict[str, Callable[[Worksheet], set]] = {
    "organizations": lambda ws: {o.slug for o in ws.organizations},
    "roles": lambda ws: {(o.slug, o.role) for o in ws.organizations},
    "deal_types": lambda ws: {d.slug for d in ws.deal_types},
    "amounts": lambda ws: {(a.currency, a.low, a.high) for a in ws.amounts},
    "capacity": lambda ws: {(c.kind, int(c.value)) for c in ws.capacities},
    "dates": lambda ws: {d.value for d in ws.dates},
    "terms": lambda ws: {(t.kind, t.value) for t in ws.terms},
    "concrete": lambda ws: {f.label for f in ws.concrete},
}


def score(corpus: list[Announcement] = CORPUS) -> tuple[dict[str, list[int]], list[str]]:
    """Per field [true positives, false positives, false negatives], and a line per miss."""
    known = known_organizations()
    totals = {name: [0, 0, 0] for name in [*FIELDS, "vague"]}
    misses: list[str] = []
    for item in corpus:
        ws = extract(item.text, organizations=known)
        for name, read in FIELDS.items():
            found, expected = read(ws), set(getattr(item, name))
            tp, fp, fn = found & expected, found - expected, expected - found
            totals[name][0] += len(tp)
            totals[name][1] += len(fp)
            totals[name][2] += len(fn)
            for kind, values in (("extra", fp), ("missed", fn)):
                if values:
                    misses.append(f"- `{item.case}` {name} {kind}: {', '.join(sorted(map(str, values)))}")
        flagged = sorted({f.text for f in ws.vague})
        hit_found, hit_expected = _vague_matches(flagged, item.vague)
        totals["vague"][0] += len(hit_expected)
        totals["vague"][1] += len([f for f in flagged if f.lower() not in hit_found])
        totals["vague"][2] += len(item.vague) - len(hit_expected)
        extra = [f for f in flagged if f.lower() not in hit_found]
        missed = [e for e in item.vague if e.lower() not in hit_expected]
        if extra:
            misses.append(f"- `{item.case}` vague extra: {', '.join(extra)}")
        if missed:
            misses.append(f"- `{item.case}` vague missed: {', '.join(missed)}")
    return totals, misses


NOTES = [
    "## Reading these numbers",
    "",
    "- The texts are short factual rewrites of the announcements, cleaner than real releases: perfect",
    "  amounts and dates here say little about a long release with footnotes and forward-looking boilerplate.",
    "- The first run found three pattern bugs, fixed in the extractor (not in the expectations): a known name",
    '  spelled with a lower-case initial (xAI) was skipped as a common word; "MI450 GPUs" was read as 450',
    '  chips; "49% non-voting stake" was missed because of the hyphen. That run gave organizations recall',
    "  0.97, capacity precision 0.92, terms recall 0.89; nothing else changed.",
    "- Roles are the weak field: the rules read the organization named before a verb cue and the one named",
    "  after it, so lists (Stargate), passive or indirect phrasing (Apple, Mistral) and sentences that name",
    '  the chip maker as a product ("NVIDIA GPUs" in the Colossus lease) go wrong. Editors confirm every role.',
    '- Vague language is a lexicon: it finds the stock phrases ("strategic partnership", "multi-year",',
    '  "next-generation") and misses looser puffery ("preferred partner", "tens of billions of dollars").',
]


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "n/a"


def report() -> str:
    totals, misses = score()
    lines = [
        "# Press-release worksheet: accuracy on the corpus",
        "",
        f"{len(CORPUS)} announcements on the demo deals (`tests/cases/worksheet_corpus.py`), expectations made by",
        "hand. Printed by `.venv/bin/python -m bench.worksheet_accuracy --write`; a test fails when this file",
        "is not what the extractor gives now.",
        "",
        "| field | found right | extra | missed | precision | recall |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, (tp, fp, fn) in totals.items():
        lines.append(f"| {name} | {tp} | {fp} | {fn} | {_ratio(tp, tp + fp)} | {_ratio(tp, tp + fn)} |")
    lines += ["", *NOTES]
    lines += ["", "## Flags per announcement (vague claims / concrete commitments)", ""]
    known = known_organizations()
    for item in CORPUS:
        ws = extract(item.text, organizations=known)
        lines.append(f"- `{item.case}`: {ws.vague_count} vague / {ws.concrete_count} concrete")
    lines += ["", "## Every miss", "", *(misses or ["None."]), ""]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    text = report()
    print(text)
    if "--write" in argv:
        REPORT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
