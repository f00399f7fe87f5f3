"""The ``geese`` command line (also ``python -m model``).

    geese run FILE... [--seeds N] [--scale P] [--workers N] [--out DIR] [--years A:B] [--scheduler URL]
    geese compare DIR DIR... [--metrics M ...] [--out DIR]
    geese validate FILE...
    geese list
    geese calibrate [--budget N] [--workers N] [--scale P] [--seeds N] [--resume]
    geese targets [--scale P] [--seeds N]
    geese facts DIR...

User errors print one line (file, key path, bad value, what is allowed) and exit with status 2;
nothing is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import InputError

REPO = Path(__file__).resolve().parent.parent
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    argv: list[str] = []

    def error(self, message: str) -> None:  # one line, no usage dump
        raise InputError("geese", None, " ".join(_Parser.argv) or "<no arguments>", message)


def _years(text: str) -> tuple[int, int]:
    try:
        a, b = (int(x) for x in text.split(":"))
    except ValueError:
        raise InputError("--years", None, text, "two years as START:END, e.g. 2012:2035") from None
    if not 2012 <= a < b <= 2100:
        raise InputError("--years", None, text, "2012 <= START < END <= 2100")
    return a, b


def _positive(name: str):
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise InputError(name, None, text, "a positive whole number") from None
        if v < 1:
            raise InputError(name, None, text, "a positive whole number")
        return v
    return parse


def build_parser() -> argparse.ArgumentParser:
    from .scenario import SCALES

    p = _Parser(prog="geese", description="flying-geese: regional industrial transfer scenarios for China, 2012-2035")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("run", help="run scenario files and write results/<name>/")
    r.add_argument("files", nargs="+", type=Path)
    r.add_argument("--seeds", type=_positive("--seeds"), help="replicates (default: the scenario's)")
    r.add_argument("--scale", choices=list(SCALES), help="agent scale (default: the scenario's)")
    r.add_argument("--workers", type=_positive("--workers"), default=None, help="processes (default: cores)")
    r.add_argument("--out", type=Path, default=REPO / "results", help="output folder (default: results/)")
    r.add_argument("--years", type=_years, help="START:END (runs always start from the 2012 data)")
    r.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786")
    r.add_argument("--seed", type=int, default=None, help="root seed (default 20120101)")
    r.add_argument("--no-plots", action="store_true", help="skip the PNGs")

    c = sub.add_parser("compare", help="overlay scenario results and draw differences from the first")
    c.add_argument("dirs", nargs="+", type=Path)
    c.add_argument("--metrics", nargs="+")
    c.add_argument("--out", type=Path)

    v = sub.add_parser("validate", help="check scenario files without running them")
    v.add_argument("files", nargs="+", type=Path)

    sub.add_parser("list", help="list scenarios, levers, metrics and regions")

    cal = sub.add_parser("calibrate", help="fit the free parameters to the targets (method of simulated moments)")
    cal.add_argument("--budget", type=_positive("--budget"), default=200, help="model evaluations")
    cal.add_argument("--workers", type=_positive("--workers"), default=None)
    cal.add_argument("--scale", choices=list(SCALES), default="tiny")
    cal.add_argument("--seeds", type=_positive("--seeds"), default=2)
    cal.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    cal.add_argument("--targets", type=Path, default=REPO / "calibration" / "targets.yaml")
    cal.add_argument("--out", type=Path, default=REPO / "calibration")

    t = sub.add_parser("targets", help="run the baseline with the committed parameters and print the target table")
    t.add_argument("--scale", choices=list(SCALES), default="small")
    t.add_argument("--seeds", type=_positive("--seeds"), default=4)
    t.add_argument("--workers", type=_positive("--workers"), default=None)
    t.add_argument("--targets", type=Path, default=REPO / "calibration" / "targets.yaml")
    t.add_argument("--params", type=Path, default=REPO / "calibration" / "params.yaml")
    fa = sub.add_parser("facts", help="print the stylised facts of firm dynamics of a results folder, with bounds")
    fa.add_argument("dirs", nargs="+", type=Path)
    return p


def _progress(total: int, desc: str):
    from tqdm import tqdm

    def wrap(it):
        return tqdm(it, total=total, desc=desc, unit="seed", file=sys.stderr, leave=False,
                    disable=None)
    return wrap


def cmd_run(a: argparse.Namespace) -> int:
    from .results import safe_target, write_run
    from .runner import DEFAULT_ROOT_SEED, default_workers, run_scenario
    from .scenario import load_scenario

    scenarios = [load_scenario(f) for f in a.files]  # validate everything before running anything
    for sc in scenarios:
        safe_target(a.out, sc.name)
    for sc in scenarios:
        if a.years:
            sc = sc.model_copy(update={"years": a.years})
        seeds = a.seeds or sc.seeds
        workers = a.workers or default_workers()
        run = run_scenario(sc, seeds=seeds, scale=a.scale, workers=workers, scheduler=a.scheduler,
                           root=a.seed if a.seed is not None else DEFAULT_ROOT_SEED, progress=_progress(seeds, sc.name))
        target = write_run(run, a.out, also=None if a.no_plots else _draw_plots)
        print(f"{sc.name}: {seeds} seeds at scale {run.scale}, {run.wall_seconds:.1f} s -> {target}")
        if run.scale == "tiny":
            print(f"{sc.name}: note: scale tiny is for smoke tests; its relocation dynamics are not converged "
                  "(README, 'Scale and convergence')")
    return 0


def _draw_plots(folder: Path) -> None:
    from .plots import plot_run

    plot_run(folder, folder / "plots")


def cmd_compare(a: argparse.Namespace) -> int:
    import json

    from .plots import plot_compare
    from .results import atomic_dir

    for d in a.dirs:
        if not (d / "summary.csv").is_file():
            raise InputError(str(d), None, str(d), "a results folder with summary.csv (run `geese run` first)")
    names = [json.loads((d / "manifest.json").read_text())["name"] if (d / "manifest.json").is_file() else d.name
             for d in a.dirs]
    out = a.out or (a.dirs[0].parent / ("compare-" + "-vs-".join(names)))
    if a.metrics:
        from .recorder import METRICS
        from .errors import did_you_mean

        for m in a.metrics:
            if m not in METRICS:
                raise InputError("--metrics", None, m, "a metric from `geese list`" + did_you_mean(m, METRICS))
    try:
        with atomic_dir(out.resolve()) as tmp:
            plot_compare(list(a.dirs), a.metrics, tmp)
    except ValueError as exc:
        raise InputError(str(a.dirs[0]), None, "results", str(exc)) from None
    print(f"compared {', '.join(names)} -> {out}")
    return 0


def cmd_validate(a: argparse.Namespace) -> int:
    from .scenario import load_scenario

    for f in a.files:
        sc = load_scenario(f)
        print(f"{f}: ok ({sc.name}, {sc.years[0]}-{sc.years[1]}, {sc.seeds} seeds, scale {sc.scale})")
    return 0


def cmd_list(_: argparse.Namespace) -> int:
    from .recorder import METRICS
    from .regions import load_region_data
    from .scenario import SCALES, SCENARIO_DIR, Levers, load_scenario
    from . import SECTORS

    print("Scenarios (scenarios/):")
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


def cmd_calibrate(a: argparse.Namespace) -> int:
    from .calibration import calibrate

    return calibrate(a)


def cmd_targets(a: argparse.Namespace) -> int:
    from .calibration import targets_command

    return targets_command(a)


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
            "calibrate": cmd_calibrate, "targets": cmd_targets, "facts": cmd_facts}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _Parser.argv = argv
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except InputError as exc:
        print(f"geese: error: {exc.one_line()}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("geese: interrupted; nothing was written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `geese list | head`
        sys.stderr.close()
        return 0
