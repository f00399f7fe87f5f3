"""Style: region colours, units shown on axes, labels, axes and saving, shared by every figure."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

REGION_COLOURS: dict[str, str] = {
    "east": "#1f77b4",
    "central": "#ff7f0e",
    "west": "#2ca02c",
    "northeast": "#d62728",
    "national": "#333333",
}
REGIONS: tuple[str, ...] = ("east", "central", "west", "northeast")
DPI = 120
BAND_ALPHA = 0.15
BAND_LABEL = "5th–95th percentile band"


def metric_info(manifest: dict, metric: str) -> tuple[str, str]:
    """(meaning, unit) of a metric from the manifest, with readable fallbacks."""
    info = (manifest.get("metrics") or {}).get(metric) or {}
    meaning = str(info.get("meaning") or metric.replace("_", " "))
    return meaning[:1].upper() + meaning[1:], str(info.get("unit") or "")


def display_scale(unit: str) -> tuple[float, str]:
    """(factor, axis unit) for showing values of ``unit``: shares and rates become percent."""
    if unit.startswith("share"):
        rest = unit[len("share"):].strip()
        return 100.0, f"% {rest}".strip()
    if unit == "1/yr":
        return 100.0, "% per year"
    return 1.0, unit


def difference_unit(unit: str) -> str:
    """Axis unit of a difference: percentage points for shares and rates."""
    if unit.startswith("share"):
        return f"percentage points {unit[len('share'):].strip()}".strip()
    if unit == "1/yr":
        return "percentage points per year"
    return unit


def wrap_text(text: str, width: int) -> str:
    """Wrap a title or label onto several lines."""
    return "\n".join(textwrap.wrap(text, width)) or text


def thousands(value: float, _pos: object = None) -> str:
    """Tick label with thousands separators, no needless decimals and a typographic minus."""
    if value == 0:
        return "0"
    if abs(value) >= 100 or float(value).is_integer():
        text = f"{value:,.0f}"
    else:
        text = f"{value:,.3g}"
    return text.replace("-", "\u2212")


def style_axes(ax: Axes, years: bool = True) -> None:
    """Integer year ticks on x, readable values on y, a light grid."""
    if years:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:.0f}"))
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    ax.grid(True, color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def draw_band(ax: Axes, rows: pd.DataFrame, factor: float, colour: str, linestyle: object = "-",
          label: str | None = None, band: bool = True) -> None:
    """A mean line with its shaded 5th–95th percentile band over years."""
    rows = rows.sort_values("year")
    years = rows["year"].to_numpy()
    ax.plot(years, rows["mean"].to_numpy() * factor, color=colour, linestyle=linestyle, linewidth=1.8,
            label=label)
    if band:
        ax.fill_between(years, rows["p05"].to_numpy() * factor, rows["p95"].to_numpy() * factor,
                        color=colour, alpha=BAND_ALPHA, linewidth=0)


def seeds_text(counts: Iterable[int | None]) -> str:
    """'mean of N seeds, band = 5th–95th percentile' for one or several runs."""
    known = sorted({c for c in counts if c})
    seeds = f"{known[0]} seeds" if len(known) == 1 else ("/".join(map(str, known)) + " seeds" if known else "seeds")
    return f"mean of {seeds}, band = 5th–95th percentile"


def save_png(fig: Figure, path: Path) -> Path:
    """Save a figure as PNG and close it."""
    try:
        fig.savefig(path, dpi=DPI, facecolor="white")
    finally:
        plt.close(fig)
    return path


def region_legend_handles(regions: Sequence[str]) -> list:
    """Legend handles: one line per region plus a swatch for the band."""
    handles = [Line2D([], [], color=REGION_COLOURS.get(r, "#777777"), linewidth=2, label=r) for r in regions]
    handles.append(Patch(facecolor="#777777", alpha=BAND_ALPHA * 2, label=BAND_LABEL))
    return handles
