"""Wall time of `geese explore` (levers x uncertainties, feature scores, PRIM) at scale ``small``, end to end
through the CLI.

Run: ``.venv/bin/python benchmarks/bench_explore.py [--scenarios 4] [--policies 2] [--workers 2] [--year 2030]``.
Prints the wall time, the process CPU time of this process and its workers, and the runs per minute
(experiments x seeds). Two northeast levers and two calibrated uncertainties; the criterion is the
northeast's share of industrial value added in ``--year`` against its 2023 level (runs stop at ``--year``).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def cpu_seconds() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> int:
    from model.cli import main as geese

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", type=int, default=4)
    ap.add_argument("--policies", type=int, default=2)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--year", type=int, default=2030)
    ap.add_argument("--scale", default="small")
    a = ap.parse_args()
    runs = a.scenarios * a.policies
    with tempfile.TemporaryDirectory() as tmp:
        t0, c0 = time.perf_counter(), cpu_seconds()
        rc = geese(["explore", "baseline", "--levers", "talent_incentive.northeast.wage_topup=0:0.3",
                    "business_environment.northeast.friction_cut=0:0.6",
                    "--uncertainties", "talent.moving_cost", "production.distortion_sigma",
                    "--scenarios", str(a.scenarios), "--policies", str(a.policies),
                    "--outcomes", f"industrial_va_share:northeast:{a.year}", f"gdp:national:{a.year}",
                    "--criterion", f"industrial_va_share:northeast:{a.year} >= industrial_va_share:northeast:2023",
                    "--scale", a.scale, "--workers", str(a.workers), "--out", tmp])
        wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    print(f"explore (2 levers x 2 uncertainties, {runs} experiments x 1 seed, scale {a.scale}, to {a.year}, "
          f"{a.workers} workers): {wall:.1f} s wall, {cpu:.1f} s CPU, {runs / wall * 60:.1f} runs/min (exit {rc})")
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
