"""The recorder: every year, every region (plus the nation), the declared metrics and the year's flows.

What each metric means and how it is computed is declared in ``metrics.py``; the recorder only calls
the declarations and stores [year, region + national, metric] values, and copies the year's
origin -> destination matrices for firms and jobs (by sector) and talent (by skill).
"""

from __future__ import annotations

import numpy as np

from . import SECTORS, SKILLS
from .metrics import METRICS as DECLARED
from .metrics import YearView
from .world import Sim

# metric -> (unit, meaning), in column order: the table the CLI, results and calibration read.
METRICS: dict[str, tuple[str, str]] = {m.name: (m.unit, m.meaning) for m in DECLARED}
CORE_METRICS: tuple[str, ...] = tuple(m.name for m in DECLARED if m.core)


class Recorder:
    """Holds [year, region + national, metric] values and yearly flow matrices."""

    def __init__(self, regions: tuple[str, ...], first_year: int, last_year: int):
        self.regions = regions
        self.years = list(range(first_year, last_year + 1))
        self.metrics = [m.name for m in DECLARED]
        n_y, n_r = len(self.years), len(regions)
        self.values = np.full((n_y, n_r + 1, len(self.metrics)), np.nan)
        self.flows = {
            "firms": np.zeros((n_y, len(SECTORS), n_r, n_r)),
            "jobs": np.zeros((n_y, len(SECTORS), n_r, n_r)),
            "talent": np.zeros((n_y, len(SKILLS), n_r, n_r)),
        }

    def record(self, m: Sim) -> None:
        yi = self.years.index(m.year)
        view = YearView(m)
        for j, metric in enumerate(DECLARED):
            self.values[yi, :, j] = metric.compute(view)
        for name, flow in self.flows.items():
            flow[yi] = m.flows[name]

    def series(self, metric: str, region: str = "national") -> np.ndarray:
        r = len(self.regions) if region == "national" else self.regions.index(region)
        return self.values[:, r, self.metrics.index(metric)]
