"""Calibration by the method of simulated moments, and the target table.

``calibration/targets.yaml`` declares which figures of ``seeds/figures.yaml`` are moments, how each
is computed from model output, its tolerance and weight, and the free parameters with their bounds
(the documented range unless narrowed). The loss over the baseline scenario is

    L(theta) = sum_value  w_j ((m_j(theta) - t_j) / tol_j)^2
             + sum_bound  w_j softplus((m_j - limit_j) / s_j)^2   (upper bounds; mirrored for lower)
             + sum_ordinal w_j softplus(-margin_j / s_j)^2         (margin > 0 when the ranking holds)

where m_j(theta) is the mean over seeds of the moment. Every candidate runs the same seeds (common
random numbers), so differences between candidates are not sampling noise. The optimiser is
``scipy.optimize.differential_evolution`` on a process pool; a checkpoint after every generation lets
a run be resumed, and an interrupted run leaves ``calibration/params.yaml`` untouched.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import InputError, did_you_mean
from .parameters import ParamSet, spec_for
from .recorder import METRICS
from .runner import process_pool, start_pool, stop_pool
from .scenario import FIRST_YEAR, SCENARIO_DIR, load_scenario, validation_to_input_error
from .yamlio import load_yaml_file

REPO = Path(__file__).resolve().parent.parent
FIGURES_FILE = REPO / "seeds" / "figures.yaml"
REGIONS = ("east", "central", "west", "northeast")
PASS_SHARE = 0.8
ROOT_SEED = 20120101
Year = Annotated[int, Field(strict=True, ge=FIRST_YEAR, le=2035)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Quantity(_Strict):
    """A number computed from model output for one region."""

    metric: str
    region: Literal["east", "central", "west", "northeast", "national"]
    statistic: Literal["value", "mean", "cagr"] = "value"
    year: Year | None = None
    span: tuple[Year, Year] | None = None
    plus: list[Literal["east", "central", "west", "northeast"]] = Field(
        default_factory=list, description="regions added to `region` (e.g. central plus west)")
    per: str | None = Field(None, description="divide by this metric (same region and year) first")
    versus_national: Literal["ratio", "difference"] | None = None

    @model_validator(mode="after")
    def _check(self):
        for m in (self.metric, self.per):
            if m is not None and m not in METRICS:
                raise ValueError(f"unknown metric {m!r}{did_you_mean(m, METRICS)}")
        if self.statistic == "value" and self.year is None:
            raise ValueError("statistic 'value' needs a year")
        if self.statistic in ("mean", "cagr") and self.span is None:
            raise ValueError(f"statistic {self.statistic!r} needs a span [start, end]")
        if self.span is not None and self.span[0] >= self.span[1]:
            raise ValueError(f"span is reversed or empty: {list(self.span)}")
        return self

    def last_year(self) -> int:
        return self.year if self.year is not None else self.span[1]  # type: ignore[index]


class Moment(Quantity):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    figure: str = Field(description="id in seeds/figures.yaml")
    source: str | None = Field(None, description="only when the figure is not in seeds/figures.yaml")
    kind: Literal["value", "bound", "ordinal"] = "value"
    target: float | None = None
    tolerance: Annotated[float, Field(gt=0)] | None = None
    upper: float | None = None
    lower: float | None = None
    rank: Literal["lowest", "highest"] | None = None
    below: Quantity | None = None
    scale: Annotated[float, Field(gt=0)] = 1.0
    weight: Annotated[float, Field(ge=0)] = 1.0
    note: str = ""

    @model_validator(mode="after")
    def _kind_fields(self):
        if self.kind == "value" and (self.target is None or self.tolerance is None):
            raise ValueError("a value moment needs target and tolerance")
        if self.kind == "bound" and (self.upper is None) == (self.lower is None):
            raise ValueError("a bound moment needs exactly one of upper or lower")
        if self.kind == "ordinal" and (self.rank is None) == (self.below is None):
            raise ValueError("an ordinal moment needs exactly one of rank or below")
        return self


class FreeParameter(_Strict):
    name: str
    bounds: tuple[float, float] | None = None


class Targets(_Strict):
    scenario: str = "baseline"
    years: tuple[Year, Year] = (FIRST_YEAR, 2024)
    free_parameters: list[FreeParameter]
    moments: list[Moment]


def load_targets(path: Path) -> Targets:
    """Read and check a targets file; every problem names the entry it is in."""
    doc = load_yaml_file(path)
    try:
        t = Targets.model_validate(doc)
    except ValidationError as exc:
        raise validation_to_input_error(exc, str(path), doc) from None
    figures = {f["id"]: f for f in load_yaml_file(FIGURES_FILE)["figures"]} if FIGURES_FILE.is_file() else {}
    ids = set()
    for i, m in enumerate(t.moments):
        key = f"moments[{i}]"
        if m.id in ids:
            raise InputError(str(path), f"{key}.id", m.id, "moment ids must be unique")
        ids.add(m.id)
        if m.figure not in figures and m.source is None:
            raise InputError(str(path), f"{key}.figure", m.figure,
                             "an id from seeds/figures.yaml" + did_you_mean(m.figure, figures) + ", or give a source")
        if m.last_year() > t.years[1]:
            raise InputError(str(path), f"{key}", m.last_year(), f"moments must lie within years {list(t.years)}")
    for i, fp in enumerate(t.free_parameters):
        spec = spec_for(fp.name)
        if spec is None:
            raise InputError(str(path), f"free_parameters[{i}].name", fp.name,
                             "a parameter from model/data/parameters.yaml" + did_you_mean(fp.name, ParamSet.defaults()))
        lo, hi = fp.bounds or spec.range
        if not (spec.range[0] <= lo < hi <= spec.range[1]):
            raise InputError(str(path), f"free_parameters[{i}].bounds", [lo, hi],
                             f"low < high inside the documented range {list(spec.range)}")
    return t


def bounds_of(t: Targets) -> list[tuple[float, float]]:
    return [tuple(fp.bounds or spec_for(fp.name).range) for fp in t.free_parameters]  # type: ignore[union-attr, misc]


# --- computing moments from model output ----------------------------------------------------------

def quantity(q: Quantity, values: np.ndarray, years: list[int], metrics: list[str], region: str | None = None) -> float:
    """The quantity from one replicate's recorder values [year, region + national, metric]."""
    regions = list(REGIONS) + ["national"]

    def series(metric: str, reg: str) -> np.ndarray:
        group = [reg] + (q.plus if reg == q.region else [])
        s = sum(values[:, regions.index(g), metrics.index(metric)] for g in group)
        if q.per is not None:
            s = s / sum(values[:, regions.index(g), metrics.index(q.per)] for g in group)
        return s

    def stat(reg: str) -> float:
        s = series(q.metric, reg)
        if q.statistic == "value":
            return float(s[years.index(q.year)])
        a, b = years.index(q.span[0]), years.index(q.span[1])  # type: ignore[index]
        if q.statistic == "mean":
            return float(np.mean(s[a : b + 1]))
        return float((s[b] / s[a]) ** (1.0 / (q.span[1] - q.span[0])) - 1.0)  # type: ignore[index]

    reg = region or q.region
    v = stat(reg)
    if q.versus_national == "ratio":
        v /= stat("national")
    elif q.versus_national == "difference":
        v -= stat("national")
    return v


def moment_value(m: Moment, values: np.ndarray, years: list[int], metrics: list[str]) -> float:
    """Value moments: the statistic. Bounds: the statistic. Ordinal: the margin (> 0 when it holds)."""
    own = quantity(m, values, years, metrics)
    if m.kind != "ordinal":
        return own
    if m.below is not None:
        return quantity(m.below, values, years, metrics) - own
    others = [quantity(m, values, years, metrics, r) for r in REGIONS if r != m.region]
    return (min(others) - own) if m.rank == "lowest" else (own - max(others))


def _softplus(x: float) -> float:
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


def moment_loss(m: Moment, sim: float) -> float:
    if m.kind == "value":
        return m.weight * ((sim - m.target) / m.tolerance) ** 2  # type: ignore[operator]
    if m.kind == "bound":
        excess = (sim - m.upper) if m.upper is not None else (m.lower - sim)  # type: ignore[operator]
        return m.weight * (_softplus(excess / m.scale) / math.log(2)) ** 2 * (0.25 if excess <= 0 else 1.0)
    return m.weight * (_softplus(-sim / m.scale) / math.log(2)) ** 2 * (0.25 if sim > 0 else 1.0)


def passes(m: Moment, sim: float) -> bool:
    if m.kind == "value":
        return abs(sim - m.target) <= m.tolerance  # type: ignore[operator]
    if m.kind == "bound":
        return sim <= m.upper if m.upper is not None else sim >= m.lower  # type: ignore[operator]
    return sim > 0


def _baseline(t: Targets):
    return load_scenario(SCENARIO_DIR / f"{t.scenario}.yaml").model_copy(update={"years": t.years, "params": {}})


def _moments_of_replicate(t: Targets, scenario, seed: np.random.SeedSequence, scale: str,
                          overrides: dict[str, float]) -> np.ndarray:
    """[moment] values of one replicate of the baseline."""
    from .model import FlyingGeeseModel

    rec = FlyingGeeseModel(scenario, seed=seed, scale=scale, params=overrides).run()
    return np.array([moment_value(mom, rec.values, rec.years, rec.metrics) for mom in t.moments])


def simulate(overrides: dict[str, float], t: Targets, scale: str, seeds: int, root: int = ROOT_SEED) -> np.ndarray:
    """[seed, moment] moment values for the baseline with ``overrides`` (common random numbers)."""
    from .runner import replicate_seeds

    scenario = _baseline(t)
    return np.vstack([_moments_of_replicate(t, scenario, ss, scale, overrides) for ss in replicate_seeds(root, seeds)])


def total_loss(t: Targets, sims: np.ndarray) -> float:
    mean = sims.mean(axis=0)
    if not np.all(np.isfinite(mean)):
        return 1e9
    return float(sum(moment_loss(m, v) for m, v in zip(t.moments, mean)))


def _evaluate(x: np.ndarray, names: list[str], targets_path: str, scale: str, seeds: int, root: int) -> float:
    """The objective; top-level so worker processes can run it."""
    t = _targets_cached(targets_path)
    try:
        sims = simulate(dict(zip(names, map(float, x))), t, scale, seeds, root)
    except (FloatingPointError, ValueError, RuntimeError):
        return 1e9  # a parameter set that breaks a ledger or the price search is simply a bad fit
    return total_loss(t, sims)


_TARGET_CACHE: dict[str, Targets] = {}


def _targets_cached(path: str) -> Targets:
    if path not in _TARGET_CACHE:
        _TARGET_CACHE[path] = load_targets(Path(path))
    return _TARGET_CACHE[path]


# --- the commands ---------------------------------------------------------------------------------

def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.chmod(tmp, 0o644)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def target_table(t: Targets, sims: np.ndarray) -> list[dict]:
    rows = []
    for j, m in enumerate(t.moments):
        col = sims[:, j]
        mean = float(col.mean())
        if m.kind == "value":
            want = f"{m.target:.4g} ± {m.tolerance:.2g}"
        elif m.kind == "bound":
            want = f"<= {m.upper:.4g}" if m.upper is not None else f">= {m.lower:.4g}"
        else:
            want = "margin > 0"
        rows.append({"id": m.id, "figure": m.figure, "kind": m.kind, "target": want, "mean": mean,
                     "p05": float(np.quantile(col, 0.05)), "p95": float(np.quantile(col, 0.95)),
                     "pass": passes(m, mean)})
    return rows


def format_table(rows: list[dict]) -> str:
    lines = [f"{'moment':<40} {'target':>18} {'simulated':>11} {'band p05-p95':>23}  result"]
    for r in rows:
        lines.append(f"{r['id']:<40} {r['target']:>18} {r['mean']:>11.4g} "
                     f"{'[' + format(r['p05'], '.4g') + ', ' + format(r['p95'], '.4g') + ']':>23}  "
                     f"{'pass' if r['pass'] else 'MISS'}")
    n_pass = sum(r["pass"] for r in rows)
    lines.append(f"{n_pass}/{len(rows)} targets within tolerance ({n_pass / len(rows):.0%}; "
                 f"at least {PASS_SHARE:.0%} required)")
    return "\n".join(lines)


def write_report(path: Path, t: Targets, rows: list[dict], header: dict) -> None:
    lines = ["# Calibration report", "",
             f"Fitted {header['date']} at scale `{header['scale']}` with {header['seeds']} seeds "
             f"(common random numbers), {header['evaluations']} evaluations, loss {header['loss']:.4g}, "
             f"commit `{header['git_commit']}`, wall time {header['wall_seconds']:.0f} s.", "",
             "Moments are computed on the baseline scenario; the band is the 5th-95th percentile over seeds.", "",
             "| moment | figure | kind | target | simulated mean | band (p05-p95) | result |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['id']} | {r['figure']} | {r['kind']} | {r['target']} | {r['mean']:.4g} | "
                     f"{r['p05']:.4g} to {r['p95']:.4g} | {'pass' if r['pass'] else '**miss**'} |")
    n_pass = sum(r["pass"] for r in rows)
    lines += ["", f"**{n_pass} of {len(rows)} targets pass ({n_pass / len(rows):.0%}).**", "",
              "## Fitted parameters", "", "| parameter | value | bounds |", "|---|---|---|"]
    for fp, b, v in zip(t.free_parameters, bounds_of(t), header["values"].values()):
        lines.append(f"| `{fp.name}` | {v:.4g} | [{b[0]:g}, {b[1]:g}] |")
    _atomic_write(path, "\n".join(lines) + "\n")


def plot_fit(path: Path, t: Targets, rows: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 0.42 * len(rows) + 1.6), dpi=120)
    ys = np.arange(len(rows))[::-1]
    for y, m, r in zip(ys, t.moments, rows):
        if m.kind == "value":
            norm = lambda v: (v - m.target) / m.tolerance  # noqa: E731
        elif m.kind == "bound":
            lim = m.upper if m.upper is not None else m.lower
            sign = 1 if m.upper is not None else -1
            norm = lambda v, lim=lim, sign=sign: sign * (v - lim) / m.scale  # noqa: E731
        else:
            norm = lambda v: -v / m.scale  # noqa: E731
        lo, hi = sorted((norm(r["p05"]), norm(r["p95"])))
        colour = "#2ca02c" if r["pass"] else "#d62728"
        ax.plot([max(lo, -6), min(hi, 6)], [y, y], color=colour, lw=5, alpha=0.35, solid_capstyle="butt")
        ax.plot(np.clip(norm(r["mean"]), -6, 6), y, "o", color=colour)
    ax.axvspan(-1, 1, color="#cccccc", alpha=0.4, label="within tolerance (value moments)")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(ys, [f"{r['id']} ({r['kind']})" for r in rows], fontsize=8)
    ax.set_xlim(-6.2, 6.2)
    ax.set_xlabel("simulated − target, in tolerances (value) or penalty scales (bounds: + is a breach; "
                  "ordinal: + is the wrong order)", fontsize=8)
    ax.set_title("Calibration targets against the simulated baseline (dot = mean over seeds, bar = 5th–95th pct)",
                 fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _workers(n: int | None) -> int:
    return max(1, n or (os.cpu_count() or 1))


def search(targets_path: Path, scale: str, seeds: int, budget: int, workers: int = 1,
           history: list[list[float]] | None = None, on_batch=None) -> list[list[float]]:
    """Differential evolution over the free parameters; returns every evaluation as [x..., loss].

    ``history`` (from a checkpoint) seeds the initial population and counts against the budget;
    ``on_batch(history, n_new)`` is called after every generation (progress bar, checkpoint).
    """
    from scipy.optimize import differential_evolution

    t = load_targets(targets_path)
    names = [fp.name for fp in t.free_parameters]
    bounds = bounds_of(t)
    history = list(history or [])
    n = len(names)
    remaining = max(budget - len(history), 0)
    if remaining == 0:
        return history
    popmult = max(2, min(6, remaining // max(4 * n, 1)))
    pop = popmult * n
    maxiter = max(0, remaining // pop - 1)
    init: str | np.ndarray = "latinhypercube"
    if len(history) >= 5:  # resume: restart from the best points found so far (DE needs >= 5 rows)
        rows = max(pop, 5)
        best = np.array([h[:-1] for h in sorted(history, key=lambda h: h[-1])[:rows]])
        init = np.vstack([best] * (rows // len(best) + 1))[:rows]
    args = (names, str(targets_path), scale, seeds, ROOT_SEED)
    pool = start_pool(workers) if workers > 1 else None  # workers never outlive this process (issue 12)

    def mapper(func, xs):
        xs = list(xs)
        run = xs[: max(budget - len(history), 0)]  # keep to the budget even inside a generation
        if pool is not None:
            losses = list(pool.map(_evaluate, run, *[[v] * len(run) for v in args]))
        else:
            losses = [_evaluate(x, *args) for x in run]
        history.extend([float(v) for v in x] + [float(loss)] for x, loss in zip(run, losses))
        if on_batch is not None:
            on_batch(history, len(run))
        return losses + [1e9] * (len(xs) - len(run))

    try:
        differential_evolution(lambda x: 0.0, bounds, popsize=popmult, maxiter=maxiter, init=init, workers=mapper,
                               updating="deferred", polish=False, tol=1e-8, seed=ROOT_SEED,
                               mutation=(0.5, 1.0), recombination=0.7)
    except BaseException:
        if pool is not None:
            stop_pool(pool, terminate=True)
        raise
    if pool is not None:
        stop_pool(pool, terminate=False)
    return history


def read_checkpoint(ckpt: Path, names: list[str], scale: str, seeds: int, targets_sha: str) -> list[list[float]]:
    """The evaluations of a checkpoint, or a one-line InputError if it is corrupt, wrongly shaped or foreign."""
    from .errors import Shown
    from .yamlio import read_bytes

    raw = read_bytes(ckpt, limit=256 << 20)
    try:
        saved = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(str(ckpt), None, Shown("its contents"), f"a JSON checkpoint from `geese calibrate` ({exc}); "
                                                                 "delete it to start afresh") from None
    if not isinstance(saved, dict):
        raise InputError(str(ckpt), None, type(saved).__name__, "a JSON object from `geese calibrate`")
    same = (saved.get("names") == names and saved.get("scale") == scale and saved.get("seeds") == seeds
            and saved.get("targets_sha256") == targets_sha)
    if not same:
        raise InputError(str(ckpt), "names/scale/seeds/targets", saved.get("scale"),
                         "the same targets file, --scale and --seeds as the checkpointed run")
    history = saved.get("history")
    ok = isinstance(history, list) and all(
        isinstance(h, list) and len(h) == len(names) + 1
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) for v in h)
        for h in history)
    if not ok:
        raise InputError(str(ckpt), "history", Shown("its evaluations"),
                         f"a list of [{len(names)} parameter values, loss] rows of finite numbers; "
                         "delete the checkpoint to start afresh")
    return [[float(v) for v in h] for h in history]


def calibrate(a: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .params_file import PARAMS_FILE
    from .results import git_commit

    t = load_targets(a.targets)
    names = [fp.name for fp in t.free_parameters]
    out_dir = Path(a.out)
    ckpt = out_dir / ".checkpoint.json"
    targets_sha = hashlib.sha256(Path(a.targets).read_bytes()).hexdigest()
    history: list[list[float]] = []
    if a.resume:
        if not ckpt.is_file():
            raise InputError(str(ckpt), None, "--resume", "a checkpoint from an earlier `geese calibrate` run")
        history = read_checkpoint(ckpt, names, a.scale, a.seeds, targets_sha)
    t0 = time.perf_counter()
    done_before = len(history)
    bar = tqdm(total=a.budget, initial=len(history), desc="calibrate", unit="eval", file=sys.stderr, disable=None)

    def checkpoint(hist: list[list[float]], n_new: int) -> None:
        bar.update(n_new)
        _atomic_write(ckpt, json.dumps({"names": names, "scale": a.scale, "seeds": a.seeds,
                                        "targets_sha256": targets_sha, "history": hist}))
        history[:] = hist

    try:
        history = search(a.targets, a.scale, a.seeds, a.budget, _workers(a.workers), history, checkpoint)
    except KeyboardInterrupt:
        bar.close()
        print(f"geese: calibration interrupted after {len(history)} evaluations; {PARAMS_FILE.name} untouched; "
              f"continue with `geese calibrate --resume`", file=sys.stderr)
        return 130
    bar.close()
    if not history:
        raise InputError("--budget", None, a.budget, "a budget larger than the evaluations already done")
    best = min(history, key=lambda h: h[-1])
    values = {nm: float(f"{v:.6g}") for nm, v in zip(names, best[:-1])}
    wall = time.perf_counter() - t0
    rate = (len(history) - done_before) / wall * 60
    # the table and report use more seeds than the search, to show the band honestly
    sims = simulate(values, t, a.scale, max(a.seeds, 4))
    rows = target_table(t, sims)
    header = {"date": dt.date.today().isoformat(), "loss": float(best[-1]), "budget": a.budget,
              "evaluations": len(history), "scale": a.scale, "seeds": a.seeds, "git_commit": git_commit(),
              "wall_seconds": round(wall, 1), "evaluations_per_minute": round(rate, 1), "values": values}
    params_doc = {"fit": {k: v for k, v in header.items() if k != "values"}, "values": values}
    import yaml

    text = ("# Calibrated parameters, written by `geese calibrate`; every `geese run` applies them on top of\n"
            "# model/data/parameters.yaml. Edit by re-running the calibration (or by hand, within each range).\n"
            + yaml.safe_dump(params_doc, sort_keys=False))
    out_dir.mkdir(parents=True, exist_ok=True)
    params_path = out_dir / "params.yaml"
    _atomic_write(params_path, text)
    write_report(out_dir / "report.md", t, rows, header)
    plot_fit(out_dir / "fit.png", t, rows)  # the checkpoint stays: `--resume --budget N` extends the search
    print(format_table(rows))
    print(f"calibrated {len(names)} parameters with {len(history)} evaluations in {wall:.0f} s "
          f"({rate:.0f} per minute) -> {params_path}")
    return 0


def targets_command(a: argparse.Namespace) -> int:
    from .params_file import calibrated_overrides

    t = load_targets(a.targets)
    overrides = calibrated_overrides(a.params)
    workers = _workers(a.workers)
    if workers > 1 and a.seeds > 1:
        with process_pool(min(workers, a.seeds)) as pool:
            parts = list(pool.map(_simulate_one, range(a.seeds), [overrides] * a.seeds, [str(a.targets)] * a.seeds,
                                  [a.scale] * a.seeds, [a.seeds] * a.seeds))
        sims = np.vstack(parts)
    else:
        sims = simulate(overrides, t, a.scale, a.seeds)
    rows = target_table(t, sims)
    print(f"baseline at scale {a.scale}, {a.seeds} seeds, parameters from {a.params}")
    print(format_table(rows))
    return 0 if sum(r["pass"] for r in rows) >= PASS_SHARE * len(rows) else 1


def _simulate_one(i: int, overrides: dict[str, float], targets_path: str, scale: str, seeds: int) -> np.ndarray:
    """Replicate i of ``simulate`` alone (same seed as in the full call), for a process pool."""
    from .runner import replicate_seeds

    t = _targets_cached(targets_path)
    return _moments_of_replicate(t, _baseline(t), replicate_seeds(ROOT_SEED, seeds)[i], scale, overrides)[None, :]
