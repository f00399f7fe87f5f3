"""Options of the calibration commands (issue 11), kept apart from ``model/cli.py`` and light to import:
`geese posterior`, `geese screen`, `geese convergence`, `geese check`. The commands themselves live in
``model.calibration.commands`` and are imported only when one runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from .errors import InputError

# the repository's calibration/ in a checkout; installed, ./calibration (never into site-packages), which
# `geese run` then applies (resources.calibration_file)
CAL_DIR = (Path(__file__).resolve().parent.parent / "calibration" if (Path(__file__).resolve().parent.parent /
           "pyproject.toml").is_file() else Path("calibration"))
NAMES = ("posterior", "screen", "convergence", "check")


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


def add_parsers(sub) -> None:
    from .scenario import SCALES

    p = sub.add_parser("posterior", help="posterior sample of the free parameters (history matching, GP emulators)")
    p.add_argument("--budget", type=_positive("--budget"), default=400, help="parameter sets run (each x seeds)")
    p.add_argument("--waves", type=_positive("--waves"), default=3)
    p.add_argument("--draws", type=_positive("--draws"), default=200, help="posterior draws written")
    p.add_argument("--scale", choices=list(SCALES), default="small")
    p.add_argument("--seeds", type=_positive("--seeds"), default=4)
    p.add_argument("--workers", type=_positive("--workers"), default=None)
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint (same command otherwise)")
    p.add_argument("--restart", action="store_true", help="discard an unfinished checkpoint and start over")
    p.add_argument("--force", action="store_true",
                   help="replace the committed fit (calibration/params.yaml and posterior.*) in --out")
    p.add_argument("--minutes", type=float, default=None,
                   help="time limit: no new batch after it; the waves done make the posterior (recorded)")
    p.add_argument("--targets", type=Path, default=CAL_DIR / "targets.yaml")
    p.add_argument("--out", type=Path, default=CAL_DIR)

    s = sub.add_parser("screen", help="Morris screening of the candidate parameters against every moment (SALib)")
    s.add_argument("--trajectories", type=_positive("--trajectories"), default=6)
    s.add_argument("--scale", choices=list(SCALES), default="small")
    s.add_argument("--seeds", type=_positive("--seeds"), default=2)
    s.add_argument("--workers", type=_positive("--workers"), default=None)
    s.add_argument("--targets", type=Path, default=CAL_DIR / "targets.yaml")
    s.add_argument("--out", type=Path, default=CAL_DIR)
    s.add_argument("--runs", type=Path, default=None,
                   help="analyse the design and runs of an earlier screening (screening_runs.npz) again, without simulating")
    s.add_argument("--all-calibrated", action="store_true",
                   help="screen every parameter whose source says 'calibrated', not only the free ones")
    s.add_argument("--update-targets", action="store_true",
                   help="rewrite free_parameters/fixed_parameters of the targets file from the screening")
    s.add_argument("--max-free", type=_positive("--max-free"), default=10,
                   help="at most this many free parameters (largest mu* first)")

    c = sub.add_parser("convergence", help="2030 shares and moments at several scales; the smallest that agrees with full")
    c.add_argument("--scales", nargs="+", choices=list(SCALES), default=["small", "medium", "full"])
    c.add_argument("--seeds", type=_positive("--seeds"), default=4)
    c.add_argument("--workers", type=_positive("--workers"), default=None)
    c.add_argument("--targets", type=Path, default=CAL_DIR / "targets.yaml")
    c.add_argument("--out", type=Path, default=CAL_DIR)

    k = sub.add_parser("check", help="the validation report: every moment, requirement and fact, pass or miss")
    k.add_argument("--scale", choices=list(SCALES), default="small")
    k.add_argument("--seeds", type=_positive("--seeds"), default=4)
    k.add_argument("--param-draws", type=int, default=8, help="posterior draws for the bands (0: seeds only)")
    k.add_argument("--workers", type=_positive("--workers"), default=None)
    k.add_argument("--targets", type=Path, default=CAL_DIR / "targets.yaml")
    k.add_argument("--params", type=Path, default=CAL_DIR / "params.yaml")
    k.add_argument("--posterior", type=Path, default=CAL_DIR / "posterior.csv")
    k.add_argument("--out", type=Path, default=CAL_DIR)
    k.add_argument("--no-policy", action="store_true", help="skip the policy accounting section")




def dispatch(name: str):
    def run(a: argparse.Namespace) -> int:
        from .calibration.commands import COMMANDS

        return COMMANDS[name](a)
    return run


COMMANDS = {n: dispatch(n) for n in NAMES}
