"""Run the baseline at scale tiny to 2035 with each documented parameter at each end of its range.

    .venv/bin/python scripts/check_ranges.py [--seeds N]

Prints every parameter bound at which the model fails (refused set-up, broken ledger, non-finite metric)
or grows its agents past 15x (firms) or 3x (talent). Used for the issue-12 range re-check (about 4 minutes);
every bound should print nothing.
"""

from __future__ import annotations

import argparse
import time

from model.guards import quiet_numerics
from model.model import FlyingGeeseModel
from model.parameters import default_specs

SUMS_TO_ONE = ("demand.sector_share_2012", "demand.industrial_va_share_2012", "talent.graduate_share")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=1)
    a = ap.parse_args()
    t0, bad, cases = time.time(), 0, 0
    for name, spec in default_specs().items():
        if name.startswith(SUMS_TO_ONE):
            continue  # their components must sum to one; not movable one at a time
        keys = list(spec.value) if isinstance(spec.value, dict) else [None]
        for end in (0, 1):
            params = {(name if k is None else f"{name}.{k}"): spec.range[end] for k in keys}
            for seed in range(a.seeds):
                cases += 1
                try:
                    with quiet_numerics():
                        m = FlyingGeeseModel({"name": "range-check", "scale": "tiny"}, seed=seed, params=params)
                        n_f, n_t = len(m.firms), len(m.talent)
                        m.run()
                    growth = (len(m.firms) / n_f, len(m.talent) / n_t)
                    if growth[0] > 15 or growth[1] > 3:
                        bad += 1
                        print(f"{name} = {spec.range[end]} (seed {seed}): agents grow {growth[0]:.1f}x / {growth[1]:.1f}x")
                except Exception as exc:  # noqa: BLE001 - report every kind of failure
                    bad += 1
                    print(f"{name} = {spec.range[end]} (seed {seed}): {type(exc).__name__}: {str(exc)[:160]}")
    print(f"{cases} cases, {bad} failing, {time.time() - t0:.0f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
