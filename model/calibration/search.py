"""The search: differential evolution over the free parameters, and `geese calibrate`."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..runner import DEFAULT_ROOT_SEED, ReplicatePool, default_workers
from .loss import BAD_FIT, MODEL_FAILURES, simulate, simulate_candidates, total_loss
from .report import format_table, plot_fit, target_table, write_report, write_text_atomic
from .targets import Targets, bounds_of, load_targets


def evaluate(pool: ReplicatePool, t: Targets, names: list[str], xs: list[np.ndarray], scale: str,
             seeds: int) -> list[float]:
    """The loss of each candidate (values of ``names`` on top of the defaults), as one batch on ``pool``.

    The search starts from the documented defaults, not from the committed calibration: the params file
    it writes holds the free parameters only, so that is what a run with it will have.
    """
    candidates = [dict(zip(names, map(float, x))) for x in xs]
    sims = simulate_candidates(pool, t, candidates, scale, seeds, calibrated=False, tolerate=MODEL_FAILURES)
    return [BAD_FIT if s is None else total_loss(t, s) for s in sims]


def search(targets_path: Path, scale: str, seeds: int, budget: int, workers: int = 1,
           history: list[list[float]] | None = None,
           on_batch: Callable[[list[list[float]], int], None] | None = None,
           pool: ReplicatePool | None = None) -> list[list[float]]:
    """Differential evolution over the free parameters; returns every evaluation as [x..., loss].

    ``history`` (from a checkpoint) seeds the initial population and counts against the budget;
    ``on_batch(history, n_new)`` is called after every generation (progress bar, checkpoint).
    """
    if pool is None:
        with ReplicatePool(workers) as own:
            return search(targets_path, scale, seeds, budget, workers, history, on_batch, own)
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

    def mapper(func, xs):
        xs = list(xs)
        run = xs[: max(budget - len(history), 0)]  # keep to the budget even inside a generation
        losses = evaluate(pool, t, names, run, scale, seeds)
        history.extend([float(v) for v in x] + [float(loss)] for x, loss in zip(run, losses))
        if on_batch is not None:
            on_batch(history, len(run))
        return losses + [BAD_FIT] * (len(xs) - len(run))

    differential_evolution(lambda x: 0.0, bounds, popsize=popmult, maxiter=maxiter, init=init, workers=mapper,
                           updating="deferred", polish=False, tol=1e-8, seed=DEFAULT_ROOT_SEED,
                           mutation=(0.5, 1.0), recombination=0.7)
    return history


def read_checkpoint(ckpt: Path, names: list[str], scale: str, seeds: int, targets_sha: str) -> list[list[float]]:
    """The evaluations of a checkpoint, or a one-line InputError if it is corrupt, wrongly shaped or foreign."""
    from ..errors import Shown
    from ..yamlio import read_bytes

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
    """`geese calibrate`: search, then write params.yaml, report.md and fit.png (one pool throughout)."""
    from tqdm import tqdm

    from ..parameters import PARAMS_FILE
    from ..results import git_commit

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
        write_text_atomic(ckpt, json.dumps({"names": names, "scale": a.scale, "seeds": a.seeds,
                                            "targets_sha256": targets_sha, "history": hist}))
        history[:] = hist

    with ReplicatePool(a.workers or default_workers()) as pool:
        try:
            history = search(a.targets, a.scale, a.seeds, a.budget, history=history, on_batch=checkpoint, pool=pool)
        except KeyboardInterrupt:
            pool.terminate()  # running evaluations are abandoned, not awaited (issue 12)
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
        sims = simulate(values, t, a.scale, max(a.seeds, 4), calibrated=False, pool=pool)
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
    write_text_atomic(params_path, text)
    write_report(out_dir / "report.md", t, rows, header)
    plot_fit(out_dir / "fit.png", t, rows)  # the checkpoint stays: `--resume --budget N` extends the search
    print(format_table(rows))
    print(f"calibrated {len(names)} parameters with {len(history)} evaluations in {wall:.0f} s "
          f"({rate:.0f} per minute) -> {params_path}")
    return 0
