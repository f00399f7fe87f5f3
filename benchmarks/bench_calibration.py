"""Calibration throughput: model evaluations per minute at scale ``small`` (the calibration setting:
baseline 2012-2024, 2 seeds per evaluation, common random numbers), serial and on a process pool.
It times what `geese calibrate` runs: ``calibration.search.evaluate`` on the runner's ``ReplicatePool``.

Run: ``.venv/bin/python benchmarks/bench_calibration.py [--evals 40] [--workers 2]``.
Bar to beat (calibration issue): 1,000 evaluations in <= 10 minutes on this 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    from model.calibration import bounds_of, load_targets
    from model.calibration.search import evaluate
    from model.runner import ReplicatePool

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--evals", type=int, default=40)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--scale", default="small")
    ap.add_argument("--seeds", type=int, default=2)
    a = ap.parse_args()
    t = load_targets(ROOT / "calibration" / "targets.yaml")
    names = [fp.name for fp in t.free_parameters]
    lo, hi = np.array(bounds_of(t)).T
    xs = list(lo + (hi - lo) * np.random.default_rng(0).random((a.evals, len(names))))
    print(f"calibration evaluations: scale {a.scale}, {a.seeds} seeds each, years {t.years[0]}-{t.years[1]}, "
          f"{len(names)} free parameters, {len(t.moments)} moments")
    n_serial = max(4, a.evals // 4)
    with ReplicatePool(1) as pool:
        t0 = time.perf_counter()
        evaluate(pool, t, names, xs[:n_serial], a.scale, a.seeds)
        serial = n_serial / (time.perf_counter() - t0) * 60
    print(f"  serial (1 core):      {serial:7.1f} evaluations/minute")
    if a.workers > 1:
        with ReplicatePool(a.workers) as pool:
            evaluate(pool, t, names, xs[: a.workers], a.scale, 1)  # warm the workers
            t0 = time.perf_counter()
            evaluate(pool, t, names, xs, a.scale, a.seeds)
            parallel = a.evals / (time.perf_counter() - t0) * 60
        print(f"  pool ({a.workers} workers):     {parallel:7.1f} evaluations/minute")
    else:
        parallel = serial
    minutes = 1000 / parallel
    print(f"  1,000 evaluations: {minutes:.1f} minutes ({'meets' if minutes <= 10 else 'MISSES'} <= 10 minutes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
