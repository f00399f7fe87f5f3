"""Figures of a results folder, and comparisons of several results folders.

The data flow is one way: everything here reads only the files of a results folder
(``summary.csv``, ``flows.csv``, ``manifest.json``) and writes PNGs (and ``comparison.csv``).
Nothing is imported from the simulation itself, so plots can be redrawn from archived results.

* :func:`plot_run` draws ``dashboard.png``, ``transfer_heatmaps.png``, ``talent_flows.png`` and
  ``industrial_shares.png`` for one run.
* :func:`plot_compare` draws ``comparison.png`` and ``difference.png`` (plus ``comparison.csv``)
  for several runs, the first being the reference.

Regions always have the colours of :data:`REGION_COLOURS`; scenarios in comparisons get colours
and line styles of their own so they are never confused with regions.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

REGION_COLOURS: dict[str, str] = {
    "east": "#1f77b4",
    "central": "#ff7f0e",
    "west": "#2ca02c",
    "northeast": "#d62728",
    "national": "#333333",
}
REGIONS: tuple[str, ...] = ("east", "central", "west", "northeast")
SECTORS: tuple[str, ...] = ("energy_intensive", "labour_intensive", "equipment", "high_tech")
SKILLS: tuple[str, ...] = ("high", "general")

DASHBOARD_METRICS: tuple[str, ...] = (
    "gdp", "gdp_growth", "industrial_va_share", "manufacturing_share_gdp",
    "population", "net_migration_high", "wage_mean", "rd_intensity",
    "digital_adoption", "emissions", "firms", "relocations_out",
)
COMPARE_METRICS: tuple[str, ...] = (
    "gdp", "industrial_va_share", "population", "rd_intensity", "digital_adoption", "emissions",
)
# National rows that are sums of the regions and would dwarf them on a shared axis.
NATIONAL_IS_SUM: frozenset[str] = frozenset({"gdp", "population", "emissions", "firms", "relocations_out"})

# Scenario styles for comparisons: deliberately not the region colours.
SCENARIO_COLOURS: tuple[str, ...] = ("#222222", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f")
SCENARIO_LINESTYLES: tuple[str, ...] = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (8, 2)))

DPI = 120
BAND_ALPHA = 0.15
BAND_LABEL = "5th–95th percentile band"
DIAGONAL_GREY = "#d9d9d9"
SUMMARY_COLUMNS = ("year", "region", "metric", "mean", "p05", "p95")
FLOW_COLUMNS = ("seed", "year", "flow", "category", "origin", "destination", "value")


# --------------------------------------------------------------------------------------------
# Reading a results folder
# --------------------------------------------------------------------------------------------


def _read_csv(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    """Read a results CSV, raising a one-line ``ValueError`` if it is missing or lacks columns."""
    if not path.is_file():
        raise ValueError(f"{path}: file not found; expected a results folder with {path.name}")
    frame = pd.read_csv(path)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(columns)}")
    return frame


def _read_summary(result_dir: Path) -> pd.DataFrame:
    """``summary.csv`` of a results folder."""
    return _read_csv(Path(result_dir) / "summary.csv", SUMMARY_COLUMNS)


def _read_flows(result_dir: Path) -> pd.DataFrame:
    """``flows.csv`` of a results folder."""
    return _read_csv(Path(result_dir) / "flows.csv", FLOW_COLUMNS)


def _read_manifest(result_dir: Path) -> dict:
    """``manifest.json`` of a results folder, or an empty manifest if there is none."""
    path = Path(result_dir) / "manifest.json"
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None


def _scenario_name(manifest: dict, result_dir: Path) -> str:
    """The scenario name of the manifest, falling back to the folder name."""
    return str(manifest.get("name") or Path(result_dir).name)


def _seed_count(manifest: dict) -> int | None:
    """Number of seeds in the manifest, if recorded."""
    seeds = manifest.get("seeds")
    count = seeds.get("count") if isinstance(seeds, dict) else seeds
    return int(count) if isinstance(count, int | float) else None


def _regions(manifest: dict) -> list[str]:
    """The four regions in canonical order (those of the manifest if it names them)."""
    listed = manifest.get("regions") or REGIONS
    return [r for r in REGIONS if r in listed] + [r for r in listed if r not in REGIONS and r != "national"]


def _ordered(present: Iterable[str], preferred: Sequence[str]) -> list[str]:
    """``present`` items in ``preferred`` order, unknown ones after them in sorted order."""
    present = set(present)
    return [p for p in preferred if p in present] + sorted(present - set(preferred))


# --------------------------------------------------------------------------------------------
# Units, labels and axes
# --------------------------------------------------------------------------------------------


def _metric_info(manifest: dict, metric: str) -> tuple[str, str]:
    """(meaning, unit) of a metric from the manifest, with readable fallbacks."""
    info = (manifest.get("metrics") or {}).get(metric) or {}
    meaning = str(info.get("meaning") or metric.replace("_", " "))
    return meaning[:1].upper() + meaning[1:], str(info.get("unit") or "")


def _display(unit: str) -> tuple[float, str]:
    """(factor, axis unit) for showing values of ``unit``: shares and rates become percent."""
    if unit.startswith("share"):
        rest = unit[len("share"):].strip()
        return 100.0, f"% {rest}".strip()
    if unit == "1/yr":
        return 100.0, "% per year"
    return 1.0, unit


def _difference_unit(unit: str) -> str:
    """Axis unit of a difference: percentage points for shares and rates."""
    if unit.startswith("share"):
        return f"percentage points {unit[len('share'):].strip()}".strip()
    if unit == "1/yr":
        return "percentage points per year"
    return unit


def _wrap(text: str, width: int) -> str:
    """Wrap a title or label onto several lines."""
    return "\n".join(textwrap.wrap(text, width)) or text


def _thousands(value: float, _pos: object = None) -> str:
    """Tick label with thousands separators, no needless decimals and a typographic minus."""
    if value == 0:
        return "0"
    if abs(value) >= 100 or float(value).is_integer():
        text = f"{value:,.0f}"
    else:
        text = f"{value:,.3g}"
    return text.replace("-", "\u2212")


def _style_axes(ax: Axes, years: bool = True) -> None:
    """Integer year ticks on x, readable values on y, a light grid."""
    if years:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:.0f}"))
    ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.grid(True, color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _band(ax: Axes, rows: pd.DataFrame, factor: float, colour: str, linestyle: object = "-",
          label: str | None = None, band: bool = True) -> None:
    """A mean line with its shaded 5th–95th percentile band over years."""
    rows = rows.sort_values("year")
    years = rows["year"].to_numpy()
    ax.plot(years, rows["mean"].to_numpy() * factor, color=colour, linestyle=linestyle, linewidth=1.8,
            label=label)
    if band:
        ax.fill_between(years, rows["p05"].to_numpy() * factor, rows["p95"].to_numpy() * factor,
                        color=colour, alpha=BAND_ALPHA, linewidth=0)


def _seeds_text(counts: Iterable[int | None]) -> str:
    """'mean of N seeds, band = 5th–95th percentile' for one or several runs."""
    known = sorted({c for c in counts if c})
    seeds = f"{known[0]} seeds" if len(known) == 1 else ("/".join(map(str, known)) + " seeds" if known else "seeds")
    return f"mean of {seeds}, band = 5th–95th percentile"


def _save(fig: Figure, path: Path) -> Path:
    """Save a figure as PNG and close it."""
    try:
        fig.savefig(path, dpi=DPI, facecolor="white")
    finally:
        plt.close(fig)
    return path


def _region_legend_handles(regions: Sequence[str]) -> list:
    """Legend handles: one line per region plus a swatch for the band."""
    handles = [Line2D([], [], color=REGION_COLOURS.get(r, "#777777"), linewidth=2, label=r) for r in regions]
    handles.append(Patch(facecolor="#777777", alpha=BAND_ALPHA * 2, label=BAND_LABEL))
    return handles


# --------------------------------------------------------------------------------------------
# One run
# --------------------------------------------------------------------------------------------


def _series_regions(metric: str, rows: pd.DataFrame, regions: Sequence[str]) -> list[str]:
    """Regions to draw for a dashboard metric: national only where it is informative."""
    national = rows[rows["region"] == "national"]
    if metric in NATIONAL_IS_SUM or national.empty or np.ptp(national["mean"].to_numpy()) == 0:
        return list(regions)  # a sum that dwarfs the regions, or a constant (share = 1, net flow = 0)
    return [*regions, "national"]


def _dashboard(summary: pd.DataFrame, manifest: dict, name: str, regions: list[str], path: Path) -> Path:
    """``dashboard.png``: key metrics by region with seed bands."""
    metrics = [m for m in DASHBOARD_METRICS if m in set(summary["metric"])]
    if not metrics:  # an unusual run: show whatever it has
        metrics = sorted(summary["metric"].unique())[:12]
    ncols = 4
    nrows = max(1, -(-len(metrics) // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(16, max(3.7 * nrows, 5)), layout="constrained", squeeze=False)
    drew_national = False
    for ax, metric in zip(axes.flat, metrics):
        rows = summary[summary["metric"] == metric]
        meaning, unit = _metric_info(manifest, metric)
        factor, shown = _display(unit)
        for region in _series_regions(metric, rows, regions):
            drew_national |= region == "national"
            _band(ax, rows[rows["region"] == region], factor, REGION_COLOURS.get(region, "#777777"),
                  linestyle="--" if region == "national" else "-")
        ax.set_title(_wrap(meaning, 38), fontsize=11)
        ax.set_ylabel(shown)
        _style_axes(ax)
    for ax in axes.flat[len(metrics):]:
        ax.set_visible(False)
    handles = _region_legend_handles(regions)
    if drew_national:
        handles.insert(len(regions), Line2D([], [], color=REGION_COLOURS["national"], linestyle="--",
                                            linewidth=2, label="national (where not a sum of regions)"))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False, fontsize=11)
    fig.suptitle(f"Scenario {name}: key metrics by region — {_seeds_text([_seed_count(manifest)])}",
                 fontsize=14, fontweight="bold")
    return _save(fig, path)


def _cumulative(flows: pd.DataFrame, flow: str, categories: Sequence[str] | None = None) -> pd.DataFrame:
    """Cumulative flows over all years, mean over seeds, as category/origin/destination totals.

    A seed without rows for a pair counts as zero, so the mean is over all seeds of the run.
    """
    rows = flows[flows["flow"] == flow]
    if categories is not None:
        rows = rows[rows["category"].isin(list(categories))]
    seeds = max(flows["seed"].nunique(), 1)
    totals = rows.groupby(["category", "origin", "destination"], as_index=False)["value"].sum()
    totals["value"] = totals["value"] / seeds
    return totals


def _matrix(totals: pd.DataFrame, regions: Sequence[str], categories: Sequence[str] | None = None) -> np.ndarray:
    """Origin × destination matrix (summed over ``categories``, or all), NaN on the diagonal."""
    rows = totals if categories is None else totals[totals["category"].isin(list(categories))]
    table = rows.groupby(["origin", "destination"])["value"].sum().unstack("destination")
    table = table.reindex(index=list(regions), columns=list(regions)).fillna(0.0)
    matrix = table.to_numpy(dtype=float, copy=True)
    np.fill_diagonal(matrix, np.nan)
    return matrix


def _heatmap(ax: Axes, matrix: np.ndarray, regions: Sequence[str], norm: Normalize, cmap_name: str,
             title: str, fmt: str = "{:,.0f}") -> matplotlib.image.AxesImage:
    """Origin (rows) × destination (columns) heatmap, annotated, with a grey masked diagonal."""
    cmap = plt.get_cmap(cmap_name).with_extremes(bad=DIAGONAL_GREY)
    image = ax.imshow(np.ma.masked_invalid(matrix), cmap=cmap, norm=norm, aspect="equal")
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            value = matrix[i, j]
            if np.isnan(value):
                ax.text(j, i, "—", ha="center", va="center", color="#888888", fontsize=11)
                continue
            r, g, b, _ = cmap(norm(value))
            colour = "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "black"
            ax.text(j, i, fmt.format(value), ha="center", va="center", color=colour, fontsize=10)
    ticks = np.arange(len(regions))
    ax.set_xticks(ticks, labels=list(regions))
    ax.set_yticks(ticks, labels=list(regions))
    for label in [*ax.get_xticklabels(), *ax.get_yticklabels()]:
        label.set_color(REGION_COLOURS.get(label.get_text(), "black"))
        label.set_fontweight("bold")
    ax.tick_params(length=0)
    ax.set_xlabel("destination")
    ax.set_ylabel("origin")
    ax.set_title(title, fontsize=11)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return image


def _norm(matrices: Iterable[np.ndarray]) -> Normalize:
    """A colour scale from zero to the largest off-diagonal value."""
    top = max((float(np.nanmax(m)) for m in matrices if np.isfinite(m).any()), default=0.0)
    return Normalize(vmin=0.0, vmax=top if top > 0 else 1.0)


def _net_firm_balance(ax: Axes, totals: pd.DataFrame, regions: Sequence[str]) -> None:
    """Bars of cumulative net firm relocations (in − out) per region, all sectors."""
    inflow = totals.groupby("destination")["value"].sum().reindex(list(regions), fill_value=0.0)
    outflow = totals.groupby("origin")["value"].sum().reindex(list(regions), fill_value=0.0)
    net = (inflow - outflow).to_numpy(dtype=float)
    x = np.arange(len(regions))
    ax.bar(x, net, color=[REGION_COLOURS.get(r, "#777777") for r in regions], width=0.6)
    ax.axhline(0, color="black", linewidth=0.8)
    span = float(np.max(np.abs(net))) if net.size else 0.0
    for xi, value in zip(x, net):
        ax.annotate(f"{value:+,.0f}".replace("-", "\u2212"), (xi, value), xytext=(0, 4 if value >= 0 else -4),
                    textcoords="offset points", ha="center", va="bottom" if value >= 0 else "top", fontsize=10)
    ax.set_ylim(-span * 1.25 - 1, span * 1.25 + 1)
    ax.set_xticks(x, labels=list(regions))
    for label in ax.get_xticklabels():
        label.set_color(REGION_COLOURS.get(label.get_text(), "black"))
        label.set_fontweight("bold")
    ax.set_ylabel("firms (cumulative, mean over seeds)")
    ax.set_title("Net firm relocations (in − out), all sectors", fontsize=11)
    _style_axes(ax, years=False)
    ax.grid(False, axis="x")


def _transfer_heatmaps(flows: pd.DataFrame, name: str, regions: list[str], years: str, path: Path) -> Path:
    """``transfer_heatmaps.png``: cumulative firm relocations per sector, jobs moved, net balance."""
    firms = _cumulative(flows, "firms")
    sectors = _ordered(firms["category"].unique(), SECTORS) or list(SECTORS)
    firm_matrices = [_matrix(firms, regions, [s]) for s in sectors]
    jobs = _cumulative(flows, "jobs")
    jobs_matrix = _matrix(jobs, regions) / 1000.0

    fig = plt.figure(figsize=(18, 10), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[0.85, 1.0], hspace=0.04)
    norm = _norm(firm_matrices)
    firm_axes = top.subplots(1, max(4, len(sectors)), squeeze=False)[0]
    image = None
    for ax, sector, matrix in zip(firm_axes, sectors, firm_matrices):
        image = _heatmap(ax, matrix, regions, norm, "YlOrRd", f"Firms relocated: {sector.replace('_', '-')}")
    for ax in firm_axes[len(sectors):]:
        ax.set_visible(False)
    if image is not None:
        top.colorbar(image, ax=list(firm_axes), shrink=0.9, format=FuncFormatter(_thousands),
                     label="firms relocated\n(cumulative, mean over seeds)")

    ax_jobs, ax_net = bottom.subplots(1, 2, width_ratios=[1.0, 1.25])
    jobs_image = _heatmap(ax_jobs, jobs_matrix, regions, _norm([jobs_matrix]), "PuBu",
                          "Jobs moved with relocating firms, all sectors")
    bottom.colorbar(jobs_image, ax=ax_jobs, shrink=0.9, format=FuncFormatter(_thousands),
                    label="jobs moved\n(cumulative, thousand persons, mean over seeds)")
    _net_firm_balance(ax_net, firms, regions)
    fig.suptitle(f"Scenario {name}: industrial transfer between regions, cumulative {years}, "
                 f"mean over seeds (diagonal = no move)", fontsize=14, fontweight="bold")
    return _save(fig, path)


def _talent_flows(flows: pd.DataFrame, summary: pd.DataFrame, manifest: dict, name: str, regions: list[str],
                  years: str, path: Path) -> Path:
    """``talent_flows.png``: cumulative talent moves by skill, and net high-skill migration over time."""
    talent = _cumulative(flows, "talent")
    skills = _ordered(talent["category"].unique(), SKILLS) or list(SKILLS)
    fig = plt.figure(figsize=(19, 6.2), layout="constrained")
    grid = fig.add_gridspec(1, len(skills) + 1, width_ratios=[1.0] * len(skills) + [1.25])
    for k, skill in enumerate(skills):
        ax = fig.add_subplot(grid[0, k])
        matrix = _matrix(talent, regions, [skill]) / 1000.0
        image = _heatmap(ax, matrix, regions, _norm([matrix]), "YlGnBu", f"{skill.capitalize()}-skill talent moved")
        fig.colorbar(image, ax=ax, shrink=0.75, format=FuncFormatter(_thousands),
                     label="thousand people (cumulative, mean over seeds)")

    ax = fig.add_subplot(grid[0, len(skills)])
    rows = summary[summary["metric"] == "net_migration_high"]
    meaning, unit = _metric_info(manifest, "net_migration_high")
    factor, shown = _display(unit or "thousand people/yr")
    for region in regions:
        _band(ax, rows[rows["region"] == region], factor, REGION_COLOURS.get(region, "#777777"), label=region)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_title(_wrap(f"{meaning} ({_seeds_text([_seed_count(manifest)])})", 60), fontsize=11)
    ax.set_ylabel(shown)
    ax.set_xlabel("year")
    _style_axes(ax)
    if rows.empty:
        ax.text(0.5, 0.5, "net_migration_high not in summary.csv", transform=ax.transAxes, ha="center")
    else:
        ax.legend(handles=_region_legend_handles(regions), fontsize=9, frameon=False, loc="best")
    fig.suptitle(f"Scenario {name}: talent flows between regions (heatmaps: cumulative {years}, mean over seeds; "
                 f"diagonal = no move)",
                 fontsize=14, fontweight="bold")
    return _save(fig, path)


def _spread(positions: Sequence[float], gap: float, low: float, high: float) -> list[float]:
    """Label positions nudged apart by at least ``gap``, kept within [low, high]."""
    order = np.argsort(positions)
    placed = np.asarray(positions, dtype=float)[order]
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + gap)
    overflow = placed[-1] - high if len(placed) else 0.0
    if overflow > 0:
        placed[-1] -= overflow
        for i in range(len(placed) - 2, -1, -1):
            placed[i] = min(placed[i], placed[i + 1] - gap)
    placed = np.maximum(placed, low)
    out = np.empty_like(placed)
    out[order] = placed
    return out.tolist()


def _year_ticks(first: int, last: int) -> list[int]:
    """First and last year plus the round (multiple of 5) years well between them."""
    inner = [y for y in range(first + 1, last) if y % 5 == 0 and y - first >= 2 and last - y >= 2]
    return sorted({first, *inner, last})


def _end_labels(ax: Axes, x: float, values: np.ndarray, regions: Sequence[str], side: int, offset: float) -> None:
    """Mark the stacked band centres at year ``x`` and label them beside the stack."""
    mids = np.cumsum(values) - values / 2.0
    ax.plot([x] * len(mids), mids, linestyle="none", marker="o", markersize=5, markerfacecolor="white",
            markeredgecolor="#333333", markeredgewidth=0.8, zorder=5, clip_on=False)
    for region, mid, label_y, value in zip(regions, mids, _spread(mids, 4.5, 2.0, 98.0), values):
        ax.annotate(f"{region} {value:.1f}%", xy=(x, mid), xytext=(x + side * offset, label_y),
                    ha="left" if side > 0 else "right", va="center", fontsize=10, fontweight="bold",
                    color=REGION_COLOURS.get(region, "#333333"),
                    arrowprops={"arrowstyle": "-", "color": "#777777", "linewidth": 0.6, "shrinkA": 2, "shrinkB": 3})


def _industrial_shares(summary: pd.DataFrame, manifest: dict, name: str, regions: list[str], path: Path) -> Path:
    """``industrial_shares.png``: stacked regional shares of national industrial value added.

    The first and last year's shares are marked and labelled in margins left inside the axes,
    so the labels never collide with the tick labels.
    """
    rows = summary[(summary["metric"] == "industrial_va_share") & summary["region"].isin(regions)]
    table = rows.pivot_table(index="year", columns="region", values="mean", aggfunc="first")
    table = table.reindex(columns=[r for r in regions if r in table.columns]).sort_index() * 100.0
    fig, ax = plt.subplots(figsize=(13, 7.5), layout="constrained")
    meaning, _unit = _metric_info(manifest, "industrial_va_share")
    _style_axes(ax)
    if table.empty:
        ax.text(0.5, 0.5, "industrial_va_share not in summary.csv", transform=ax.transAxes, ha="center")
    else:
        years = table.index.to_numpy()
        columns = list(table.columns)
        ax.stackplot(years, *(table[c].to_numpy() for c in columns), labels=columns, alpha=0.85,
                     colors=[REGION_COLOURS.get(c, "#777777") for c in columns], edgecolor="white", linewidth=0.6)
        span = max(float(years[-1] - years[0]), 1.0)
        margin = 0.2 * span
        _end_labels(ax, years[0], table.iloc[0].to_numpy(), columns, side=-1, offset=0.04 * span)
        _end_labels(ax, years[-1], table.iloc[-1].to_numpy(), columns, side=1, offset=0.04 * span)
        ax.set_xlim(years[0] - margin, years[-1] + margin)
        ax.set_xticks(_year_ticks(int(years[0]), int(years[-1])))
        ax.spines["bottom"].set_bounds(years[0], years[-1])
        ax.set_ylim(0, max(100.0, float(table.sum(axis=1).max())))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.09),
                  ncol=len(columns), frameon=False, fontsize=11)
    ax.grid(False, axis="x")
    ax.set_ylabel("% of national industrial value added")
    ax.set_xlabel("year")
    ax.set_title(f"Scenario {name}: {meaning[:1].lower() + meaning[1:]}\n"
                 f"(stacked mean over {_seed_count(manifest) or 'all'} seeds; first and last year marked)",
                 fontsize=13)
    return _save(fig, path)


def plot_run(result_dir: Path, plots_dir: Path) -> list[Path]:
    """Draw the standard figures of one results folder into ``plots_dir``; return their paths.

    Writes ``dashboard.png``, ``transfer_heatmaps.png``, ``talent_flows.png`` and
    ``industrial_shares.png``. Raises ``ValueError`` if ``summary.csv`` or ``flows.csv`` is missing.
    """
    result_dir, plots_dir = Path(result_dir), Path(plots_dir)
    summary = _read_summary(result_dir)
    flows = _read_flows(result_dir)
    manifest = _read_manifest(result_dir)
    name = _scenario_name(manifest, result_dir)
    regions = _regions(manifest)
    first, last = int(summary["year"].min()), int(summary["year"].max())
    years = f"{first}–{last}"
    plots_dir.mkdir(parents=True, exist_ok=True)
    return [
        _dashboard(summary, manifest, name, regions, plots_dir / "dashboard.png"),
        _transfer_heatmaps(flows, name, regions, years, plots_dir / "transfer_heatmaps.png"),
        _talent_flows(flows, summary, manifest, name, regions, years, plots_dir / "talent_flows.png"),
        _industrial_shares(summary, manifest, name, regions, plots_dir / "industrial_shares.png"),
    ]


# --------------------------------------------------------------------------------------------
# Several runs
# --------------------------------------------------------------------------------------------


def _unique_names(names: list[str], dirs: list[Path]) -> list[str]:
    """Scenario names made unique: first with the folder name, then with a running number."""
    named = [f"{n} ({d.name})" if names.count(n) > 1 and n != d.name else n for n, d in zip(names, dirs)]
    return [f"{n} #{named[:k].count(n) + 1}" if named.count(n) > 1 else n for k, n in enumerate(named)]


def _compare_metrics(requested: list[str] | None, summaries: list[pd.DataFrame], dirs: list[Path]) -> list[str]:
    """Metrics present in every run: the defaults that exist, or all of the requested ones."""
    common = set.intersection(*(set(s["metric"].unique()) for s in summaries))
    if requested is None:
        metrics = [m for m in COMPARE_METRICS if m in common]
        if not metrics:
            raise ValueError(f"none of the default metrics {', '.join(COMPARE_METRICS)} is in every summary.csv")
        return metrics
    for metric in requested:
        if metric not in common:
            lacking = next(d for d, s in zip(dirs, summaries) if metric not in set(s["metric"]))
            raise ValueError(f"{lacking / 'summary.csv'}: no metric {metric!r}; available: "
                             f"{', '.join(sorted(common))}")
    if not requested:
        raise ValueError("no metrics to compare; give at least one metric")
    return list(dict.fromkeys(requested))


def _comparison_frame(summaries: list[pd.DataFrame], names: list[str], metrics: list[str],
                      regions: list[str]) -> pd.DataFrame:
    """Tidy year, region, metric, scenario, mean, p05, p95, diff_from_reference."""
    keys = ["year", "region", "metric"]
    frames = []
    for summary, name in zip(summaries, names):
        part = summary.loc[summary["metric"].isin(metrics) & summary["region"].isin(regions),
                           [*keys, "mean", "p05", "p95"]].copy()
        part.insert(3, "scenario", name)
        frames.append(part)
    frame = pd.concat(frames, ignore_index=True)
    reference = frames[0][[*keys, "mean"]].rename(columns={"mean": "reference_mean"})
    frame = frame.merge(reference, on=keys, how="left")
    frame["diff_from_reference"] = frame["mean"] - frame["reference_mean"]
    frame = frame.drop(columns="reference_mean")
    frame["scenario"] = pd.Categorical(frame["scenario"], categories=names, ordered=True)
    frame["region"] = pd.Categorical(frame["region"], categories=regions, ordered=True)
    frame["metric"] = pd.Categorical(frame["metric"], categories=metrics, ordered=True)
    frame = frame.sort_values(["metric", "region", "scenario", "year"], ignore_index=True)
    return frame.astype({"scenario": str, "region": str, "metric": str})


def _grid(metrics: list[str], regions: list[str]) -> tuple[Figure, np.ndarray]:
    """Metric rows × region columns of axes, sized to stay legible."""
    return plt.subplots(len(metrics), len(regions), figsize=(16, 1.0 + 2.55 * len(metrics)),
                        layout="constrained", squeeze=False, sharex=True)


def _label_grid(axes: np.ndarray, metrics: list[str], regions: list[str], manifest: dict, difference: bool) -> None:
    """Region titles on the top row, metric meaning and unit on the left column, years at the bottom."""
    for j, region in enumerate(regions):
        axes[0, j].set_title(region, fontsize=13, fontweight="bold", color=REGION_COLOURS.get(region, "black"))
        axes[-1, j].set_xlabel("year")
    for i, metric in enumerate(metrics):
        meaning, unit = _metric_info(manifest, metric)
        shown = _difference_unit(unit) if difference else _display(unit)[1]
        label = f"Δ {meaning}" if difference else meaning
        axes[i, 0].set_ylabel(f"{_wrap(label, 28)}\n[{_wrap(shown, 28)}]", fontsize=10)


def _scenario_handles(names: Sequence[str], band: bool, offset: int = 0) -> list:
    """Legend handles for scenarios, in their comparison styles."""
    handles = [Line2D([], [], color=SCENARIO_COLOURS[(k + offset) % len(SCENARIO_COLOURS)],
                      linestyle=SCENARIO_LINESTYLES[(k + offset) % len(SCENARIO_LINESTYLES)], linewidth=2,
                      label=name) for k, name in enumerate(names)]
    if band:
        handles.append(Patch(facecolor="#777777", alpha=BAND_ALPHA * 2, label=BAND_LABEL))
    return handles


def _comparison_plot(frame: pd.DataFrame, names: list[str], metrics: list[str], regions: list[str],
                     manifest: dict, seeds: str, path: Path) -> Path:
    """``comparison.png``: every scenario's mean and band, metrics × regions."""
    fig, axes = _grid(metrics, regions)
    for i, metric in enumerate(metrics):
        factor = _display(_metric_info(manifest, metric)[1])[0]
        for j, region in enumerate(regions):
            ax = axes[i, j]
            cell = frame[(frame["metric"] == metric) & (frame["region"] == region)]
            for k, name in enumerate(names):
                _band(ax, cell[cell["scenario"] == name], factor, SCENARIO_COLOURS[k % len(SCENARIO_COLOURS)],
                      linestyle=SCENARIO_LINESTYLES[k % len(SCENARIO_LINESTYLES)])
            _style_axes(ax)
    _label_grid(axes, metrics, regions, manifest, difference=False)
    handles = _scenario_handles([f"{names[0]} (reference)", *names[1:]], band=True)
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False, fontsize=11)
    fig.suptitle(f"Scenario comparison by region — {seeds}", fontsize=14, fontweight="bold")
    return _save(fig, path)


def _difference_plot(frame: pd.DataFrame, names: list[str], metrics: list[str], regions: list[str],
                     manifest: dict, seeds: str, path: Path) -> Path:
    """``difference.png``: mean difference of each scenario from the reference, metrics × regions."""
    fig, axes = _grid(metrics, regions)
    others = names[1:]
    for i, metric in enumerate(metrics):
        factor = _display(_metric_info(manifest, metric)[1])[0]
        for j, region in enumerate(regions):
            ax = axes[i, j]
            ax.axhline(0, color="black", linewidth=0.9)
            cell = frame[(frame["metric"] == metric) & (frame["region"] == region)].dropna(
                subset=["diff_from_reference"])
            for k, name in enumerate(others, start=1):
                rows = cell[cell["scenario"] == name].sort_values("year")
                ax.plot(rows["year"].to_numpy(), rows["diff_from_reference"].to_numpy() * factor, linewidth=1.8,
                        color=SCENARIO_COLOURS[k % len(SCENARIO_COLOURS)],
                        linestyle=SCENARIO_LINESTYLES[k % len(SCENARIO_LINESTYLES)])
            _style_axes(ax)
    _label_grid(axes, metrics, regions, manifest, difference=True)
    handles = _scenario_handles([f"{n} − {names[0]}" for n in others], band=False, offset=1)
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False, fontsize=11)
    fig.suptitle(f"Difference from reference scenario {names[0]} (scenario − reference), {seeds.split(',')[0]}",
                 fontsize=14, fontweight="bold")
    return _save(fig, path)


def plot_compare(result_dirs: list[Path], metrics: list[str] | None, out_dir: Path) -> list[Path]:
    """Compare several results folders (the first is the reference); return the files written.

    Writes ``comparison.png`` (each scenario's mean and 5th–95th percentile band, metrics × regions),
    ``difference.png`` (scenario − reference means, when there are at least two scenarios) and
    ``comparison.csv`` (tidy). ``metrics=None`` uses the default metrics present in every run.
    Raises ``ValueError`` with a one-line message if a folder lacks ``summary.csv``, a requested
    metric is missing, or the scenarios' year ranges do not overlap.
    """
    dirs = [Path(d) for d in result_dirs]
    if not dirs:
        raise ValueError("no results folders to compare; give at least one")
    summaries = [_read_summary(d) for d in dirs]
    manifests = [_read_manifest(d) for d in dirs]
    names = _unique_names([_scenario_name(m, d) for m, d in zip(manifests, dirs)], dirs)
    spans = [(int(s["year"].min()), int(s["year"].max())) for s in summaries]
    if max(a for a, _ in spans) > min(b for _, b in spans):
        ranges = ", ".join(f"{n} {a}–{b}" for n, (a, b) in zip(names, spans))
        raise ValueError(f"the scenarios' year ranges do not overlap: {ranges}")
    chosen = _compare_metrics(metrics, summaries, dirs)
    regions = _regions(manifests[0])
    # Metric meanings and units from the first manifest that describes each metric.
    merged: dict = {"metrics": {}}
    for manifest in reversed(manifests):
        merged["metrics"].update(manifest.get("metrics") or {})
    frame = _comparison_frame(summaries, names, chosen, regions)
    seeds = _seeds_text(_seed_count(m) for m in manifests)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [_comparison_plot(frame, names, chosen, regions, merged, seeds, out_dir / "comparison.png")]
    if len(names) > 1:
        written.append(_difference_plot(frame, names, chosen, regions, merged, seeds, out_dir / "difference.png"))
    csv_path = out_dir / "comparison.csv"
    frame.to_csv(csv_path, index=False, float_format="%.8g")
    written.append(csv_path)
    return written
