"""The ``geese`` command line (also ``python -m model``).

    geese run SCENARIO... [--seeds N] [--scale P] [--workers N] [--out DIR] [--years A:B] [--scheduler URL]
              [--set KEY=VALUE ...] [--force]
    geese compare DIR DIR... [--metrics M ...] [--out DIR]
    geese validate SCENARIO... [--show]
    geese list [--params]
    geese calibrate [--budget N] [--workers N] [--scale P] [--seeds N] [--resume] [--force]
    geese targets [--scale P] [--seeds N]
    geese facts DIR...

User errors print one line (file, key path, bad value, what is allowed) and exit with status 2;
nothing is written. A SCENARIO is a file or the name of a shipped scenario (``geese run baseline``);
results go under ``./results/`` in the working directory. Bare ``geese`` prints this help. Failures of the environment (disk full, a dead worker) print one line and exit 1;
a broken model invariant or an unexpected error prints one line and exits 70 (``GEESE_DEBUG=1`` shows
the traceback). Ctrl-C and SIGTERM stop the run, its workers and its temporary folders, and exit 130
and 143. See README, "Guarantees".
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import warnings
from pathlib import Path

from .errors import GeeseError, InputError, Shown, short_repr

REPO = Path(__file__).resolve().parent.parent  # the checkout (meaningless in an installed wheel)
EXIT_USAGE = 2
EXIT_INTERNAL = 70
MAX_SEEDS = 10_000        # as the scenario schema
MAX_SEED = 2**63 - 1      # root seeds: 0 .. 2^63 - 1
MAX_BUDGET = 1_000_000
DEFAULT_CRITERION = "industrial_va_share:northeast:2035 >= industrial_va_share:northeast:2023"  # = explore.DEFAULT_CRITERION


class _Parser(argparse.ArgumentParser):
    argv: list[str] = []
    interrupt_note = ""

    def error(self, message: str) -> None:  # one line, no usage dump
        raise InputError("geese", None, " ".join(_Parser.argv) or "<no arguments>", message)


def _years(text: str) -> tuple[int, int]:
    from .scenario import FIRST_YEAR, HORIZON

    try:
        a, b = (int(x) for x in text.split(":"))
    except ValueError:
        raise InputError("--years", None, text, f"two years as START:END, e.g. {FIRST_YEAR}:{HORIZON}") from None
    if not FIRST_YEAR <= a < b <= HORIZON:
        raise InputError("--years", None, text, f"{FIRST_YEAR} <= START < END <= {HORIZON} (the data support "
                                                f"{FIRST_YEAR}-{HORIZON})")
    return a, b


def _bounded(name: str, lo: int, hi: int | None, what: str = "a positive whole number"):
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise InputError(name, None, text, what + (f" up to {hi:,}" if hi else "")) from None
        if v < lo or (hi is not None and v > hi):
            raise InputError(name, None, text, what + (f" up to {hi:,}" if hi else ""))
        return v
    return parse


def _positive(name: str):
    return _bounded(name, 1, None)


def build_parser() -> argparse.ArgumentParser:
    from .scenario import SCALES

    from . import __version__
    from .resources import in_checkout, shipped_dir

    calibration = shipped_dir("calibration")
    p = _Parser(prog="geese", description="flying-geese: regional industrial transfer scenarios for China, 2012-2035")
    p.add_argument("--version", action="version", version=f"geese (flying-geese) {__version__}")
    sub = p.add_subparsers(dest="command", required=False, parser_class=_Parser)

    r = sub.add_parser("run", help="run scenarios (files or shipped names) and write results/<name>/")
    r.add_argument("files", nargs="+", type=Path, metavar="SCENARIO",
                   help="a scenario file, or the name of a shipped scenario (`geese list`)")
    r.add_argument("--seeds", type=_bounded("--seeds", 1, MAX_SEEDS), help="replicates (default: the scenario's)")
    r.add_argument("--scale", choices=list(SCALES), help="agent scale (default: the scenario's)")
    r.add_argument("--workers", type=_positive("--workers"), default=None,
                   help="processes (default and cap: the usable cores)")
    r.add_argument("--out", type=Path, default=Path("results"),
                   help="output folder (default: results/ in the working directory)")
    r.add_argument("--years", type=_years, help="START:END (runs always start from the 2012 data)")
    r.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786")
    r.add_argument("--seed", type=_bounded("--seed", 0, MAX_SEED, "a whole number from 0"), default=None,
                   help="root seed (default 20120101)")
    r.add_argument("--no-plots", action="store_true", help="skip the PNGs")
    r.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="sets",
                   help="override one scenario key by its dotted path, e.g. levers.carbon_price.path.2030=300 or "
                        "params.talent.mobility_high=3 (checked by the scenario schema; repeatable)")
    r.add_argument("--force", action="store_true",
                   help="replace existing results even when their scale, seeds or root seed differ")
    r.add_argument("--param-draws", type=_positive("--param-draws"), default=None,
                   help="run N posterior draws (calibration/posterior.csv) x seeds: bands carry both uncertainties")

    c = sub.add_parser("compare", help="overlay scenario results and draw differences from the first")
    c.add_argument("dirs", nargs="+", type=Path)
    c.add_argument("--metrics", nargs="+")
    c.add_argument("--out", type=Path)

    v = sub.add_parser("validate", help="check scenario files without running them")
    v.add_argument("files", nargs="+", type=Path, metavar="SCENARIO")
    v.add_argument("--show", action="store_true", help="print the resolved scenario and what it changes in its base")

    ls = sub.add_parser("list", help="list scenarios, levers, metrics and regions")
    ls.add_argument("--params", action="store_true",
                    help="list every parameter with its unit, range, source and calibrated value")

    cal = sub.add_parser("calibrate", help="fit the free parameters to the targets (method of simulated moments)")
    cal.add_argument("--budget", type=_bounded("--budget", 1, MAX_BUDGET), default=200, help="model evaluations")
    cal.add_argument("--workers", type=_positive("--workers"), default=None)
    cal.add_argument("--scale", choices=list(SCALES), default=None,
                     help="agent scale (default: the committed fit's own scale)")
    cal.add_argument("--seeds", type=_bounded("--seeds", 1, MAX_SEEDS), default=None,
                     help="seeds per evaluation (default: the committed fit's own)")
    cal.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    cal.add_argument("--targets", type=Path, default=calibration / "targets.yaml")
    cal.add_argument("--out", type=Path, default=calibration if in_checkout() else Path("calibration"),
                     help="where params.yaml, report.md and fit.png go (default: the repository's calibration/; "
                          "installed: ./calibration)")
    cal.add_argument("--force", action="store_true", help="replace the committed fit (params.yaml) in --out")

    t = sub.add_parser("targets", help="run the baseline with the committed parameters and print the target table")
    t.add_argument("--scale", choices=list(SCALES), default="small")
    t.add_argument("--seeds", type=_bounded("--seeds", 1, MAX_SEEDS), default=4)
    t.add_argument("--workers", type=_positive("--workers"), default=None)
    t.add_argument("--targets", type=Path, default=calibration / "targets.yaml")
    t.add_argument("--params", type=Path, default=calibration / "params.yaml")
    sa = sub.add_parser("sensitivity", help="Morris screening or Sobol indices over parameter ranges (SALib)")
    sa.add_argument("scenario", nargs="?", default="baseline", metavar="SCENARIO",
                    help="a scenario file or shipped name (default baseline)")
    sa.add_argument("--method", choices=["morris", "sobol"], default="morris")
    sa.add_argument("--params", nargs="+", metavar="NAME",
                    help="parameters to vary over their ranges (default: the calibrated ones)")
    sa.add_argument("--outcomes", nargs="+", metavar="METRIC:REGION[:YEAR]",
                    default=["industrial_va_share:northeast", "gdp:national"],
                    help="outcomes (year default: the scenario's last)")
    sa.add_argument("--trajectories", type=_bounded("--trajectories", 2, 1000), default=10, help="Morris trajectories")
    sa.add_argument("--samples", type=_bounded("--samples", 2, 100_000), default=64,
                    help="Sobol base samples (a power of 2; N x (k + 2) runs)")
    sa.add_argument("--seeds", type=_bounded("--seeds", 1, MAX_SEEDS), default=1, help="seeds per point (common)")
    sa.add_argument("--scale", choices=list(SCALES), default="tiny")
    sa.add_argument("--workers", type=_positive("--workers"), default=None)
    sa.add_argument("--scheduler", help="Dask scheduler address")
    sa.add_argument("--out", type=Path, default=Path("results"), help="output folder (default: results/)")
    ex = sub.add_parser("explore", help="scenario discovery: levers x uncertainties (EMA Workbench), feature "
                                         "scores and the PRIM box where a success criterion holds")
    ex.add_argument("scenario", nargs="?", default="baseline", metavar="SCENARIO",
                    help="a scenario file or shipped name (default baseline)")
    ex.add_argument("--levers", nargs="*", metavar="KEY=LO:HI", default=None,
                    help="levers to sample: LEVER.REGION.FIELD=LO:HI (e.g. talent_incentive.northeast.wage_topup=0:0.3), "
                         "carbon_price.YEAR=LO:HI, or levers.<dotted key>=LO:HI (default: a northeast package; "
                         "give the option alone for none)")
    ex.add_argument("--uncertainties", nargs="*", metavar="NAME[=LO:HI]", default=None,
                    help="parameters to sample (default: the calibrated ones over their posterior 5-95 %% interval; "
                         "give the option alone for none)")
    ex.add_argument("--outcomes", nargs="+", metavar="METRIC:REGION[:YEAR]",
                    default=["industrial_va_share:northeast", "gdp:national"],
                    help="outcomes (year default: the last)")
    ex.add_argument("--criterion", default=DEFAULT_CRITERION, metavar="'OUTCOME OP OUTCOME|NUMBER'",
                    help=f"success criterion for PRIM, OP one of >= > <= < (default: '{DEFAULT_CRITERION}'; "
                         "'none' for no PRIM)")
    ex.add_argument("--scenarios", type=_bounded("--scenarios", 2, 10_000, "a whole number from 2"), default=None,
                    help="Latin hypercube samples of the uncertainties (default 16)")
    ex.add_argument("--policies", type=_bounded("--policies", 2, 10_000, "a whole number from 2"), default=None,
                    help="Latin hypercube samples of the levers (default 8); experiments = scenarios x policies")
    ex.add_argument("--lever-start", type=_bounded("--lever-start", 2013, 2035, "a year from 2013"), default=2025,
                    help="first year of a lever entry the scenario does not have (default 2025)")
    ex.add_argument("--min-density", type=float, default=0.8,
                    help="PRIM: choose the widest box whose density reaches this (default 0.8)")
    ex.add_argument("--seeds", type=_bounded("--seeds", 1, MAX_SEEDS), default=1, help="seeds per experiment (common)")
    ex.add_argument("--scale", choices=list(SCALES), default="tiny")
    ex.add_argument("--workers", type=_positive("--workers"), default=None)
    ex.add_argument("--scheduler", help="Dask scheduler address")
    ex.add_argument("--seed", type=_bounded("--seed", 0, MAX_SEED, "a whole number from 0"), default=None,
                    help="root seed of the replicates (default 20120101)")
    ex.add_argument("--out", type=Path, default=Path("results"), help="output folder (default: results/)")
    fa = sub.add_parser("facts", help="print the stylised facts of firm dynamics of a results folder, with bounds")
    fa.add_argument("dirs", nargs="+", type=Path)
    from .cli_calibration import add_parsers  # posterior, screen, convergence, check (issue 11)

    add_parsers(sub)
    return p


def _progress(total: int, desc: str):
    from tqdm import tqdm

    def wrap(it):
        return tqdm(it, total=total, desc=desc, unit="seed", file=sys.stderr, leave=False,
                    disable=None)
    return wrap


_PLACEHOLDERS = ("<parameters>", "<scenario>", "<params>", "<model>", "<dict>", None)


@contextlib.contextmanager
def _attributed(file: str | Path):
    """Errors the model raises about parameters name the scenario file they came from."""
    try:
        yield
    except InputError as exc:
        if exc.file in _PLACEHOLDERS:
            raise InputError(str(file), exc.key, exc.value, exc.allowed) from None
        raise


def preflight(sc, file: str | Path) -> None:
    """Build the scenario's 2012 state at scale tiny: whatever the model rejects is caught before any run."""
    from .guards import quiet_numerics
    from .model import FlyingGeeseModel

    with _attributed(file), quiet_numerics():
        try:
            FlyingGeeseModel(sc, seed=0, scale="tiny")  # with the calibration, as `geese run`
        except GeeseError:
            raise
        except (ArithmeticError, ValueError, RuntimeError, IndexError) as exc:
            raise InputError(str(file), "params", Shown("this combination of parameters"),
                             f"the model cannot build its 2012 state from it ({type(exc).__name__}: "
                             f"{short_repr(str(exc), 120)})") from None


def _warn_timing(f: Path, sc, suffix: str = "") -> None:
    from .scenario import timing_problems
    from .scenario_ops import early_changes

    for key, value, why, _ in timing_problems(sc):
        print(f"geese: warning: {f}: {key}: {short_repr(value)}: {why}{suffix}", file=sys.stderr)
    for key, year, why in early_changes(Path(f), sc):
        print(f"geese: warning: {f}: {key}: {year}: {why}", file=sys.stderr)


def _load_all(files: list[Path], warn: bool = True, unique: bool = True, sets: list[str] = ()):
    from .resources import find_scenario
    from .scenario import load_scenario
    from .scenario_ops import load_with_sets

    loaded, first_file = [], {}
    files[:] = [find_scenario(f, "SCENARIO") for f in files]  # a shipped scenario may be named instead of a path
    for f in files:  # validate everything before running anything
        sc = load_with_sets(f, list(sets)) if sets else load_scenario(f)
        if unique and sc.name in first_file:
            raise InputError(str(f), "name", sc.name, f"{first_file[sc.name]} has the same name; each scenario in "
                                                      "one command needs its own (it names the results folder)")
        first_file[sc.name] = str(f)
        loaded.append((f, sc))
    for f, sc in loaded if warn else ():  # only once every file is known to be valid
        _warn_timing(f, sc)
    return loaded


def cmd_run(a: argparse.Namespace) -> int:
    from .results import Output, write_run
    from .runner import DEFAULT_ROOT_SEED, cap_workers, check_scheduler, run_scenario
    loaded = _load_all(a.files, warn=not a.years, sets=a.sets)
    if a.years:
        loaded = [(f, sc.model_copy(update={"years": a.years})) for f, sc in loaded]
        for f, sc in loaded:
            _warn_timing(f, sc, f" with --years {a.years[0]}:{a.years[1]}")
    for f, sc in loaded:
        preflight(sc, f)
    if a.scheduler:
        check_scheduler(a.scheduler)
    workers = cap_workers(a.workers)
    root = a.seed if a.seed is not None else DEFAULT_ROOT_SEED
    _warn_uncalibrated()
    draws = None
    if a.param_draws:  # issue 11: posterior draws x seeds
        from .calibration.history import read_posterior
        from .parameters import PARAMS_FILE

        draws = read_posterior(PARAMS_FILE.parent / "posterior.csv", a.param_draws)
    with Output(a.out, [sc.name for _, sc in loaded], "run", inputs=list(a.files)) as output:
        if not a.force:  # under the lock, before any compute
            for _, sc in loaded:
                _check_rerun(output.targets[sc.name], a.scale or sc.scale, a.seeds or sc.seeds)
        try:
            for f, sc in loaded:
                seeds = a.seeds or sc.seeds
                with _attributed(f):
                    run = run_scenario(sc, seeds=seeds, scale=a.scale, workers=workers, scheduler=a.scheduler,
                                       root=root, draws=draws,
                                       progress=_progress(seeds * (len(draws) if draws else 1), sc.name))
                    target = write_run(run, a.out, also=None if a.no_plots else _draw_plots, output=output)
                print(f"{sc.name}: {seeds} seeds{f' x {len(draws)} posterior draws' if draws else ''} at scale "
                      f"{run.scale}, {run.wall_seconds:.1f} s -> {target}")
                if run.scale == "tiny":
                    print(f"{sc.name}: note: scale tiny is for smoke tests; its relocation dynamics are not converged "
                          "(README, 'Scale and convergence')")
        except KeyboardInterrupt:
            _interrupted_after(output.written)
            raise
    return 0


def _check_rerun(target: Path, scale: str, seeds: int) -> None:
    """Refuse to replace results of another scale or seed count unless --force (another root seed is a
    deliberate new draw of the same experiment and replaces them, as before)."""
    try:
        doc = _read_manifest(target) if target.is_dir() else None
    except (InputError, OSError):
        return  # not ours to judge here; Output refuses foreign folders
    if not doc or not isinstance(doc.get("seeds"), dict):
        return
    old = (doc.get("scale"), doc["seeds"].get("count"))
    if old != (scale, seeds):
        raise InputError("--force", None, str(target),
                         f"it holds results at scale {old[0]} with {old[1]} seeds, this run is scale {scale} with "
                         f"{seeds} seeds; add --force to replace them, or choose another --out")


def _warn_uncalibrated() -> None:
    from .parameters import CALIBRATION_SOURCE, PARAMS_FILE
    from .resources import CALIBRATION_ENV, calibration_note

    if CALIBRATION_SOURCE == CALIBRATION_ENV and not PARAMS_FILE.is_file():
        raise InputError(CALIBRATION_ENV, None, str(PARAMS_FILE), "a calibration file (params.yaml) or a folder "
                                                                 "holding one")
    note = calibration_note()
    if note and PARAMS_FILE.is_file():
        print(note, file=sys.stderr)
    if not PARAMS_FILE.is_file():
        print(f"geese: WARNING: no calibration found at {PARAMS_FILE}; running with the UNCALIBRATED defaults "
              "(the manifest records calibration.applied = false)", file=sys.stderr)


def _interrupted_after(written: list[Path]) -> None:
    if written:
        _Parser.interrupt_note = f"; already complete: {', '.join(str(w) for w in written)}"


def _draw_plots(folder: Path) -> None:
    from .plots import plot_run

    plot_run(folder, folder / "plots")


def _read_manifest(d: Path) -> dict | None:
    import json

    from .yamlio import read_bytes

    path = d / "manifest.json"
    if not path.exists():
        return None
    raw = read_bytes(path)
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(str(path), None, Shown("its contents"), f"valid JSON written by `geese run` ({exc})") from None
    if not isinstance(doc, dict):
        raise InputError(str(path), None, type(doc).__name__, "a JSON object written by `geese run`")
    return doc


def _compare_name(names: list[str]) -> str:
    from .scenario import NAME_PATTERN
    import re

    full = "compare-" + "-vs-".join(names)
    if re.fullmatch(NAME_PATTERN, full):
        return full
    short = f"compare-{names[0][:32]}-and-{len(names) - 1}-more"
    return short if re.fullmatch(NAME_PATTERN, short) else "compare"


def cmd_compare(a: argparse.Namespace) -> int:
    import json

    from .plots import plot_compare
    from .results import Output, check_name, git_commit
    from . import __version__

    names = []
    for d in a.dirs:
        if not (d / "summary.csv").is_file():
            raise InputError(str(d), None, str(d), "a results folder with summary.csv (run `geese run` first)")
        doc = _read_manifest(d)
        if doc is None:
            names.append(check_name(Path(os.path.abspath(d)).name, str(d), key="folder name"))
        else:
            names.append(check_name(doc.get("name"), str(d / "manifest.json")))
    if a.metrics:
        from .recorder import METRICS
        from .errors import did_you_mean

        for m in a.metrics:
            if m not in METRICS:
                raise InputError("--metrics", None, m, "a metric from `geese list`" + did_you_mean(m, METRICS))
    if a.out is not None:
        out = Path(os.path.abspath(a.out))
        if out.name in ("", ".", ".."):
            raise InputError("--out", None, str(a.out), "a folder to create or replace, not the root")
    else:
        out = Path(os.path.abspath(a.dirs[0])).parent / _compare_name(names)

    def fill(tmp: Path) -> None:
        try:
            plot_compare(list(a.dirs), a.metrics, tmp)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise InputError(str(a.dirs[0]), None, Shown("results"), short_repr(str(exc), 300)) from None
        doc = {"kind": "compare", "inputs": [str(d) for d in a.dirs], "names": names, "metrics": a.metrics,
               "package_version": __version__, "git_commit": git_commit()}
        (tmp / "manifest.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")

    with Output(out.parent, [out.name], "compare", inputs=list(a.dirs), check_names=a.out is None) as output:
        output.write(out.name, fill)
    print(f"compared {', '.join(names)} -> {out}")
    from .calibration.accounting import per_yuan_from_results  # issue 11: effect per yuan, paired seed bands

    for d in a.dirs[1:]:
        text = per_yuan_from_results(a.dirs[0], d)
        if text:
            print(text)
    return 0


def cmd_validate(a: argparse.Namespace) -> int:
    loaded = _load_all(a.files, unique=False)
    for f, sc in loaded:
        preflight(sc, f)
        print(f"{f}: ok ({sc.name}, {sc.years[0]}-{sc.years[1]}, {sc.seeds} seeds, scale {sc.scale})")
        if a.show:
            _show(Path(f), sc)
    return 0


def _show(f: Path, sc) -> None:
    """The resolved scenario as YAML, and what it changes in its base."""
    import yaml

    from .scenario import load_scenario
    from .scenario_ops import base_file, differences

    print("# resolved (with its bases merged in, defaults filled in)")
    doc = sc.model_dump(mode="json", by_alias=True, exclude={"base"})
    cp = (doc.get("levers") or {}).get("carbon_price")
    if isinstance(cp, dict) and isinstance(cp.get("path"), dict):
        cp["path"] = {int(y): v for y, v in cp["path"].items()}  # years, as in the file
    print(yaml.safe_dump(doc, sort_keys=False, width=110, default_flow_style=None).rstrip())
    bf = base_file(f)
    if bf is None:
        print("# no base: every key above is the scenario's own or a default")
        return
    diff = differences(load_scenario(bf), sc)
    print(f"# difference from its base {bf.stem} ({bf}): {len(diff)} key(s)")
    for key, old, new in diff:
        print(f"  {key}: {short_repr(old, 80)} -> {short_repr(new, 80)}")


def cmd_list(a: argparse.Namespace) -> int:
    from .recorder import METRICS
    from .regions import load_region_data
    from .scenario import SCALES, SCENARIO_DIR, Levers, load_scenario
    from . import SECTORS

    if a.params:
        return _list_params()
    print(f"Scenarios ({SCENARIO_DIR}; name them instead of a path, e.g. `geese run baseline`):")
    for f in sorted(SCENARIO_DIR.glob("*.yaml")):
        sc = load_scenario(f)
        print(f"  {sc.name:<24} {sc.description}")
    print("\nLevers (units; ranges):")
    for name, field in Levers.model_fields.items():
        ann = field.annotation
        model = getattr(ann, "__args__", (ann,))[0]
        print(f"  {name}: {(model.__doc__ or '').strip().splitlines()[0]}")
        for fname, f in model.model_fields.items():
            if f.description:
                rng = ""
                for m in f.metadata:
                    lo, hi = getattr(m, "ge", None), getattr(m, "le", None)
                    rng += f" >= {lo}" if lo is not None else ""
                    rng += f" <= {hi}" if hi is not None else ""
                print(f"      {f.alias or fname:<18} {f.description}{';' + rng if rng else ''}")
    print("\nMetrics (unit):")
    for m, (unit, meaning) in METRICS.items():
        print(f"  {m:<26} {unit:<24} {meaning}")
    print("\nRegions: " + ", ".join(load_region_data().names))
    print("Sectors: " + ", ".join(SECTORS))
    print("Scales:  " + ", ".join(f"{k} ({f:,} firms, {t:,} talent)" for k, (f, t) in SCALES.items()))
    return 0


def _list_params() -> int:
    """Every parameter: name, value in use (calibrated when the fit sets it), unit, range, source."""
    from .parameters import PARAMS_FILE, _flatten, calibrated_overrides, default_specs

    cal = calibrated_overrides() if PARAMS_FILE.is_file() else {}
    specs = default_specs()
    print(f"{len(specs)} parameters (model/data/parameters.yaml); 'calibrated' is the value in {PARAMS_FILE.name} "
          f"({len(cal)} fitted), '-' when the default is used")
    print(f"{'name':<46} {'default':>11} {'calibrated':>11}  {'unit':<22} {'range':<24} source")
    for group, spec in specs.items():
        lo, hi = spec.range
        for name, value in _flatten(group, spec).items():
            c = f"{cal[name]:.6g}" if name in cal else "-"
            print(f"{name:<46} {value:>11.6g} {c:>11}  {spec.unit:<22} {f'[{lo:g}, {hi:g}]':<24} {spec.source}")
    return 0


def cmd_calibrate(a: argparse.Namespace) -> int:
    from .calibration import calibrate
    from .parameters import PARAMS_FILE, read_params_file
    from .runner import cap_workers

    from .resources import shipped_dir

    fit = read_params_file(PARAMS_FILE).get("fit", {}) if PARAMS_FILE.is_file() else {}
    ckpt = _checkpoint_shape(Path(a.out) / ".checkpoint.json") if a.resume else {}
    if a.scale is None:  # a resumed search keeps its own scale and seeds; a new one uses the fit's
        a.scale = ckpt.get("scale") or fit.get("scale", "small")
    if a.seeds is None:
        a.seeds = ckpt.get("seeds") or int(fit.get("seeds", 2))
    target = Path(a.out) / "params.yaml"
    committed = shipped_dir("calibration") / "params.yaml"
    if target.exists() and not a.force and os.path.realpath(target) == os.path.realpath(committed):
        raise InputError("--force", None, str(target), "it is the committed fit; add --force to replace it, or "
                                                       "write elsewhere with --out DIR")
    if a.workers is not None:
        a.workers = cap_workers(a.workers)
    return calibrate(a)


def _checkpoint_shape(path: Path) -> dict:
    """scale and seeds of a calibration checkpoint, when it is readable (the resume checks it fully)."""
    import json

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    if not isinstance(doc, dict):
        return {}
    from .scenario import SCALES

    out = {}
    if doc.get("scale") in SCALES:
        out["scale"] = doc["scale"]
    if isinstance(doc.get("seeds"), int) and not isinstance(doc.get("seeds"), bool) and 1 <= doc["seeds"] <= MAX_SEEDS:
        out["seeds"] = doc["seeds"]
    return out


def cmd_targets(a: argparse.Namespace) -> int:
    from .calibration import targets_command
    from .runner import cap_workers

    if a.workers is not None:
        a.workers = cap_workers(a.workers)
    return targets_command(a)


def cmd_sensitivity(a: argparse.Namespace) -> int:
    """`geese sensitivity`: indices.csv, samples.csv, tornado.png and manifest.json in results/sensitivity-..."""
    import json

    from . import __version__
    from .parameters import PARAMS_FILE, calibrated_overrides
    from .results import Output, git_commit
    from .runner import ReplicatePool, cap_workers, check_scheduler

    try:
        from . import sensitivity as sa
    except ImportError:
        raise InputError("sensitivity", None, "SALib", "install it: pip install 'flying-geese[analysis]'") from None
    try:
        import SALib  # noqa: F401
    except ImportError:
        raise InputError("sensitivity", None, "SALib", "install it: pip install 'flying-geese[analysis]'") from None
    (f, sc), = _load_all([a.scenario], warn=False)
    names = a.params or (sorted(calibrated_overrides()) if PARAMS_FILE.is_file() else [])  # default: the fitted ones
    prob = sa.problem(names or [])
    outcomes = [sa.parse_outcome(o) for o in a.outcomes]
    for o in outcomes:
        if o.year is not None and not sc.first_year < o.year <= sc.last_year:
            raise InputError("--outcomes", None, o.label(sc.last_year), f"a year the scenario simulates, "
                                                                         f"{sc.first_year + 1} to {sc.last_year}")
    if all(o.year is not None for o in outcomes):  # the model is causal: stop at the last year asked about
        sc = sc.model_copy(update={"years": (sc.first_year, max(o.year for o in outcomes))})
    if a.method == "sobol" and a.samples & (a.samples - 1):
        raise InputError("--samples", None, a.samples, "a power of 2 (Sobol sequences), e.g. 64")
    if a.scheduler:
        check_scheduler(a.scheduler)
    n_points = (a.trajectories * (prob["num_vars"] + 1) if a.method == "morris"
                else a.samples * (prob["num_vars"] + 2))
    name = f"sensitivity-{sc.name}-{a.method}"[:64]
    with Output(a.out, [name], "sensitivity", inputs=[f]) as output:
        def fill(tmp: Path) -> None:
            import time

            t0 = time.perf_counter()
            with ReplicatePool(cap_workers(a.workers), a.scheduler) as pool:
                run = sa.morris if a.method == "morris" else sa.sobol
                size = {"trajectories": a.trajectories} if a.method == "morris" else {"samples": a.samples}
                table, x, y = run(sc, names, outcomes, pool, seeds=a.seeds, scale=a.scale,
                                  progress=_progress(n_points * a.seeds, a.method), **size)
            table.to_csv(tmp / "indices.csv", index=False, float_format="%.8g")
            labels = [o.label(sc.last_year) for o in outcomes]
            samples = pd.DataFrame(x, columns=names).assign(**{lab: y[:, j] for j, lab in enumerate(labels)})
            samples.to_csv(tmp / "samples.csv", index=False, float_format="%.8g")
            sa.tornado(table, a.method, f"{'Morris screening' if a.method == 'morris' else 'Sobol indices'} — "
                       f"{sc.name}, {n_points} points x {a.seeds} seed(s) at scale {a.scale}", tmp / "tornado.png")
            doc = {"kind": "sensitivity", "name": name, "scenario": sc.model_dump(mode="json", by_alias=True),
                   "method": a.method, "parameters": sa.problem(names), "outcomes": labels, "points": n_points,
                   "seeds": a.seeds, "scale": a.scale, "package_version": __version__, "git_commit": git_commit(),
                   "wall_seconds": round(time.perf_counter() - t0, 3)}
            (tmp / "manifest.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")

        import pandas as pd

        target = output.write(name, fill)
    print(f"{a.method}: {len(names)} parameters x {len(outcomes)} outcomes, {n_points} points x {a.seeds} seed(s) "
          f"-> {target}")
    return 0


def cmd_explore(a: argparse.Namespace) -> int:
    """`geese explore`: experiments.csv, feature_scores.csv, prim_*.csv, figures and manifest.json in
    results/explore-<scenario>/ (model/explore.py)."""
    import json
    import time

    from . import __version__
    from . import explore as xp
    from .plots import explore as xplots
    from .results import Output, git_commit
    from .runner import DEFAULT_ROOT_SEED, ReplicatePool, cap_workers, check_scheduler

    plan = xp.prepare(a.scenario, a.levers, a.uncertainties, a.outcomes, a.criterion, a.scenarios, a.policies,
                      a.seeds, a.scale, a.lever_start, a.min_density)
    _warn_uncalibrated()
    f, sc, crit, levers, uncs = plan.file, plan.scenario, plan.criterion, plan.levers, plan.uncertainties
    n_s, n_p = plan.n_scenarios, plan.n_policies
    if a.workers is not None:
        a.workers = cap_workers(a.workers)
    if a.scheduler:
        check_scheduler(a.scheduler)
    root = a.seed if a.seed is not None else DEFAULT_ROOT_SEED
    name = f"explore-{sc.name}"[:64]
    n_runs = plan.runs
    with Output(a.out, [name], "explore", inputs=[Path(f)]) as output:
        def fill(tmp: Path) -> None:
            t0 = time.perf_counter()
            with ReplicatePool(cap_workers(a.workers), a.scheduler) as pool:
                res = plan.execute(pool, root, progress=_progress(n_runs, "explore"))
            failed = int(res.experiments["failed"].sum())
            if failed == len(res.experiments):
                from .errors import RunError

                raise RunError(f"every one of the {failed} experiments failed in the model; nothing was written; "
                               "narrow the ranges (see inputs in `geese list --params`)")
            res.experiments.to_csv(tmp / "experiments.csv", index=False, float_format="%.8g")
            res.inputs.to_csv(tmp / "inputs.csv", index=False, float_format="%.8g")
            head = f"{sc.name}: {len(res.experiments)} experiments x {a.seeds} seed(s) at scale {a.scale}"
            if res.scores is not None:
                res.scores.to_csv(tmp / "feature_scores.csv", float_format="%.6g")
                xplots.feature_scores(res.scores, f"Feature scores (extra trees) — {head}", tmp / "feature_scores.png")
            if res.trajectory is not None:
                res.trajectory.to_csv(tmp / "prim_trajectory.csv", index=False, float_format="%.6g")
                res.box.to_csv(tmp / "prim_box.csv", index=False, float_format="%.8g")
                xplots.prim_tradeoff(res.trajectory, crit.text, tmp / "prim_tradeoff.png")
                xplots.prim_box(res.box, res.box_stats, crit.text, tmp / "prim_box.png")
            xplots.outcomes(res.experiments, res.scores, res.outcome_labels, crit.text if crit else None,
                            tmp / "outcomes.png")
            doc_out = {"kind": "explore", "name": name, "scenario": sc.model_dump(mode="json", by_alias=True),
                       "inputs": res.inputs.to_dict(orient="records"), "outcomes": res.outcome_labels,
                       "criterion": crit.text if crit else None, "prim": res.box_stats,
                       "design": {"sampler": "Latin hypercube (EMA Workbench)", "uncertainty_samples": n_s,
                                  "lever_samples": n_p, "combine": "full factorial", "sample_rng": [0, 1],
                                  "experiments": len(res.experiments), "failed": failed},
                       "seeds": {"root": root, "count": a.seeds,
                                 "method": "every experiment runs replicates 0..count-1 of the root seed"},
                       "scale": a.scale, "calibration": _calibration_note(),
                       "package_version": __version__, "git_commit": git_commit(),
                       "wall_seconds": round(time.perf_counter() - t0, 3)}
            (tmp / "manifest.json").write_text(json.dumps(doc_out, indent=2, default=float) + "\n", encoding="utf-8")
            fill.summary = (res, failed)

        target = output.write(name, fill)
    res, failed = fill.summary
    stats = res.box_stats
    print(f"explore: {len(levers)} levers x {len(uncs)} uncertainties, {len(res.experiments)} experiments x "
          f"{a.seeds} seed(s) at scale {a.scale}{f', {failed} failed' if failed else ''} -> {target}")
    if crit is not None:
        if "coverage" in stats:
            print(f"criterion met in {stats['cases_of_interest']} of {stats['experiments']}; PRIM box: coverage "
                  f"{stats['coverage']:.2f}, density {stats['density']:.2f}, limits "
                  + "; ".join(f"{r.dimension} in [{r.box_min:.3g}, {r.box_max:.3g}]" for r in res.box.itertuples()))
        else:
            print(f"criterion: {stats.get('note', 'too few experiments for PRIM')}")
    if a.scale == "tiny":
        print("explore: note: scale tiny is for smoke tests; its relocation dynamics are not converged "
              "(README, 'Scale and convergence')")
    return 0


def _calibration_note() -> dict:
    from .runner import calibration_record

    return calibration_record(True)


def cmd_facts(a: argparse.Namespace) -> int:
    from .facts import facts_report

    for d in a.dirs:
        if not (d / "timeseries.csv").is_file():
            raise InputError(str(d), None, str(d), "a results folder with timeseries.csv (run `geese run` first)")
    for d in a.dirs:
        try:
            text, _ = facts_report(d)
        except ValueError as exc:
            raise InputError(str(d), None, "timeseries.csv", str(exc)) from None
        print(text)
    return 0


COMMANDS = {"run": cmd_run, "compare": cmd_compare, "validate": cmd_validate, "list": cmd_list,
            "calibrate": cmd_calibrate, "targets": cmd_targets, "facts": cmd_facts, "sensitivity": cmd_sensitivity, "explore": cmd_explore}
COMMANDS.update(__import__("model.cli_calibration", fromlist=["COMMANDS"]).COMMANDS)


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C."""


_SIGTERM_SEEN: list[bool] = []


def _on_sigterm(signum, frame):
    _SIGTERM_SEEN.append(True)
    raise Terminated()


@contextlib.contextmanager
def _sigterm_as_interrupt():
    try:
        old = signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError):  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def entry() -> None:
    """The ``geese`` program (console script and ``python -m model``): ``main``, then exit with its status.

    Once ``main`` has returned, the work is done and the status decided, so a late Ctrl-C or SIGTERM is
    ignored from then on. Otherwise a signal landing during interpreter shutdown would kill the process by
    that signal (exit -2 or -15) after it has already finished: CPython resets Python-level handlers to the
    default action when it finalises, and our SIGTERM handler is gone once ``main`` returns."""
    try:
        status = main()
    except KeyboardInterrupt as exc:  # after main's own handler (between its return and here)
        status = 143 if isinstance(exc, Terminated) else 130
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError, OSError):  # not the main thread
                signal.signal(sig, signal.SIG_IGN)
    sys.exit(status)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _Parser.argv = argv
    _Parser.interrupt_note = ""
    _SIGTERM_SEEN.clear()
    try:
        with _sigterm_as_interrupt(), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # numeric results are checked by the guards
            parser = build_parser()
            args = parser.parse_args(argv)
            if args.command is None:  # bare `geese`
                parser.print_help()
                return 0
            return COMMANDS[args.command](args)
    except GeeseError as exc:
        print(f"geese: error: {exc.one_line()}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt as exc:
        what = "terminated" if isinstance(exc, Terminated) else "interrupted"
        note = _Parser.interrupt_note or "; nothing was written"
        print(f"geese: {what}; workers stopped, partial results removed{note}", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130
    except BrokenPipeError:  # e.g. `geese list | head`
        with contextlib.suppress(OSError):
            sys.stderr.close()
        return 0
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
    except asyncio.CancelledError:  # a Dask future cancelled under us (the scheduler went away)
        print("geese: error: the Dask cluster cancelled the run (did the scheduler or its workers stop?)",
              file=sys.stderr)
        return 1
    except MemoryError:
        print("geese: error: out of memory; try a smaller --scale or fewer --workers", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, never a traceback
        if _SIGTERM_SEEN:  # SIGTERM landed inside an import of a C extension, which reports it as ImportError
            note = _Parser.interrupt_note or "; nothing was written"
            print(f"geese: terminated; workers stopped, partial results removed{note}", file=sys.stderr)
            return 143
        if os.environ.get("GEESE_DEBUG"):
            raise
        print(f"geese: internal error: {type(exc).__name__}: {short_repr(str(exc), 300)} (a bug; please report "
              "it with the command line; GEESE_DEBUG=1 shows the traceback)", file=sys.stderr)
        return EXIT_INTERNAL
