"""Stage costs of two checkouts, measured in one sitting: ``bench/stages.py`` run alternately by each one's
Python, the median of each stage over the rounds (this machine is shared: only a comparison made in one
sitting means anything).

    python bench/compare_stages.py OLD_TREE NEW_TREE [ROUNDS]

Each tree needs its own ``.venv`` (``make install``) and ``models/default`` (``make model``).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

STAGES = Path(__file__).resolve().parent / "stages.py"


def measure(tree: Path) -> dict[str, dict[str, float]]:
    cmd = [str(tree / ".venv" / "bin" / "python"), str(STAGES), "--tree", str(tree), str(tree / "models" / "default")]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=tree).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    old, new = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    runs: dict[str, list[dict[str, dict[str, float]]]] = {"old": [], "new": []}
    for i in range(rounds):
        for name, tree in (("old", old), ("new", new)) if i % 2 == 0 else (("new", new), ("old", old)):
            runs[name].append(measure(tree))
    print(f"old: {old}  new: {new}  rounds: {rounds} (alternating; median us per document, caches warm)\n")
    print("| texts | stage | old us | new us | new / old |")
    print("|---|---|---:|---:|---:|")
    for kind in runs["new"][0]:
        for stage in runs["new"][0][kind]:
            o = statistics.median(r[kind][stage] for r in runs["old"])
            n = statistics.median(r[kind][stage] for r in runs["new"])
            print(f"| {kind} | {stage} | {o:,.0f} | {n:,.0f} | {n / o:.2f} |")


if __name__ == "__main__":
    main()
