"""Figures of a results folder, and comparisons of several results folders.

The data flow is one way: everything here reads only the files of a results folder
(``summary.csv``, ``flows.csv``, ``manifest.json``) and writes PNGs (and ``comparison.csv``).
Nothing is imported from the simulation itself, so plots can be redrawn from archived results.

* :func:`plot_run` (``run``) draws ``dashboard.png``, ``transfer_heatmaps.png``, ``talent_flows.png``
  and ``industrial_shares.png`` for one run.
* :func:`plot_compare` (``compare``) draws ``comparison.png`` and ``difference.png`` (plus
  ``comparison.csv``) for several runs, the first being the reference.
* ``style`` holds what every figure shares (colours, units on axes, labels, saving); ``reading``
  reads a results folder.

Regions always have the colours of ``style.REGION_COLOURS``; scenarios in comparisons get colours
and line styles of their own so they are never confused with regions.
"""

import sys

import matplotlib

if "ipykernel" not in sys.modules:  # in a notebook keep its inline backend (Results.plot draws there)
    matplotlib.use("Agg")  # files only, never a window; set before any figure module imports pyplot

from .compare import plot_compare  # noqa: E402
from .run import plot_run  # noqa: E402

__all__ = ["plot_compare", "plot_run"]
