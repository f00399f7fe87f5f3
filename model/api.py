"""The Python entry point: build one model the way `geese run` builds each replicate."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .model import FlyingGeeseModel
from .runner import DEFAULT_ROOT_SEED, replicate_seeds
from .scenario import SCENARIO_DIR, Scenario, load_scenario


def build_model(scenario: Scenario | Mapping | str | Path | None = None, *,
                seed: int | np.random.SeedSequence | None = None, scale: str | None = None,
                params: Mapping[str, float] | None = None, calibrated: bool = True) -> FlyingGeeseModel:
    """A model of ``scenario`` (a file, a mapping or a Scenario; default ``scenarios/baseline.yaml``).

    With no arguments it is replicate 0 of `geese run scenarios/baseline.yaml`: the same scenario, the
    calibration applied (``calibrated=False`` leaves it out), the seed of replicate 0 under the default
    root seed, the scenario's scale. ``params`` override by dotted name, on top of everything else.
    """
    if scenario is None:
        scenario = SCENARIO_DIR / "baseline.yaml"
    if isinstance(scenario, (str, Path)):
        scenario = load_scenario(scenario)
    if seed is None:
        seed = replicate_seeds(DEFAULT_ROOT_SEED, 1)[0]
    return FlyingGeeseModel(scenario, seed=seed, scale=scale, params=params, calibrated=calibrated)
