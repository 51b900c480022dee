"""Score mutmut's results per module: scripts/mutation RESULTS REPORT TARGET.

mutmut lists one line per mutant, ``    package.module.x_function__mutmut_7: killed``.
A mutant counts as killed when a test failed or timed out; everything else
(survived, no tests, suspicious) counts against the score.
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


def main(results: str, report: str, target: str) -> int:
    by_module: dict[str, Counter] = defaultdict(Counter)
    survivors: dict[str, list[str]] = defaultdict(list)
    for line in Path(results).read_text().splitlines():
        match = LINE.match(line)
        if not match:
            continue
        name, status = match["name"], match["status"].strip()
        module = module_of(name)
        killed = status in KILLED
        by_module[module]["killed" if killed else "other"] += 1
        if not killed:
            survivors[module].append(f"{name}: {status}")
    total = Counter()
    rows = []
    for module in sorted(by_module):
        counts = by_module[module]
        total.update(counts)
        all_ = counts["killed"] + counts["other"]
        rows.append(f"| {module} | {counts['killed']} / {all_} | {100 * counts['killed'] / all_:.1f} % |")
    all_ = total["killed"] + total["other"]
    if not all_:
        print("no mutants found: did mutmut run?", file=sys.stderr)
        return 1
    score = 100 * total["killed"] / all_
    rows.append(f"| **all** | {total['killed']} / {all_} | **{score:.1f} %** |")
    table = "\n".join(["| module | killed | score |", "| --- | --- | --- |", *rows])
    print(table)
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
    for module in sorted(survivors):
        for survivor in survivors[module]:
            mutant = survivor.split(":")[0]
            # mutmut is the venv's, on PATH; the names are the ones it printed.
            diff = subprocess.run(["mutmut", "show", mutant], capture_output=True, text=True).stdout  # noqa: S603, S607
            changed = [d for d in diff.splitlines() if d[:1] in "+-" and d[:3] not in ("+++", "---")]
            lines.append(f"- `{survivor}`")
            lines.extend(f"    `{d.strip()}`" for d in changed)
    Path(report).write_text("\n".join(lines) + "\n")
    return 0 if score >= float(target) else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
