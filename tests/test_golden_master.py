"""Golden master: results are bit-identical across refactors that mean to change no economics.

For {baseline, ne-revival, high-carbon} x 2 seeds at scale tiny, with the committed calibration, this
hashes the recorder's values, the flows, every agent column at the end of the run, and the bytes of the
CSVs that `geese run` writes. When a change *means* to alter the economics, re-record on purpose:

    GOLDEN_RECORD=1 .venv/bin/python -m pytest tests/test_golden_master.py

and commit ``tests/golden_master.json`` together with the change, saying why in the commit message.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

from model.cli import main
from model.runner import DEFAULT_ROOT_SEED, replicate_seeds

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).with_name("golden_master.json")
SCENARIOS = ("baseline", "ne-revival", "high-carbon")
SEEDS = 2
RECORD = os.environ.get("GOLDEN_RECORD") == "1"


def _digest(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str(a.dtype).encode() + str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _model_hashes(name: str) -> dict[str, str]:
    from model.api import build_model

    out = {}
    for i, seed in enumerate(replicate_seeds(DEFAULT_ROOT_SEED, SEEDS)):
        m = build_model(ROOT / "scenarios" / f"{name}.yaml", seed=seed, scale="tiny")
        m.run()
        rec = m.recorder
        out[f"{name}/{i}/values"] = _digest(rec.values)
        out[f"{name}/{i}/flows"] = _digest(*(rec.flows[k] for k in sorted(rec.flows)))
        for label, agents in (("firms", m.firms), ("talent", m.talent)):
            for col in sorted(agents.data):
                out[f"{name}/{i}/{label}.{col}"] = _digest(agents.data[col][: len(agents)])
    return out


def _csv_hashes(tmp: Path) -> dict[str, str]:
    files = [str(ROOT / "scenarios" / f"{n}.yaml") for n in SCENARIOS]
    assert main(["run", *files, "--scale", "tiny", "--seeds", str(SEEDS), "--workers", "1",
                 "--out", str(tmp), "--no-plots"]) == 0
    out = {}
    for n in SCENARIOS:
        for csv in ("timeseries.csv", "summary.csv", "flows.csv"):
            out[f"{n}/{csv}"] = hashlib.sha256((tmp / n / csv).read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def recorded() -> dict[str, str]:
    if RECORD or not GOLDEN.is_file():
        return {}
    return json.loads(GOLDEN.read_text())


@pytest.mark.parametrize("name", SCENARIOS)
def test_model_state_is_bit_identical(name, recorded):
    got = _model_hashes(name)
    if RECORD:
        _store(got)
        pytest.skip("recorded")
    want = {k: v for k, v in recorded.items() if k.startswith(name + "/") and not k.endswith(".csv")}
    assert want, "no golden master recorded: run with GOLDEN_RECORD=1"
    changed = sorted(k for k in want if got.get(k) != want[k])
    assert got.keys() == want.keys() and not changed, f"changed: {changed[:8]}"


def test_run_csv_bytes_are_bit_identical(tmp_path, recorded):
    got = _csv_hashes(tmp_path)
    if RECORD:
        _store(got)
        pytest.skip("recorded")
    want = {k: v for k, v in recorded.items() if k.endswith(".csv")}
    assert want, "no golden master recorded: run with GOLDEN_RECORD=1"
    changed = sorted(k for k in want if got.get(k) != want[k])
    assert not changed, f"changed: {changed}"


def _store(new: dict[str, str]) -> None:
    old = json.loads(GOLDEN.read_text()) if GOLDEN.is_file() else {}
    old.update(new)
    GOLDEN.write_text(json.dumps(dict(sorted(old.items())), indent=1) + "\n")
