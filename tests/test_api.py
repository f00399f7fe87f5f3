"""The Python entry points: one parameter layering, and a model built in Python equals `geese run`."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.api import build_model
from model.cli import main
from model.errors import InputError
from model.model import FlyingGeeseModel
from model.parameters import ParamSet, calibrated_overrides, resolve_parameters
from model.runner import DEFAULT_ROOT_SEED, replicate_seeds
from model.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def test_layers_apply_in_order_defaults_calibrated_scenario_explicit(tmp_path):
    name, other = "talent.mobility_high", "talent.moving_cost"
    params = tmp_path / "params.yaml"
    params.write_text(f"values: {{{name}: 1.1, {other}: 2.2}}\n")
    default = ParamSet.defaults()
    assert resolve_parameters(calibrated=False)[name] == default[name]
    assert resolve_parameters(calibrated=params)[name] == 1.1
    assert resolve_parameters({name: 1.3}, calibrated=params)[name] == 1.3
    both = resolve_parameters({name: 1.3}, {name: 1.7}, calibrated=params)
    assert (both[name], both[other]) == (1.7, 2.2)
    committed = calibrated_overrides()
    assert {k: resolve_parameters()[k] for k in committed} == committed  # True means calibration/params.yaml
    with pytest.raises(InputError, match="<params>"):
        resolve_parameters(explicit={name: 1000.0})


def test_python_model_with_no_arguments_is_replicate_0_of_geese_run_baseline(tmp_path):
    assert main(["run", str(BASELINE), "--scale", "tiny", "--seeds", "1", "--workers", "1",
                 "--out", str(tmp_path), "--no-plots"]) == 0
    ts = pd.read_csv(tmp_path / "baseline" / "timeseries.csv")
    m = build_model(scale="tiny")
    m.run()
    rec = m.recorder
    regions = list(m.regions) + ["national"]
    got = pd.DataFrame([{"year": y, "region": r, "metric": k, "model": rec.values[i, j, n]}
                        for i, y in enumerate(rec.years) for j, r in enumerate(regions)
                        for n, k in enumerate(rec.metrics)]).dropna()  # the CSV leaves out non-finite values
    both = ts.merge(got, on=["year", "region", "metric"])
    assert len(both) == len(ts) == len(got) > 1000
    np.testing.assert_allclose(both["model"], both["value"], rtol=1e-7, atol=0)  # the CSV keeps 8 digits
    # the model class itself: same scenario and seed, no arguments about calibration, same numbers
    direct = FlyingGeeseModel(load_scenario(BASELINE), seed=replicate_seeds(DEFAULT_ROOT_SEED, 1)[0], scale="tiny")
    direct.run()
    assert direct.recorder.values.tobytes() == rec.values.tobytes()
    uncalibrated = build_model(scale="tiny", calibrated=False)
    from model.parameters import PARAMS_FILE, read_params_file

    calibrated = {k: float(v) for k, v in read_params_file(PARAMS_FILE)["values"].items()}
    changed = [k for k, v in calibrated.items() if uncalibrated.params[k] != v]
    assert changed and all(m.params[k] == calibrated[k] for k in changed)
