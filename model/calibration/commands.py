"""`geese posterior`, `geese screen`, `geese convergence` and `geese check`: the commands of the
calibration package beside `geese calibrate` and `geese targets` (their options: ``model/cli_calibration.py``)."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
import time
from pathlib import Path

from ..errors import InputError
from ..runner import ReplicatePool, default_workers
from .report import write_text_atomic
from .targets import REPO, load_targets

CAL_DIR = REPO / "calibration"
CHECKPOINT = ".posterior-checkpoint.json"


# ------------------------------------------------------------------------------------------- geese posterior

def model_fingerprint() -> str:
    """sha256 of the model's code and data (``model/**/*.py``, ``*.yaml``, ``*.csv``, ``*.json``): a checkpoint
    made by other code cannot be resumed (its runs would mix two models)."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for f in sorted(root.rglob("*")):
        if f.suffix in (".py", ".yaml", ".yml", ".csv", ".json") and "__pycache__" not in f.parts and f.is_file():
            h.update(f.relative_to(root).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def _read_checkpoint(path: Path) -> dict | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return doc if isinstance(doc, dict) and isinstance(doc.get("waves"), list) else None


def _is_committed(path: Path) -> bool:
    """``path`` is the shipped calibration's params.yaml (the committed fit every run applies)."""
    import os

    from ..resources import shipped_dir

    committed = shipped_dir("calibration") / "params.yaml"
    return path.exists() and committed.exists() and os.path.realpath(path) == os.path.realpath(committed)


def posterior_preflight(a: argparse.Namespace, key: dict) -> list[dict]:
    """The rules checked before any model run (README, Calibration):

    * the committed fit (``calibration/params.yaml`` and the posterior sample beside it) is replaced only
      with ``--force``, as `geese calibrate` does; ``--out DIR`` elsewhere writes freely;
    * ``--resume`` continues the checkpoint of the same command (same targets, free parameters, scale,
      seeds, budget, waves, and the same model code); anything else is a one-line error naming what differs;
    * without ``--resume``, an unfinished checkpoint of the same command is never discarded silently: it
      asks for ``--resume`` (continue) or ``--restart`` (start over).

    Returns the checkpointed waves to resume from ([] for a fresh run)."""
    out = Path(a.out)
    ckpt = out / CHECKPOINT
    if _is_committed(out / "params.yaml") and not a.force:
        raise InputError("--force", None, str(out / "params.yaml"),
                         "it is the committed fit; add --force to replace it and posterior.csv/.json/.png "
                         "(the rule of `geese calibrate`), or write elsewhere with --out DIR")
    if a.resume and a.restart:
        raise InputError("--restart", None, "--resume", "one of --resume (continue) and --restart (start over)")
    doc = _read_checkpoint(ckpt) if ckpt.is_file() else None
    if a.resume:
        if doc is None:
            raise InputError(str(ckpt), None, "--resume", "a checkpoint from an earlier `geese posterior` run")
        differ = [k for k in key if doc.get(k) != key[k]]
        if differ:
            what = ", ".join({"model_sha256": "model code", "wave_count": "waves"}.get(k, k) for k in differ)
            raise InputError(str(ckpt), "checkpoint", what,
                             "the same targets, free parameters, --scale, --seeds, --budget, --waves and model code "
                             "as the checkpointed run (use --restart to start over)")
        return doc["waves"]
    if doc is not None and not a.restart and all(doc.get(k) == key[k] for k in key):
        made = sum(len(w.get("results", [])) for w in doc["waves"])
        if made < a.budget:
            raise InputError(str(ckpt), None, f"{made} of {a.budget} parameter sets",
                             "no unfinished run of this command: add --resume to continue it, or --restart to "
                             "discard it")
    return []


def cmd_posterior(a: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..results import git_commit
    from .history import diagnostics, history_match, plot_posterior, to_json, waves_to_json, write_posterior
    from .loss import MODEL_FAILURES, simulate_candidates

    t = load_targets(a.targets)
    names = [fp.name for fp in t.free_parameters]
    out = Path(a.out)
    ckpt = out / CHECKPOINT
    sha = hashlib.sha256(Path(a.targets).read_bytes()).hexdigest()
    # "wave_count", not "waves": the checkpoint keeps the waves' designs and results under "waves" (the key
    # named "waves" was overwritten by them, so no checkpoint ever matched and --resume always refused)
    key = {"names": names, "scale": a.scale, "seeds": a.seeds, "targets_sha256": sha, "budget": a.budget,
           "wave_count": a.waves, "model_sha256": model_fingerprint()}
    saved = posterior_preflight(a, key)
    if saved:
        print(f"posterior: resuming from {ckpt} ({sum(len(w['results']) for w in saved)} of {a.budget} parameter "
              "sets made)", file=sys.stderr)
    elif ckpt.is_file():
        print(f"posterior: starting over; the checkpoint {ckpt} will be replaced", file=sys.stderr)
    bar = tqdm(total=a.budget, initial=sum(len(w["results"]) for w in saved), desc="posterior", unit="set",
               file=sys.stderr, disable=None)
    t0 = time.perf_counter()
    runs_before = sum(len(w["results"]) for w in saved)

    def on_batch(waves) -> None:
        n = sum(len(w.results) for w in waves)
        bar.update(n - bar.n)
        out.mkdir(parents=True, exist_ok=True)
        write_text_atomic(ckpt, json.dumps({**key, "waves": waves_to_json(waves)}))

    with ReplicatePool(a.workers or default_workers()) as pool:
        def simulate(cands):
            return simulate_candidates(pool, t, cands, a.scale, a.seeds, calibrated=False, tolerate=MODEL_FAILURES)

        try:
            hm = history_match(t, simulate, budget=a.budget, waves=a.waves, seeds=a.seeds, draws=a.draws,
                               checkpoint=saved, on_batch=on_batch, jobs=a.workers or default_workers(),
                               time_limit=None if a.minutes is None else 60.0 * a.minutes)
        except KeyboardInterrupt:
            bar.close()
            print("geese: posterior interrupted; calibration files untouched; continue with "
                  "`geese posterior --resume` (same options)", file=sys.stderr)
            return 130
    bar.close()
    wall = time.perf_counter() - t0
    new_runs = hm.runs() - runs_before
    diag = diagnostics(hm, t)
    diag.update({"date": dt.date.today().isoformat(), "scale": a.scale, "seeds": a.seeds, "budget": a.budget,
                 "git_commit": git_commit(), "wall_seconds_this_call": round(wall, 1),
                 "seconds_per_parameter_set": round(wall / max(new_runs, 1), 2) if new_runs else None,
                 "runs_resumed_from_checkpoint": runs_before,
                 "command": f"geese posterior --budget {a.budget} --waves {a.waves} --draws {a.draws} "
                            f"--scale {a.scale} --seeds {a.seeds}" + (f" --minutes {a.minutes:g}" if a.minutes else "")
                            + (" --force" if a.force else "")})
    out.mkdir(parents=True, exist_ok=True)
    write_posterior(out / "posterior.csv", hm)
    to_json(out / "posterior.json", diag)
    plot_posterior(out / "posterior.png", hm)
    mean = {n: float(f"{v:.6g}") for n, v in diag["posterior_mean"].items()}
    _write_params(out / "params.yaml", mean, {
        "method": "posterior mean (history matching; calibration/posterior.json)", "date": diag["date"],
        "budget": a.budget, "evaluations": hm.runs(), "draws": a.draws, "scale": a.scale, "seeds": a.seeds,
        "git_commit": diag["git_commit"], "wall_seconds": round(hm.wall_seconds, 1)})
    if hm.stopped_early:
        print(f"posterior: stopped by --minutes {a.minutes} after {hm.runs()} of {a.budget} parameter sets "
              "(a short-budget posterior; `geese posterior --resume` with the same options continues)")
    print(f"posterior: {hm.runs()} parameter sets x {a.seeds} seeds at scale {a.scale} in {len(hm.waves)} waves; "
          f"NROY share {diag['nroy_share_final']:.3g}; {a.draws} draws (ESS {diag['effective_sample_size']:.0f}, "
          f"split R-hat {diag['posterior_sampler'].get('split_rhat_max', float('nan')):.3g}: below 1.1 the chains "
          f"agree, see README)")
    for n in names:
        print(f"  {n:<44} mean {diag['posterior_mean'][n]:>9.4g}   90% [{diag['posterior_p05'][n]:.4g}, "
              f"{diag['posterior_p95'][n]:.4g}]")
    print(f"wrote {out / 'posterior.csv'}, posterior.json, posterior.png, params.yaml (posterior mean); "
          "next: `geese check`")
    return 0


def _write_params(path: Path, values: dict[str, float], fit: dict) -> None:
    import yaml

    text = ("# Calibrated parameters: the posterior mean written by `geese posterior` (or the point estimate of\n"
            "# `geese calibrate`); every `geese run` applies them on top of model/data/parameters.yaml.\n"
            "# `geese run --param-draws N` uses draws of calibration/posterior.csv instead.\n"
            + yaml.safe_dump({"fit": fit, "values": values}, sort_keys=False))
    write_text_atomic(path, text)


# ------------------------------------------------------------------------------------------- the others

def cmd_screen(a: argparse.Namespace) -> int:
    from .screening import screen_command

    return screen_command(a)


def cmd_convergence(a: argparse.Namespace) -> int:
    from .convergence import convergence_command

    return convergence_command(a)


def cmd_check(a: argparse.Namespace) -> int:
    from .validation import check_command

    return check_command(a)


COMMANDS = {"posterior": cmd_posterior, "screen": cmd_screen, "convergence": cmd_convergence, "check": cmd_check}
