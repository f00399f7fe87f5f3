"""Global sensitivity analysis over parameter ranges (SALib): Morris screening and Sobol indices.

The reusable pieces (also for the calibration, issue 11):

    problem(names)                       -> SALib problem dict; bounds = the ranges in parameters.yaml
    parse_outcome("metric:region:year")  -> Outcome (region may be 'national'; year default: the last)
    evaluate(scenario, names, points, outcomes, pool, seeds=, scale=, root=)
                                         -> ndarray [point, outcome]: the mean over seeds of each outcome
    morris(scenario, names, outcomes, pool, trajectories=, levels=, ...)   -> DataFrame of mu*, sigma
    sobol(scenario, names, outcomes, pool, samples=, ...)                  -> DataFrame of S1, ST

Every point runs the SAME seeds (replicate i of every point uses child i of the root seed: common
random numbers), on top of the calibrated parameters and the scenario's own; all points x seeds go
to the pool as one batch (``runner.ReplicatePool``: processes or Dask). Parameters whose components
must sum to one (``parameters.SUMS_TO_ONE``) cannot be varied one by one and are refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import InputError, did_you_mean
from .parameters import SUMS_TO_ONE, ParamSet, default_specs, resolve_parameters, spec_for
from .scenario import Scenario

METHODS = ("morris", "sobol")


@dataclass(frozen=True)
class Outcome:
    metric: str
    region: str
    year: int | None  # None: the scenario's last year

    def label(self, last: int) -> str:
        return f"{self.metric}:{self.region}:{self.year or last}"


def parameter_names() -> list[str]:
    """Every parameter that can be varied on its own (flattened dotted names)."""
    out = []
    for group, spec in default_specs().items():
        if group in SUMS_TO_ONE:
            continue
        out += [f"{group}.{k}" for k in spec.value] if isinstance(spec.value, dict) else [group]
    return out


def problem(names: Sequence[str], option: str = "--params") -> dict:
    """The SALib problem over ``names``, bounded by each parameter's documented range."""
    allowed = parameter_names()
    if not names:
        raise InputError(option, None, "", "at least one parameter name (`geese list --params`)")
    if len(set(names)) != len(names):
        dup = next(n for n in names if list(names).count(n) > 1)
        raise InputError(option, None, dup, "each parameter once")
    bounds = []
    for n in names:
        spec = spec_for(n)
        if spec is None or n not in allowed:
            why = ("a parameter whose parts must sum to one cannot be varied alone" if spec is not None else
                   "a parameter name from `geese list --params`" + did_you_mean(n, allowed))
            raise InputError(option, None, n, why)
        lo, hi = spec.range
        if not lo < hi:
            raise InputError(option, None, n, f"a parameter with a range to vary over (its range is [{lo:g}, {hi:g}])")
        bounds.append([float(lo), float(hi)])
    return {"num_vars": len(names), "names": list(names), "bounds": bounds}


def parse_outcome(text: str, option: str = "--outcomes") -> Outcome:
    """``metric:region[:year]``, e.g. ``industrial_va_share:northeast:2035``."""
    from .recorder import METRICS
    from .regions import load_region_data
    from .scenario import FIRST_YEAR, HORIZON

    parts = str(text).split(":")
    if len(parts) not in (2, 3):
        raise InputError(option, None, text, "METRIC:REGION[:YEAR], e.g. industrial_va_share:northeast:2035")
    metric, region = parts[0], parts[1]
    if metric not in METRICS:
        raise InputError(option, None, text, f"a metric from `geese list`{did_you_mean(metric, METRICS)}")
    regions = [*load_region_data().names, "national"]
    if region not in regions:
        raise InputError(option, None, text, f"a region, one of {', '.join(regions)}{did_you_mean(region, regions)}")
    year = None
    if len(parts) == 3:
        if not parts[2].isdigit() or not FIRST_YEAR < int(parts[2]) <= HORIZON:
            raise InputError(option, None, text, f"a year from {FIRST_YEAR + 1} to {HORIZON}")
        year = int(parts[2])
    return Outcome(metric, region, year)


def evaluate(scenario: Scenario, names: Sequence[str], points: np.ndarray, outcomes: Sequence[Outcome], pool,
             seeds: int = 1, scale: str = "tiny", root: int | None = None, progress=None,
             calibrated: bool = True) -> np.ndarray:
    """[point, outcome] means over ``seeds`` of each outcome, every point on the same seeds."""
    base: ParamSet = resolve_parameters(scenario.params, None, calibrated)
    cases = [(scenario, base.with_overrides(dict(zip(names, map(float, row))), "<sensitivity>", check_sums=False))
             for row in np.atleast_2d(points)]
    return evaluate_cases(cases, outcomes, pool, seeds, scale, root, progress)


def evaluate_cases(cases: Sequence[tuple[Scenario, ParamSet]], outcomes: Sequence[Outcome], pool, seeds: int = 1,
                   scale: str = "tiny", root: int | None = None, progress=None,
                   tolerate: tuple[type[BaseException], ...] = ()) -> np.ndarray:
    """[case, outcome] means over ``seeds``; each case is its own (scenario, resolved parameters).

    All cases x seeds are ONE batch on ``pool`` and every case runs the same seeds (common random
    numbers). A case in which any seed raises one of ``tolerate`` gets NaN outcomes.
    """
    from .recorder import METRICS
    from .regions import load_region_data
    from .runner import DEFAULT_ROOT_SEED, jobs_for

    root = DEFAULT_ROOT_SEED if root is None else root
    jobs = []
    for sc, p in cases:
        jobs += jobs_for(sc, p, seeds, scale, root)
    reps = pool.map(jobs, progress, tolerate=tolerate) if tolerate else pool.map(jobs, progress)
    regions = [*load_region_data().names, "national"]
    metrics = list(METRICS)
    out = np.full((len(cases), len(outcomes)), np.nan)
    for i, (sc, _) in enumerate(cases):
        chunk = reps[i * seeds:(i + 1) * seeds]
        if any(rep is None for rep in chunk):
            continue
        for j, o in enumerate(outcomes):
            y = (o.year or sc.last_year) - sc.first_year
            r, m = regions.index(o.region), metrics.index(o.metric)
            out[i, j] = np.mean([rep.values[y, r, m] for rep in chunk])
    return out


def morris(scenario: Scenario, names: Sequence[str], outcomes: Sequence[Outcome], pool, trajectories: int = 10,
           levels: int = 4, seeds: int = 1, scale: str = "tiny", root: int | None = None, progress=None,
           sample_seed: int = 0) -> pd.DataFrame:
    """Morris elementary effects: outcome, parameter, mu, mu_star, mu_star_conf, sigma (SALib)."""
    from SALib.analyze import morris as analyze
    from SALib.sample import morris as sample

    prob = problem(names)
    x = sample.sample(prob, trajectories, num_levels=levels, seed=sample_seed)
    y = evaluate(scenario, names, x, outcomes, pool, seeds, scale, root, progress)
    rows = []
    for j, o in enumerate(outcomes):
        res = analyze.analyze(prob, x, y[:, j], num_levels=levels, seed=sample_seed)
        for i, n in enumerate(names):
            rows.append({"outcome": o.label(scenario.last_year), "parameter": n, "mu": res["mu"][i],
                         "mu_star": res["mu_star"][i], "mu_star_conf": res["mu_star_conf"][i],
                         "sigma": res["sigma"][i]})
    return pd.DataFrame(rows), x, y


def sobol(scenario: Scenario, names: Sequence[str], outcomes: Sequence[Outcome], pool, samples: int = 64,
          seeds: int = 1, scale: str = "tiny", root: int | None = None, progress=None,
          sample_seed: int = 0) -> pd.DataFrame:
    """Sobol first-order and total indices: outcome, parameter, S1, S1_conf, ST, ST_conf (SALib, Saltelli)."""
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    prob = problem(names)
    x = sample.sample(prob, samples, calc_second_order=False, seed=sample_seed)
    y = evaluate(scenario, names, x, outcomes, pool, seeds, scale, root, progress)
    rows = []
    for j, o in enumerate(outcomes):
        res = analyze.analyze(prob, y[:, j], calc_second_order=False, seed=sample_seed)
        for i, n in enumerate(names):
            rows.append({"outcome": o.label(scenario.last_year), "parameter": n, "S1": res["S1"][i],
                         "S1_conf": res["S1_conf"][i], "ST": res["ST"][i], "ST_conf": res["ST_conf"][i]})
    return pd.DataFrame(rows), x, y


def tornado(table: pd.DataFrame, method: str, title: str, path) -> None:
    """One panel per outcome: parameters ranked by mu* (Morris) or ST (Sobol), with confidence whiskers."""
    import matplotlib.pyplot as plt

    from .plots.style import save_png, wrap_text  # model.plots chooses the backend (Agg outside notebooks)
    from .recorder import METRICS

    value, conf, other = (("mu_star", "mu_star_conf", "sigma") if method == "morris" else ("ST", "ST_conf", "S1"))
    outcomes = list(dict.fromkeys(table["outcome"]))
    k = table["parameter"].nunique()
    fig, axes = plt.subplots(1, len(outcomes), figsize=(5.5 * len(outcomes) + 1, 1.4 + 0.38 * k),
                             layout="constrained", squeeze=False)
    for ax, o in zip(axes[0], outcomes):
        rows = table[table["outcome"] == o].sort_values(value, ascending=True)
        y = np.arange(len(rows))
        ax.barh(y, rows[value], color="#4c72b0",
                label="μ* (mean absolute elementary effect)" if method == "morris" else "ST (total order)")
        ax.errorbar(rows[value], y, xerr=rows[conf].clip(lower=0), fmt="none", ecolor="black", capsize=3,
                    linewidth=1, label="95 % confidence")
        ax.scatter(rows[other], y, color="#dd8452", zorder=3, s=18,
                   label="σ (interaction / non-linearity)" if method == "morris" else "S1 (first order)")
        ax.set_yticks(y, rows["parameter"], fontsize=8)
        metric, region, year = o.split(":")
        ax.set_title(wrap_text(f"{metric} in {region}, {year}", 40), fontsize=10)
        unit = METRICS[metric][0]
        ax.set_xlabel(wrap_text(f"μ* [{unit}] per the parameter's full range", 50) if method == "morris"
                      else "total-order index ST (1)", fontsize=9)
        ax.axvline(0, color="black", linewidth=0.8)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, frameon=False, fontsize=9)
    fig.suptitle(title, fontsize=12, fontweight="bold")
    save_png(fig, path)
