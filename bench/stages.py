"""Microseconds per document of each stage of the full analysis, warm, on the two text sets of ``run.py``.

Prints one JSON object: ``{"complaint": {stage: us, ...}, "news": {...}}`` for the held-out complaints of 40-60
words and the 400-word real-news documents (``run._new_texts``), every cache warm (a pass over the texts
first, then the best of 3 timed passes, as ``run.stage_rates``). It only calls functions ``run.py`` has had
since commit e9e2536: with ``--tree`` it imports the ``bench/run.py`` of another checkout, and run by that
checkout's Python it measures that checkout, so two commits compare in one sitting
(``bench/compare_stages.py``: alternating runs, median of each stage).

    python bench/stages.py models/default
    /path/to/old/.venv/bin/python bench/stages.py --tree /path/to/old /path/to/old/models/default
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> None:
    args = sys.argv[1:]
    tree = Path(__file__).resolve().parent.parent
    if args[:1] == ["--tree"]:
        tree, args = Path(args[1]), args[2:]
    sys.path.insert(0, str(tree / "bench"))
    import run  # bench/run.py of that checkout

    model_dir = Path(args[0] if args else tree / "models" / "default")
    new, _ = run._new_texts()
    full, _ = run.pilah_full(model_dir)
    out = {}
    for kind in ("complaint", "news"):
        texts = new[kind]
        full(texts)  # warm every cache
        stages = {name: 1e6 / rate for name, rate in run.stage_rates(model_dir, texts)}
        stages["full analysis (Pilah)"] = 1e6 / run._rate(full, texts)
        out[kind] = {name: round(us, 1) for name, us in stages.items()}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
