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


# shipped scenarios without a per-yuan row (a carbon price raises revenue): checked for tipping only
ROBUSTNESS_ONLY: dict[str, tuple[str, ...]] = {"high-carbon": ("national",)}
GROWTH_BAND_YEARS = (2024, 2035)
GROWTH_BAND_MAX = 0.06     # issue 9: widest seed band (p95 - p05) of a region's real GDP growth <= 6 points
TIPPING_MAX = 3.0          # issue 9: no single seed's policy effect > 3x the median effect
FIRM_AIMED = ("ne-revival", "transfer-promotion")  # levers that court firms (business environment, relocation)


def run_policy_set(pool: ReplicatePool, scale: str, seeds: int, calibrated: bool | str | Path | Mapping[str, float],
                   names: Sequence[str], years: tuple[int, int] = (2012, 2035),
                   root: int = DEFAULT_ROOT_SEED) -> dict[str, list[np.ndarray]]:
    """baseline and ``names``, ``seeds`` replicates each on the same seeds: {name: [values per seed]}."""
    names = ["baseline"] + [n for n in names if n != "baseline"]
    scs = [load_scenario(SCENARIO_DIR / f"{n}.yaml").model_copy(update={"years": years}) for n in names]
    jobs = []
    for sc in scs:
        jobs += jobs_for(sc, resolve_parameters(sc.params, None, calibrated), seeds, scale, root)
    reps = pool.map(jobs)
    return {n: [reps[k * seeds + i].values for i in range(seeds)] for k, n in enumerate(names)}  # type: ignore[union-attr]


def policy_effects(pool: ReplicatePool, scale: str, seeds: int, calibrated: bool | str | Path | Mapping[str, float],
                   scenarios: Mapping[str, tuple[str, ...]] = SCENARIOS, years: tuple[int, int] = (2012, 2035),
                   root: int = DEFAULT_ROOT_SEED, by: dict[str, list[np.ndarray]] | None = None) -> list[dict]:
    """One row per scenario: its fiscal cost and effects per yuan, means and paired seed bands."""
    if by is None:
        by = run_policy_set(pool, scale, seeds, calibrated, list(scenarios), years, root)
    yrs = list(range(years[0], years[1] + 1))
    a, b = yrs.index(POLICY_FROM), len(yrs) - 1
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


def headline_effects(by: Mapping[str, list[np.ndarray]], yrs: list[int], name: str,
                     regions: Sequence[str]) -> dict[str, np.ndarray]:
    """Per-seed paired effects that define a scenario's result: for a regional policy, the target regions'
    cumulative real GDP 2025-2035, and for the policies that court firms (FIRM_AIMED) their firms in the last
    year; for a carbon price, national CO2 in the last year. Effects a policy does not aim at have medians
    near zero (national GDP of a regional policy nets out by relocation; ne-digital leaves the number of
    firms unchanged), so a ratio to their median measures noise, not tipping."""
    a, b = yrs.index(POLICY_FROM), len(yrs) - 1
    pairs = list(zip(by["baseline"], by[name]))
    if tuple(regions) == ("national",):
        return {"national CO2 2035": np.array([_series(s, yrs, "emissions", regions)[b]
                                               - _series(base, yrs, "emissions", regions)[b] for base, s in pairs])}
    return {"target GDP 2025-35": np.array([np.sum(_series(s, yrs, "gdp", regions)[a:] - _series(base, yrs, "gdp", regions)[a:])
                                            for base, s in pairs]),
            **({"target firms 2035": np.array([_series(s, yrs, "firms", regions)[b] - _series(base, yrs, "firms", regions)[b]
                                               for base, s in pairs])} if name in FIRM_AIMED else {})}


def robustness(by: Mapping[str, list[np.ndarray]], years: tuple[int, int] = (2012, 2035),
               scenarios: Mapping[str, tuple[str, ...]] | None = None) -> list[dict]:
    """The two seed-robustness requirements of issue 9, at the parameters ``by`` was run with.

    * growth band: for every region and year of 2024-2035, the 5th-95th percentile band over seeds of real GDP
      growth; the widest must be <= 6 points;
    * tipping: in every shipped scenario, max over seeds of |paired effect| / |median paired effect| <= 3 for
      each headline effect (``headline_effects``)."""
    scenarios = dict(scenarios if scenarios is not None else {**SCENARIOS, **ROBUSTNESS_ONLY})
    yrs = list(range(years[0], years[1] + 1))
    lo, hi = yrs.index(GROWTH_BAND_YEARS[0]), yrs.index(GROWTH_BAND_YEARS[1])
    base = np.array(by["baseline"])  # [seed, year, region, metric]
    j = list(METRICS).index("gdp_growth")
    g = base[:, lo : hi + 1, : len(REGIONS), j]
    band = np.quantile(g, 0.95, axis=0) - np.quantile(g, 0.05, axis=0)  # [year, region]
    y, r = np.unravel_index(int(np.nanargmax(band)), band.shape)
    rows = [{"id": "growth_seed_band", "requirement": f"<= {100 * GROWTH_BAND_MAX:.0f} points",
             "value": 100 * float(band[y, r]), "where": f"{REGIONS[r]} {yrs[lo + y]} ({len(base)} seeds)",
             "pass": bool(band[y, r] <= GROWTH_BAND_MAX + 1e-12),
             "what": "widest seed band (p95 - p05) of a region's real GDP growth, 2024-2035, points"}]
    worst, where = 0.0, ""
    detail = []
    for n, regions in scenarios.items():
        if n not in by:
            continue
        for label, e in headline_effects(by, yrs, n, regions).items():
            med = float(np.median(e))
            ratio = float(np.max(np.abs(e)) / abs(med)) if abs(med) > 0 else float("inf")
            detail.append(f"{n} {label} {ratio:.2f}x")
            if ratio > worst or not where:
                worst, where = ratio, f"{n}: {label}"
    rows.append({"id": "policy_effect_tipping", "requirement": f"<= {TIPPING_MAX:g}x",
                 "value": worst, "where": where, "pass": bool(worst <= TIPPING_MAX),
                 "what": "largest single-seed policy effect / median effect, over the shipped scenarios' "
                         "headline effects (" + "; ".join(detail) + ")"})
    return rows


def format_robustness(rows: list[dict]) -> str:
    lines = ["| check | requirement | at posterior mean | where | result |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| `{r['id']}`: {r['what']} | {r['requirement']} | {r['value']:.3g} | {r['where']} | "
                     f"{'pass' if r['pass'] else '**miss**'} |")
    return "\n".join(lines)


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
