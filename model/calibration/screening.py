"""Identification: Morris elementary-effects screening (SALib) of the candidate parameters against every
moment (`geese screen`).

Each candidate parameter varies over its bounds (the free parameter's bounds, else its documented value
-50% to +50% inside the documented range: ``window``);
``r`` Morris trajectories of k + 1 runs each (Morris 1991; Campolongo, Cariboni and Saltelli 2007 for mu*)
run the baseline at the given scale and seeds (common random numbers), and each moment's seed mean is
screened. Effects are expressed in the moment's own tolerance (value moments) or penalty scale (bounds,
ordinals), so mu*_ij = 1 means that moving parameter i across its range moves moment j by about one
tolerance.

A parameter is **identified** by moment j when mu*_ij >= ``THRESHOLD`` tolerances and mu*_ij exceeds twice
its seed noise (the standard error of mu* over per-seed screenings; within a seed the runs share random
numbers, so this is the noise the calibration itself faces). Parameters
no moment identifies are fixed at their documented (sourced) values; the report says so for each.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from ..parameters import ParamSet, default_specs, spec_for
from ..runner import ReplicatePool, default_workers
from .loss import MODEL_FAILURES, discrepancy, simulate_candidates
from .report import write_text_atomic
from .targets import Moment, Targets, bounds_of, load_targets

THRESHOLD = 0.5
LEVELS = 4


def calibrated_candidates() -> list[str]:
    """Every parameter (flattened) whose documented source says it is calibrated."""
    out = []
    for name, spec in default_specs().items():
        if "calibrated" not in spec.source.lower():
            continue
        if isinstance(spec.value, dict):
            out += [f"{name}.{k}" for k in spec.value]
        else:
            out.append(name)
    return out


def candidates_of(t: Targets, all_calibrated: bool) -> tuple[list[str], list[tuple[float, float]]]:
    names = [fp.name for fp in t.free_parameters]
    bounds = list(bounds_of(t))
    if all_calibrated:
        defaults = ParamSet.defaults()
        for n in calibrated_candidates():
            if n not in names:
                names.append(n)
                bounds.append(window(defaults[n], tuple(spec_for(n).range)))  # type: ignore[union-attr]
    return names, bounds  # type: ignore[return-value]


def window(value: float, rng: tuple[float, float]) -> tuple[float, float]:
    """Screening bounds of a parameter that is not free yet: its documented value -50% to +50%, inside the
    documented range (a quarter of the range above the lower end for a zero value). The documented ranges
    are plausibility limits; across the whole of them most runs of the rebuilt model break (a trial screening
    lost 120 of 160 runs), so identification is judged around the sourced values."""
    lo, hi = rng
    if value == 0:
        return (lo, lo + 0.25 * (hi - lo)) if lo >= 0 else (max(lo, -0.25 * (hi - lo)), min(hi, 0.25 * (hi - lo)))
    a, b = sorted((value * 0.5, value * 1.5))
    a, b = max(a, lo), min(b, hi)
    return (a, b) if b > a else (lo, hi)


def group_of(name: str) -> str:
    """Sector-keyed parameters move together in the screening (one Morris group: ``base.*``); scalars and
    region-keyed parameters are screened one by one (regions differ in what identifies them)."""
    from .. import SECTORS

    head, _, key = name.rpartition(".")
    return f"{head}.*" if key in SECTORS and spec_for(name) is not None and isinstance(spec_for(name).value, dict) \
        else name


def unit_of(m: Moment) -> float:
    return float(m.tolerance) if m.kind == "value" else float(m.scale)  # type: ignore[arg-type]


# Screened responses are capped at this many tolerances (value moments: around the target) or scales (bounds:
# the breach): a moment this far off rules the point out anyway (the history matching's cutoff is 3), and one
# degenerate run (an R&D intensity of 1e17 when a region's GDP nearly vanishes) would otherwise set mu* for
# every parameter on its trajectory.
CAP = 10.0


def morris(t: Targets, names: list[str], bounds: list[tuple[float, float]], simulate, trajectories: int,
           seeds: int, seed: int = 20120101, penalty: bool = True,
           runs: tuple[np.ndarray, np.ndarray] | None = None) -> dict:
    """Run the design and return mu*, sigma and the noise floor per [parameter, moment] (in tolerances).
    ``runs``: the design and [run, seed, moment] values of an earlier screening (``screening_runs.npz``) to
    analyse again without simulating."""
    from SALib.analyze import morris as analyze
    from SALib.sample import morris as sample

    groups = [group_of(n) for n in names]
    labels = list(dict.fromkeys(groups))
    problem = {"num_vars": len(names), "names": names, "bounds": [list(b) for b in bounds]}
    if len(labels) < len(names):
        problem["groups"] = groups
    nm = len(t.moments)
    failed = 0
    if runs is not None:
        X, Y = (np.asarray(a, float) for a in runs)
        failed = int(np.all(~np.isfinite(Y), axis=(1, 2)).sum())
    else:
        X = sample.sample(problem, trajectories, num_levels=LEVELS, seed=seed)
        sims = simulate([dict(zip(names, map(float, x))) for x in X])
        Y = np.full((len(X), seeds, nm), np.nan)  # per seed: elementary effects within a seed share random numbers
        for i, s in enumerate(sims):
            if s is None:
                failed += 1
                continue
            Y[i] = s
    units = np.array([unit_of(m) for m in t.moments])

    def mu_star_of(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not np.isfinite(y).any() or np.nanstd(y) == 0:
            return np.zeros(k), np.zeros(k)
        y = np.where(np.isfinite(y), y, np.nanmedian(y))  # failed runs: the median (counted in `failed`)
        res = analyze.analyze(problem, X, y, num_levels=LEVELS, print_to_console=False, seed=seed)
        return np.asarray(res["mu_star"]), np.asarray(res["sigma"])

    def as_screened(j: int, y: np.ndarray) -> np.ndarray:
        # bounds and ordinals: their breach (0 where met), in the moment's units; a bound met everywhere in the
        # box identifies nothing, however much the raw quantity moves (high_tech_firms_rise moved by 100+
        # scales while always met gave mu* > 100 for most parameters in the first screening)
        m = t.moments[j]
        if m.kind == "value":
            return m.target + np.clip(y - m.target, -CAP * units[j], CAP * units[j])  # type: ignore[operator]
        if not penalty:
            return y
        return np.array([np.nan if not np.isfinite(v) else min(discrepancy(m, float(v)), CAP) * units[j] for v in y])

    k = len(labels)
    mu_star = np.full((k, nm), np.nan)
    sigma = np.full_like(mu_star, np.nan)
    noise = np.zeros_like(mu_star)
    for j in range(nm):
        mu_star[:, j], sigma[:, j] = (v / units[j] for v in mu_star_of(as_screened(j, np.nanmean(Y[:, :, j], axis=1))))
        if seeds > 1:  # seed noise of mu*: spread of the per-seed screenings, as a standard error
            per_seed = np.array([mu_star_of(as_screened(j, Y[:, s, j]))[0] for s in range(seeds)]) / units[j]
            noise[:, j] = per_seed.std(axis=0, ddof=1) / np.sqrt(seeds)
    identified = (mu_star >= THRESHOLD) & (mu_star > 2.0 * noise)
    members = {g: [n for n, gg in zip(names, groups) if gg == g] for g in labels}
    return {"names": labels, "members": members, "member_bounds": {n: list(b) for n, b in zip(names, bounds)},
            "bounds": [list(b) for b in bounds], "moments": [m.id for m in t.moments],
            "mu_star": mu_star, "sigma": sigma, "noise": noise, "identified": identified, "runs": len(X),
            "failed": failed, "seeds": seeds, "trajectories": trajectories,
            "bounds_screened_as": "breach (0 where met)" if penalty else "raw value", "Y": Y, "X": X}


def _source(name: str) -> str:
    spec = spec_for(name) or default_specs().get(name.removesuffix(".*"))
    return spec.source if spec is not None else "?"


def _reason(name: str, mu: np.ndarray, noise: np.ndarray, moments: list[str]) -> str:
    spec = spec_for(name) or default_specs().get(name.removesuffix(".*"))
    src = spec.source if spec is not None else "?"
    j = int(np.nanargmax(mu)) if np.isfinite(mu).any() else 0
    why = (f"no moment moves by >= {THRESHOLD} tolerance across its range" if not mu[j] >= THRESHOLD else
           f"its effects are within seed noise (largest mu* {mu[j]:.2g} on {moments[j]}, 2 SE {2 * noise[j]:.2g})")
    return f"{why}; kept at the documented value ({src})"


def write_outputs(out: Path, res: dict, t: Targets, header: str) -> str:
    names, moments = res["names"], res["moments"]
    mu, ident = res["mu_star"], res["identified"]
    lines = ["# Identification: Morris screening", "", header, "",
             f"mu* in tolerances (value moments) or penalty scales (bounds, ordinals: {res.get('bounds_screened_as', 'raw value')}); identified: mu* >= "
             f"{THRESHOLD} and above twice the seed-noise floor. {res['runs']} runs ({res['failed']} failed), "
             f"{res['trajectories']} trajectories, {res['seeds']} seeds.", "",
             "| parameter | identified by | largest mu* (moment) | verdict |", "|---|---|---|---|"]
    verdicts = {}
    for i, n in enumerate(names):
        by = [moments[j] for j in np.flatnonzero(ident[i])]
        jmax = int(np.nanargmax(mu[i])) if np.isfinite(mu[i]).any() else 0
        ok = bool(by)
        verdicts[n] = ok
        lines.append(f"| `{n}` | {', '.join(by[:6]) + (' ...' if len(by) > 6 else '') or '-'} | "
                     f"{mu[i, jmax]:.3g} ({moments[jmax]}) | {'identified' if ok else 'fix: ' + _reason(n, mu[i], res['noise'][i], moments)} |")
    unid = [m for j, m in enumerate(moments) if not ident[:, j].any()]
    lines += ["", f"Moments no screened parameter moves by {THRESHOLD} tolerance: "
              + (", ".join(unid) if unid else "none") + ".", ""]
    text = "\n".join(lines) + "\n"
    write_text_atomic(out / "screening.md", text)
    runs = {k: res.pop(k) for k in ("X", "Y") if k in res}
    if runs:  # the design and every run's [seed, moment] values, to re-read the screening without re-running it
        np.savez_compressed(out / "screening_runs.npz", **runs, moments=np.array(moments),
                            names=np.array(list(res["member_bounds"])))
    doc = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in res.items()}
    doc["verdict"] = {n: ("free" if v else "fixed") for n, v in verdicts.items()}
    doc["reasons"] = {n: _reason(n, mu[i], res["noise"][i], moments) for i, n in enumerate(names) if not verdicts[n]}
    write_text_atomic(out / "screening.json", json.dumps(doc, indent=1) + "\n")
    plot_screening(out / "screening.png", res)
    return text


def plot_screening(path: Path, res: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    mu = np.clip(np.nan_to_num(res["mu_star"]), 1e-3, None)
    k, m = mu.shape
    fig, ax = plt.subplots(figsize=(max(8, 0.28 * m + 4), max(3, 0.3 * k + 2)), dpi=110)
    im = ax.imshow(mu, aspect="auto", cmap="viridis", norm=LogNorm(vmin=1e-2, vmax=max(10.0, mu.max())))
    ys, xs = np.nonzero(res["identified"])
    ax.plot(xs, ys, "w.", ms=3)
    ax.set_xticks(range(m), res["moments"], rotation=90, fontsize=6)
    ax.set_yticks(range(k), res["names"], fontsize=6)
    fig.colorbar(im, ax=ax, label="Morris mu* (tolerances)")
    ax.set_title(f"Which parameters the moments identify (white dot: mu* >= {THRESHOLD} and above seed noise)",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _block(text: str, key: str) -> tuple[int, int]:
    """Start and end of a top-level ``key:`` block (up to the next top-level key) in a YAML text."""
    import re

    m = re.search(rf"^{key}:.*$", text, flags=re.M)
    if m is None:
        raise ValueError(f"no top-level {key!r} in the targets file")
    nxt = re.search(r"^[A-Za-z_#]", text[m.end() + 1 :], flags=re.M)
    end = m.end() + 1 + nxt.start() if nxt else len(text)
    # keep comment lines that introduce the next block with it
    while end > m.end() + 1 and text[: end - 1].rsplit("\n", 1)[-1].startswith("#"):
        end = len(text[: end - 1].rsplit("\n", 1)[0]) + 1
    return m.start(), end


def update_targets(path: Path, t: Targets, res: dict, max_free: int) -> tuple[list[str], list[str]]:
    """Rewrite the free and fixed parameter lists of the targets file from the screening: the identified
    parameters (at most ``max_free``; those identified by the most moments first, ties by the largest mu*)
    are free, the others fixed with their reason."""
    names, mu, ident = res["names"], np.nan_to_num(res["mu_star"]), res["identified"]
    score = np.where(ident, mu, 0.0).max(axis=1)
    count = ident.sum(axis=1)
    # the parameters that move the most moments first (ties: the largest effect)
    order = [i for i in sorted(range(len(names)), key=lambda i: (-count[i], -score[i])) if ident[i].any()]
    members = res.get("members") or {n: [n] for n in names}
    free_groups, free = [], []
    for i in order:  # whole groups, as many as fit in max_free parameters
        if len(free) + len(members[names[i]]) <= max_free:
            free_groups.append(names[i])
            free += members[names[i]]
    old_bounds = {fp.name: fp.bounds for fp in t.free_parameters}
    bounds = res.get("member_bounds") or dict(zip(names, res["bounds"]))
    fixed = []
    for i, n in enumerate(names):
        if n in free_groups:
            continue
        why = (_reason(n, res["mu_star"][i], res["noise"][i], res["moments"]) if not ident[i].any() else
               f"identified (largest mu* {score[i]:.2g}) but ranked below the {max_free} free parameters the "
               f"posterior budget allows; kept at the documented value ({_source(n)})")
        fixed += [(mname, why) for mname in members[n]]
    lines = ["free_parameters:"]
    for n in free:
        b = old_bounds.get(n) or bounds[n]
        lines.append(f"  - {{name: {n}, bounds: [{b[0]:g}, {b[1]:g}]}}")
    text = path.read_text(encoding="utf-8")
    a, b = _block(text, "free_parameters")
    text = text[:a] + "\n".join(lines) + "\n\n" + text[b:]
    flines = ["fixed_parameters:"] if fixed else ["fixed_parameters: []"]
    for n, why in fixed:
        flines.append(f"  - name: {n}")
        flines.append(f"    reason: {json.dumps(why)}")
    a, b = _block(text, "fixed_parameters")
    text = text[:a] + "\n".join(flines) + "\n\n" + text[b:]
    write_text_atomic(path, text)
    load_targets(path)  # still valid
    return free, [n for n, _ in fixed]


def screen_command(a: argparse.Namespace) -> int:
    t = load_targets(a.targets)
    names, bounds = candidates_of(t, a.all_calibrated)
    t0 = time.perf_counter()
    with ReplicatePool(a.workers or default_workers()) as pool:
        def simulate(cands):
            return simulate_candidates(pool, t, cands, a.scale, a.seeds, calibrated=False, tolerate=MODEL_FAILURES)

        runs = None
        if a.runs is not None:
            saved = np.load(a.runs)
            if list(saved["names"]) != names or list(saved["moments"]) != [m.id for m in t.moments]:
                from ..errors import InputError

                raise InputError(str(a.runs), "names", None, "runs of the same candidate parameters and moments")
            runs = (saved["X"], saved["Y"])
            a.seeds = saved["Y"].shape[1]
            a.trajectories = len(saved["X"]) // (len(dict.fromkeys(group_of(n) for n in names)) + 1)
        res = morris(t, names, bounds, simulate, a.trajectories, a.seeds, runs=runs)
    wall = time.perf_counter() - t0
    header = (f"`geese screen --trajectories {a.trajectories} --scale {a.scale} --seeds {a.seeds}"
              f"{' --all-calibrated' if a.all_calibrated else ''}`: {len(names)} parameters x {len(t.moments)} "
              + (f"moments, {res['runs']} parameter sets analysed again from `{a.runs}` (`--runs`: no simulation)."
                 if a.runs is not None else
                 f"moments, {res['runs']} parameter sets in {wall:.0f} s ({wall / max(res['runs'], 1):.1f} s each)."))
    text = write_outputs(Path(a.out), res, t, header)
    print(text)
    print(f"wrote {Path(a.out) / 'screening.md'}, screening.png, screening.json")
    if a.update_targets:
        free, fixed = update_targets(Path(a.targets), t, res, a.max_free)
        print(f"{a.targets}: {len(free)} free parameters ({', '.join(free)}); {len(fixed)} fixed with their reasons")
    return 0
