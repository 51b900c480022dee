"""Score mutmut's results per module: scripts/mutation_score.py RESULTS REPORT TARGET [MODULE...].

mutmut lists one line per mutant, ``    package.module.x_function__mutmut_7: killed``.
A mutant counts as killed when a test failed or timed out; everything else
(survived, no tests, suspicious) counts against the score. RESULTS may name
several files separated by commas (the same mutants run on SQLite and on
PostgreSQL, see scripts/mutation): a mutant killed in any of them is killed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

LINE = re.compile(r"^\s*(?P<name>[\w.ǁ]+__mutmut_\d+): (?P<status>.+)$")
KILLED = {"killed", "timeout"}


def module_of(name: str) -> str:
    # "evaluations.scoring.x_summarize__mutmut_3" and "evaluations.scoring.xǁRubricSpecǁbuild__mutmut_1"
    return re.split(r"\.x[_ǁ]", name, maxsplit=1)[0]


ROW = re.compile(r"^\| (?P<module>[\w.]+) \| (?P<killed>\d+) / (?P<all>\d+) \|")


def _earlier(report: Path, keep: set[str] | None) -> tuple[dict[str, Counter], dict[str, list[str]]]:
    """The rows and survivor entries of the modules not run this time, from the last report."""
    counts: dict[str, Counter] = {}
    entries: dict[str, list[str]] = defaultdict(list)
    if keep is None or not report.exists():
        return counts, entries
    module = None
    for line in report.read_text().splitlines():
        row = ROW.match(line)
        if row and row["module"] not in keep:
            killed, all_ = int(row["killed"]), int(row["all"])
            counts[row["module"]] = Counter(killed=killed, other=all_ - killed)
        elif line.startswith("- `"):
            module = module_of(line[3:].split(":")[0])
            if module not in keep:
                entries[module].append(line)
        elif line.startswith("    ") and module is not None and module not in keep and entries[module]:
            entries[module].append(line)
    return counts, entries


def main(results: str, report: str, target: str, *modules: str) -> int:
    """Score the mutants of ``modules`` (all when none are named); the report keeps the other
    modules' rows and survivors from its last version."""
    selected = set(modules) or None
    by_module: dict[str, Counter] = defaultdict(Counter)
    survivors: dict[str, list[str]] = defaultdict(list)
    statuses: dict[str, list[str]] = defaultdict(list)
    for path in results.split(","):
        for line in Path(path).read_text().splitlines():
            match = LINE.match(line)
            if match:
                statuses[match["name"]].append(match["status"].strip())
    for name, seen in statuses.items():
        module = module_of(name)
        if selected is not None and module not in selected:
            continue
        killed = any(status in KILLED for status in seen)
        status = " / ".join(dict.fromkeys(seen))
        by_module[module]["killed" if killed else "other"] += 1
        if not killed:
            survivors[module].append(f"{name}: {status}")
    run = Counter()
    for counts in by_module.values():
        run.update(counts)
    if not run:
        print("no mutants found: did mutmut run?", file=sys.stderr)
        return 1
    earlier_counts, earlier_entries = _earlier(Path(report), selected)
    total = Counter()
    rows = []
    for module in sorted({*by_module, *earlier_counts}):
        counts = by_module.get(module) or earlier_counts[module]
        total.update(counts)
        all_ = counts["killed"] + counts["other"]
        rows.append(f"| {module} | {counts['killed']} / {all_} | {100 * counts['killed'] / all_:.1f} % |")
    all_ = total["killed"] + total["other"]
    score = 100 * total["killed"] / all_
    rows.append(f"| **all** | {total['killed']} / {all_} | **{score:.1f} %** |")
    table = "\n".join(["| module | killed | score |", "| --- | --- | --- |", *rows])
    print(table)
    run_score = 100 * run["killed"] / (run["killed"] + run["other"])
    if selected is not None:
        print(f"\nthis run ({', '.join(sorted(selected))}): {run['killed']} / {sum(run.values())}, {run_score:.1f} %")
    lines = [
        "# Mutation score",
        "",
        "Written by `scripts/mutation` (mutmut); do not edit by hand.",
        "",
        table,
        "",
        "## Mutants not killed",
        "",
    ]
    for module in sorted({*survivors, *earlier_entries}):
        if module not in survivors:
            lines.extend(earlier_entries[module])
            continue
        for survivor in survivors[module]:
            mutant = survivor.split(":")[0]
            # mutmut is the venv's, on PATH; the names are the ones it printed.
            diff = subprocess.run(["mutmut", "show", mutant], capture_output=True, text=True).stdout  # noqa: S603, S607
            changed = [d for d in diff.splitlines() if d[:1] in "+-" and d[:3] not in ("+++", "---")]
            lines.append(f"- `{survivor}`")
            lines.extend(f"    `{d.strip()}`" for d in changed)
    Path(report).write_text("\n".join(lines) + "\n")
    return 0 if run_score >= float(target) else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
