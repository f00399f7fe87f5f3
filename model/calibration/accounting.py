"""Policy accounting with no free lunch: each scenario's effect per yuan of fiscal cost, with paired seed bands.

Every scenario runs the same seeds as the baseline (common random numbers), so the difference
scenario - baseline of replicate i is a paired effect; the band is the 5th-95th percentile of those paired
differences (or ratios) over seeds. The fiscal cost is the extra ``policy_cost`` (every lever books its
cost: see ``model/mechanisms/fiscal.py``) summed over the policy years.

Effects per yuan:
* ``gdp_per_yuan``: cumulative extra real GDP of the target regions over the policy years / cost;
* ``national_gdp_per_yuan``: the same for the nation (what the target regions gain at others' expense nets out);
* ``firms_pct``: the target regions' firms in the last year, % above the baseline;
* ``firms_per_yi``: extra firms in the target regions in the last year per yi yuan (100 million) of cost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..parameters import resolve_parameters
from ..recorder import METRICS
from ..runner import DEFAULT_ROOT_SEED, ReplicatePool, jobs_for
from ..scenario import SCENARIO_DIR, load_scenario
from .targets import REGIONS

# scenario -> the regions it targets
SCENARIOS: dict[str, tuple[str, ...]] = {
    "ne-talent": ("northeast",),
    "ne-digital": ("northeast",),
    "ne-revival": ("northeast",),
    "transfer-promotion": ("central", "west"),
}
POLICY_FROM = 2025


def _series(values: np.ndarray, years: list[int], metric: str, regions: Sequence[str]) -> np.ndarray:
    cols = list(REGIONS) + ["national"]
    j = list(METRICS).index(metric)
    return sum(values[:, cols.index(r), j] for r in regions)


def policy_effects(pool: ReplicatePool, scale: str, seeds: int, calibrated: bool | str | Path | Mapping[str, float],
                   scenarios: Mapping[str, tuple[str, ...]] = SCENARIOS, years: tuple[int, int] = (2012, 2035),
                   root: int = DEFAULT_ROOT_SEED) -> list[dict]:
    """One row per scenario: its fiscal cost and effects per yuan, means and paired seed bands."""
    names = ["baseline"] + list(scenarios)
    scs = [load_scenario(SCENARIO_DIR / f"{n}.yaml").model_copy(update={"years": years}) for n in names]
    jobs = []
    for sc in scs:
        jobs += jobs_for(sc, resolve_parameters(sc.params, None, calibrated), seeds, scale, root)
    reps = pool.map(jobs)
    yrs = list(range(years[0], years[1] + 1))
    a, b = yrs.index(POLICY_FROM), len(yrs) - 1
    by = {n: [reps[k * seeds + i].values for i in range(seeds)] for k, n in enumerate(names)}  # type: ignore[union-attr]
    rows = []
    for n, regions in scenarios.items():
        per_seed = []
        for base, scen in zip(by["baseline"], by[n]):
            cost = float(np.sum(_series(scen, yrs, "policy_cost", ["national"])[a:]
                                - _series(base, yrs, "policy_cost", ["national"])[a:]))
            d_gdp = float(np.sum(_series(scen, yrs, "gdp", regions)[a:] - _series(base, yrs, "gdp", regions)[a:]))
            d_nat = float(np.sum(_series(scen, yrs, "gdp", ["national"])[a:] - _series(base, yrs, "gdp", ["national"])[a:]))
            f_s, f_b = _series(scen, yrs, "firms", regions)[b], _series(base, yrs, "firms", regions)[b]
            safe = cost if cost > 1e-9 else np.nan
            per_seed.append({"cost_yi": cost, "gdp_per_yuan": d_gdp / safe, "national_gdp_per_yuan": d_nat / safe,
                             "firms_pct": 100.0 * (f_s / f_b - 1.0), "firms_per_yi": (f_s - f_b) / safe})
        row: dict = {"scenario": n, "regions": "+".join(regions), "seeds": seeds}
        for k in per_seed[0]:
            v = np.array([p[k] for p in per_seed], float)
            row[k] = (float(np.nanmean(v)), float(np.nanquantile(v, 0.05)), float(np.nanquantile(v, 0.95))) \
                if np.isfinite(v).any() else (float("nan"),) * 3
        rows.append(row)
    return rows


def format_effects(rows: list[dict], markdown: bool = True) -> str:
    def cell(v, fmt=".3g"):
        m, lo, hi = v
        return f"{m:{fmt}} [{lo:{fmt}}, {hi:{fmt}}]"

    head = ["scenario", "target regions", "fiscal cost 2025-2035, yi yuan", "target GDP per yuan",
            "national GDP per yuan", "target firms 2035, % vs baseline", "extra firms per yi yuan"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append(f"| {r['scenario']} | {r['regions']} | {cell(r['cost_yi'], '.4g')} | {cell(r['gdp_per_yuan'])} | "
                     f"{cell(r['national_gdp_per_yuan'])} | {cell(r['firms_pct'])} | {cell(r['firms_per_yi'])} |")
    return "\n".join(lines)


def per_yuan_from_results(base: Path, other: Path) -> str | None:
    """`geese compare`: the other run's effect per yuan of extra fiscal cost against the first, paired by seed.

    For every region and the nation: cumulative extra real GDP over the run / cumulative extra policy cost,
    mean and 5th-95th percentile over the seeds both runs share (same root seed and scale, else None).
    """
    import json

    import pandas as pd

    def meta(d: Path) -> tuple:
        try:
            m = json.loads((d / "manifest.json").read_text())
            return m["seeds"]["root"], m["scale"], (m.get("uncertainty") or {}).get("parameter_draws", 0)
        except (OSError, ValueError, KeyError, TypeError):
            return (None, None, None)

    if meta(base) != meta(other) or meta(base)[0] is None:
        return None
    cols = ["seed", "year", "region", "metric", "value"]
    a = pd.read_csv(base / "timeseries.csv", usecols=cols)
    b = pd.read_csv(other / "timeseries.csv", usecols=cols)
    keep = ["gdp", "policy_cost"]
    a, b = a[a.metric.isin(keep)], b[b.metric.isin(keep)]
    d = b.merge(a, on=["seed", "year", "region", "metric"], suffixes=("", "_base"))
    if d.empty:
        return None
    d["diff"] = d["value"] - d["value_base"]
    tot = d.pivot_table(index=["seed", "region"], columns="metric", values="diff", aggfunc="sum")
    cost = tot["policy_cost"].xs("national", level="region")
    if not (cost > 1e-9).all():
        return None
    lines = [f"effect per yuan of extra fiscal cost, {other.name} vs {base.name} (paired seeds; mean [p05, p95]):",
             f"  extra fiscal cost, yi yuan: {cost.mean():.4g} [{cost.quantile(0.05):.4g}, {cost.quantile(0.95):.4g}]"]
    for reg in list(REGIONS) + ["national"]:
        v = tot["gdp"].xs(reg, level="region") / cost
        lines.append(f"  {reg:<10} extra GDP per yuan: {v.mean():.3g} [{v.quantile(0.05):.3g}, {v.quantile(0.95):.3g}]")
    return "\n".join(lines)
