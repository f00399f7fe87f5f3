"""``calibration/params.yaml``: the calibrated values that every `geese run` applies on top of the defaults.

Format::

    fit: {date: 2026-11-22, loss: 0.41, budget: 400, evaluations: 400, scale: tiny, seeds: 2,
          git_commit: abc123, wall_seconds: 512.3}
    values:
      talent.mobility_high: 1.9
      ...

Unknown names, missing values and values outside a parameter's documented range are errors that name
the entry. A missing file means "no calibration yet": the defaults apply.
"""

from __future__ import annotations

from pathlib import Path

from .errors import InputError
from .parameters import ParamSet
from .yamlio import load_yaml_file

PARAMS_FILE = Path(__file__).resolve().parent.parent / "calibration" / "params.yaml"


def read_params_file(path: Path = PARAMS_FILE) -> dict:
    doc = load_yaml_file(path)
    values = doc.get("values")
    if not isinstance(values, dict) or not values:
        raise InputError(str(path), "values", values, "a mapping of parameter name to number")
    extra = set(doc) - {"fit", "values"}
    if extra:
        raise InputError(str(path), sorted(extra)[0], sorted(extra)[0], "unknown key; allowed keys: fit, values")
    for name, value in values.items():
        if value is None:
            raise InputError(str(path), f"values.{name}", None, "a number is missing")
    ParamSet.defaults().with_overrides(values, str(path), prefix="values")
    return doc


def calibrated_overrides(path: Path = PARAMS_FILE) -> dict[str, float]:
    """Calibrated values by dotted name, or {} when there is no params file."""
    if not path.is_file():
        return {}
    return {k: float(v) for k, v in read_params_file(path)["values"].items()}


def calibrated_params(path: Path = PARAMS_FILE) -> ParamSet:
    """Defaults with the calibrated values applied: what `geese run` uses."""
    return ParamSet.defaults().with_overrides(calibrated_overrides(path), str(path), prefix="values")
