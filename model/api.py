"""The Python entry points: build one model the way `geese run` builds each replicate."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .model import FlyingGeeseModel
from .params_file import calibrated_overrides
from .scenario import Scenario, load_scenario, scenario_from_dict


def build_model(scenario: Scenario | Mapping | str | Path | None = None, *, seed: int | np.random.SeedSequence = 0,
                scale: str | None = None, params: Mapping[str, float] | None = None,
                calibrated: bool = True) -> FlyingGeeseModel:
    """A model of ``scenario`` (a file, a mapping or a Scenario) with the calibration applied, as `geese run`."""
    if isinstance(scenario, (str, Path)):
        scenario = load_scenario(scenario)
    elif scenario is None or isinstance(scenario, Mapping):
        scenario = scenario_from_dict(dict(scenario or {"name": "baseline"}), "<scenario>")
    layered = {k: v for k, v in calibrated_overrides().items() if k not in scenario.params} if calibrated else {}
    layered.update(params or {})
    return FlyingGeeseModel(scenario, seed=seed, scale=scale, params=layered)
