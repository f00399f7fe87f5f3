"""Wall time of `geese sensitivity` (Morris screening) at scale ``small``, end to end through the CLI.

Run: ``.venv/bin/python benchmarks/bench_sensitivity.py [--trajectories 2] [--workers 2] [--year 2030]``.
Prints the wall time and the runs per minute (points x seeds). The defaults vary two calibrated
parameters and read two outcomes in ``--year`` (runs stop there: the model is causal).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    from model.cli import main as geese

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trajectories", type=int, default=2)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--year", type=int, default=2030)
    ap.add_argument("--scale", default="small")
    a = ap.parse_args()
    params = ["talent.mobility_high", "location.relocation_cost"]
    points = a.trajectories * (len(params) + 1)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        rc = geese(["sensitivity", "baseline", "--params", *params, "--trajectories", str(a.trajectories),
                    "--outcomes", f"industrial_va_share:northeast:{a.year}", f"gdp:national:{a.year}",
                    "--scale", a.scale, "--workers", str(a.workers), "--out", tmp])
        wall = time.perf_counter() - t0
    print(f"sensitivity (morris, {len(params)} parameters, {points} points x 1 seed, scale {a.scale}, to {a.year}, "
          f"{a.workers} workers): {wall:.1f} s wall, {points / wall * 60:.1f} runs/min (exit {rc})")
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
