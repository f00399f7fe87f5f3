"""calibration/tune.ipynb runs top to bottom, so it never rots."""

from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def test_tune_notebook_runs(monkeypatch):
    monkeypatch.setenv("GEESE_TUNE_SCALE", "tiny")  # the notebook's own default is small (sliders, by hand)
    nb = nbformat.read(ROOT / "calibration" / "tune.ipynb", as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "calibration")}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "targets within tolerance" in text
    assert any("image/png" in o.get("data", {}) for o in outputs), "the trajectory plot is drawn"
    assert "sliders over the calibrated parameters" in text
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs), "the sliders"
