"""Where the shipped files live: in a source checkout, or inside an installed package.

In a checkout (or an editable install) the scenarios, the calibration and the seed figures are the
repository's own folders, so editing ``scenarios/baseline.yaml`` takes effect at once. An installed
wheel carries copies of them as package data under ``model/shipped/`` (see ``pyproject.toml``,
``[tool.setuptools.package-dir]``), found with ``importlib.resources``. Results always go under the
working directory, never next to the package.
"""

from __future__ import annotations

import os
import re
from importlib.resources import files
from pathlib import Path

from .errors import InputError, did_you_mean

CHECKOUT = Path(__file__).resolve().parent.parent
SHIPPED = ("scenarios", "calibration", "seeds")


def in_checkout() -> bool:
    """True when running from the repository (source tree or editable install)."""
    return (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "scenarios").is_dir()


def shipped_dir(name: str) -> Path:
    """The folder of shipped ``name`` files (scenarios, calibration, seeds)."""
    if name not in SHIPPED:
        raise ValueError(f"not a shipped folder: {name!r}")
    if in_checkout():
        return CHECKOUT / name
    return Path(str(files("model") / "shipped" / name))


CALIBRATION_ENV = "GEESE_CALIBRATION"


def calibration_file() -> tuple[Path, str]:
    """The calibration every run applies by default, and where it comes from (``source``).

    1. ``$GEESE_CALIBRATION``: a params.yaml file, or a folder holding one (source ``GEESE_CALIBRATION``);
    2. installed (not a checkout): ``./calibration/params.yaml`` in the working directory when it exists,
       i.e. a fit written locally by ``geese calibrate`` or ``geese posterior`` (source ``local``);
    3. the shipped fit: the repository's calibration/params.yaml or the package's copy (source ``shipped``).
    The posterior draws (``posterior.csv``) are read from the same folder.
    """
    env = os.environ.get(CALIBRATION_ENV, "").strip()
    if env:
        p = Path(env).expanduser()
        return (p / "params.yaml" if p.is_dir() else p).absolute(), CALIBRATION_ENV
    local = Path("calibration") / "params.yaml"
    if not in_checkout() and local.is_file():
        return local.absolute(), "local"
    return shipped_dir("calibration") / "params.yaml", "shipped"


def calibration_note() -> str | None:
    """A line for stderr when the calibration applied is not the shipped one (None when it is)."""
    path, source = calibration_file()
    if source == "shipped":
        return None
    why = ("$GEESE_CALIBRATION" if source == CALIBRATION_ENV else
           "a fit written locally by `geese calibrate`/`geese posterior` in the working directory")
    return f"geese: note: applying the calibration {path} ({why}), not the shipped fit"


def scenario_names() -> list[str]:
    d = shipped_dir("scenarios")
    return sorted(p.stem for p in d.glob("*.yaml")) if d.is_dir() else []


def find_scenario(ref: str | Path, key: str = "scenario") -> Path:
    """A scenario file from a path, or the name of a shipped scenario (``baseline``).

    Anything that looks like a path (a '/', a suffix, or an existing entry) is returned as it is, so the
    loader reports a missing or unreadable file in its own words; a bare name that is no file here is
    looked up among the shipped scenarios.
    """
    from .scenario import NAME_PATTERN

    p = Path(ref)
    text = str(ref)
    if p.exists() or p.is_symlink() or not re.fullmatch(NAME_PATTERN, text):
        return p
    shipped = shipped_dir("scenarios") / f"{text}.yaml"
    if shipped.is_file():
        return shipped
    names = scenario_names()
    raise InputError(text, key, text, "an existing scenario file, or the name of a shipped scenario"
                     f"{did_you_mean(text, names)}; shipped: {', '.join(names)}")


def results_dir() -> Path:
    """Default output folder: ``results/`` under the working directory."""
    return Path("results")
