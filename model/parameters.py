"""Parameters: defaults from ``data/parameters.yaml``, overrides by dotted name, range checks, and the
one function that layers them.

Every parameter carries a value, a unit, an allowed range, a source and a date (OpenFisca style).
A value is a number or a mapping by sector or region; mappings are flattened to dotted names such as
``production.capital_share.high_tech``, which is also how scenarios and calibration override them.

The values a model runs with are layered by ``resolve_parameters``, and by nothing else::

    defaults (data/parameters.yaml) < calibrated (calibration/params.yaml) < scenario ``params:`` < explicit

The model, the runner, the command line, calibration, the notebook and the benchmarks all call it.

``calibration/params.yaml`` holds the calibrated values; ``geese calibrate`` writes it::

    fit: {date: 2026-11-22, loss: 0.41, budget: 400, evaluations: 400, scale: tiny, seeds: 2,
          git_commit: abc123, wall_seconds: 512.3}
    values:
      talent.mobility_high: 1.9
      ...

Unknown names, missing values and values outside a parameter's documented range are errors that name
the entry. A missing file means "no calibration yet": the defaults apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from . import SECTORS
from .errors import InputError, did_you_mean
from .resources import calibration_file, shipped_dir
from .yamlio import load_packaged_yaml, load_yaml_file

DEFAULTS_FILE = "model/data/parameters.yaml"
# the calibration applied by default: $GEESE_CALIBRATION, else (installed) ./calibration/params.yaml when a fit
# was written there locally, else the committed fit (repository or package data); resources.calibration_file
PARAMS_FILE, CALIBRATION_SOURCE = calibration_file()

Kind = Literal["elasticity", "share", "rate", "ratio", "level", "index", "cost", "multiplier", "dispersion"]
KIND_WORDS = {
    "elasticity": "an elasticity",
    "share": "a share",
    "rate": "a rate",
    "ratio": "a ratio",
    "level": "a level",
    "index": "an index",
    "cost": "a cost",
    "multiplier": "a multiplier",
    "dispersion": "a dispersion",
}
# Parameters whose components must add up to one.
SUMS_TO_ONE = ("demand.sector_share_2012", "demand.industrial_va_share_2012", "talent.graduate_share")


class ParameterSpec(BaseModel):
    """One documented parameter."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    value: float | dict[str, float]
    unit: str
    range: tuple[float, float]
    kind: Kind
    source: str
    date: int

    @model_validator(mode="after")
    def _value_in_range(self) -> ParameterSpec:
        lo, hi = self.range
        if lo > hi:
            raise ValueError(f"range [{lo}, {hi}] is reversed")
        if self.kind in ("elasticity", "rate", "share") and lo < 0 and self.kind != "rate":
            raise ValueError(f"a {self.kind} cannot allow negative values")
        if self.kind == "share" and (lo < 0 or hi > 1):
            raise ValueError("a share must have its range inside [0, 1]")
        return self


def _flatten(name: str, spec: ParameterSpec) -> dict[str, float]:
    if isinstance(spec.value, dict):
        return {f"{name}.{k}": float(v) for k, v in spec.value.items()}
    return {name: float(spec.value)}


@cache
def default_specs() -> dict[str, ParameterSpec]:
    """The documented defaults, keyed by dotted parameter name (mapping parameters unflattened)."""
    text = resources.files("model").joinpath("data/parameters.yaml").read_text(encoding="utf-8")
    raw = load_packaged_yaml(text, DEFAULTS_FILE)
    specs: dict[str, ParameterSpec] = {}
    for group, entries in raw.items():
        for name, body in entries.items():
            key = f"{group}.{name}"
            try:
                specs[key] = ParameterSpec.model_validate(body)
            except ValidationError as exc:
                err = exc.errors()[0]
                raise InputError(DEFAULTS_FILE, key, body, err["msg"]) from None
    return specs


class ParamSet(Mapping[str, float]):
    """An immutable set of parameter values, flat by dotted name, with range-checked overrides."""

    def __init__(self, values: dict[str, float]):
        self._values = dict(values)

    @classmethod
    def defaults(cls) -> ParamSet:
        values: dict[str, float] = {}
        for name, spec in default_specs().items():
            values.update(_flatten(name, spec))
        return cls(values)

    def __getitem__(self, name: str) -> float:
        return self._values[name]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def as_dict(self) -> dict[str, float]:
        return dict(self._values)

    def by(self, name: str, keys: tuple[str, ...] | list[str]) -> np.ndarray:
        """A mapping parameter as an array in the given key order (sectors or regions)."""
        return np.array([self._values[f"{name}.{k}"] for k in keys], dtype=np.float64)

    def with_overrides(self, overrides: Mapping[str, object], file: str | Path | None, prefix: str = "params",
                       check_sums: bool = True) -> ParamSet:
        """A copy with overrides applied; every name must exist and every value be in its range."""
        values = dict(self._values)
        for name, value in overrides.items():
            key = f"{prefix}.{name}" if prefix else name
            spec = spec_for(name)
            if spec is None:
                raise InputError(file, key, name, "unknown parameter" + did_you_mean(name, self._values))
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
                raise InputError(file, key, value, f"expected a number ({spec.unit})")
            lo, hi = spec.range
            if not lo <= float(value) <= hi:
                raise InputError(file, key, value, f"{KIND_WORDS[spec.kind]} in [{lo:g}, {hi:g}] ({spec.unit})")
            values[name] = float(value)
        out = ParamSet(values)
        if check_sums:
            out.check_sums(file, prefix)
        return out

    def check_sums(self, file: str | Path | None, prefix: str = "params") -> None:
        for group in SUMS_TO_ONE:
            parts = {k: v for k, v in self._values.items() if k.startswith(group + ".")}
            total = sum(parts.values())
            if abs(total - 1.0) > 1e-6:
                raise InputError(file, f"{prefix}.{group}", round(total, 6), "its components must sum to 1")


def spec_for(name: str) -> ParameterSpec | None:
    """The spec that documents a flat dotted name (``a.b`` or ``a.b.key``), or None."""
    specs = default_specs()
    if name in specs:
        return specs[name] if not isinstance(specs[name].value, dict) else None
    head, _, key = name.rpartition(".")
    spec = specs.get(head)
    if spec is not None and isinstance(spec.value, dict) and key in spec.value:
        return spec
    return None


def check_keys(params: ParamSet, regions: tuple[str, ...]) -> None:
    """Region- and sector-keyed parameters must name exactly the model's regions and sectors."""
    for name, spec in default_specs().items():
        if not isinstance(spec.value, dict):
            continue
        keys = set(spec.value)
        expected = set(SECTORS) if keys & set(SECTORS) else set(regions)
        if keys != expected:
            extra = sorted(keys - expected) or sorted(expected - keys)
            raise InputError(DEFAULTS_FILE, name, extra, f"keys must be exactly {sorted(expected)}")


# --- calibration/params.yaml --------------------------------------------------------------------------

def read_params_file(path: Path = PARAMS_FILE) -> dict:
    """The checked document of a calibrated-parameters file (``fit`` and ``values``)."""
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
    path = Path(path)
    if not path.is_file():
        return {}
    stat = path.stat()
    return dict(_calibrated_values(str(path.resolve()), stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=8)
def _calibrated_values(path: str, _mtime_ns: int, _size: int) -> tuple[tuple[str, float], ...]:
    """Read once per version of the file (every model built in Python resolves its parameters)."""
    return tuple((k, float(v)) for k, v in read_params_file(Path(path))["values"].items())


# --- the layering ---------------------------------------------------------------------------------------

def resolve_parameters(scenario_params: Mapping[str, float] | None = None,
                       explicit: Mapping[str, float] | None = None,
                       calibrated: bool | str | Path | Mapping[str, float] = True) -> ParamSet:
    """The parameter values a run uses: defaults < calibrated < scenario < explicit.

    Args:
        scenario_params: the scenario's own ``params:`` overrides.
        explicit: overrides given by the caller (Python, the notebook, a calibration candidate).
        calibrated: True applies ``calibration/params.yaml`` (when it exists), a path applies that
            file, False applies none (the documented defaults are the base); a mapping (a posterior draw,
            ``geese run --param-draws``) takes the place of the file.

    Every layer is range-checked and named in errors; the sum-to-one groups are checked on the result.
    """
    values = ParamSet.defaults()
    if isinstance(calibrated, Mapping):  # a posterior draw stands in for calibration/params.yaml
        values = values.with_overrides(dict(calibrated), "<posterior draw>", prefix="values", check_sums=False)
    elif calibrated is not False:
        path = PARAMS_FILE if calibrated is True else Path(calibrated)
        values = values.with_overrides(calibrated_overrides(path), str(path), prefix="values", check_sums=False)
    values = values.with_overrides(dict(scenario_params or {}), "<scenario>", check_sums=False)
    values = values.with_overrides(dict(explicit or {}), "<params>", check_sums=False)
    values.check_sums("<params>" if explicit else "<scenario>")
    return values
