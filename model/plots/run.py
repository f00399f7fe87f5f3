"""Figures of one run: ``dashboard.png``, ``transfer_heatmaps.png``, ``talent_flows.png`` and
``industrial_shares.png``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from .reading import (in_order, ordered_regions, read_flows, read_manifest, read_summary, scenario_name,
                      seed_count)
from .style import (REGION_COLOURS, display_scale, draw_band, metric_info, region_legend_handles, save_png,
                    seeds_text, style_axes, thousands, wrap_text)

SECTORS: tuple[str, ...] = ("energy_intensive", "labour_intensive", "equipment", "high_tech")
SKILLS: tuple[str, ...] = ("high", "general")
DASHBOARD_METRICS: tuple[str, ...] = (
    "gdp", "gdp_growth", "industrial_va_share", "manufacturing_share_gdp_nominal",
    "population", "net_migration_high", "wage_mean", "rd_intensity",
    "digital_adoption", "emissions", "firms", "relocations_out",
)
# National rows that are sums of the regions and would dwarf them on a shared axis.
NATIONAL_IS_SUM: frozenset[str] = frozenset({"gdp", "population", "emissions", "firms", "relocations_out"})
DIAGONAL_GREY = "#d9d9d9"


def _series_regions(metric: str, rows: pd.DataFrame, regions: Sequence[str]) -> list[str]:
    """Regions to draw for a dashboard metric: national only where it is informative."""
    national = rows[rows["region"] == "national"]
    if metric in NATIONAL_IS_SUM or national.empty or np.ptp(national["mean"].to_numpy()) == 0:
        return list(regions)  # a sum that dwarfs the regions, or a constant (share = 1, net flow = 0)
    return [*regions, "national"]


def _dashboard(summary: pd.DataFrame, manifest: dict, name: str, regions: list[str], path: Path) -> Path:
    """``dashboard.png``: key metrics by region with seed bands."""
    have = set(summary["metric"])
    # manufacturing VA / GDP at current prices, as the calibration target; older results only have the real share
    metrics = [m if m in have or m != "manufacturing_share_gdp_nominal" else "manufacturing_share_gdp"
               for m in DASHBOARD_METRICS]
    metrics = [m for m in metrics if m in have]
    if not metrics:  # an unusual run: show whatever it has
        metrics = sorted(summary["metric"].unique())[:12]
    ncols = 4
    nrows = max(1, -(-len(metrics) // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(16, max(3.7 * nrows, 5)), layout="constrained", squeeze=False)
    drew_national = False
    for ax, metric in zip(axes.flat, metrics):
        rows = summary[summary["metric"] == metric]
        meaning, unit = metric_info(manifest, metric)
        factor, shown = display_scale(unit)
        for region in _series_regions(metric, rows, regions):
            drew_national |= region == "national"
            draw_band(ax, rows[rows["region"] == region], factor, REGION_COLOURS.get(region, "#777777"),
                  linestyle="--" if region == "national" else "-")
        ax.set_title(wrap_text(meaning, 38), fontsize=11)
        ax.set_ylabel(shown)
        style_axes(ax)
    for ax in axes.flat[len(metrics):]:
        ax.set_visible(False)
    handles = region_legend_handles(regions)
    if drew_national:
        handles.insert(len(regions), Line2D([], [], color=REGION_COLOURS["national"], linestyle="--",
                                            linewidth=2, label="national (where not a sum of regions)"))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False, fontsize=11)
    fig.suptitle(f"Scenario {name}: key metrics by region — {seeds_text([seed_count(manifest)])}",
                 fontsize=14, fontweight="bold")
    return save_png(fig, path)


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
             title: str, fmt: str = "{:,.0f}") -> AxesImage:
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
    style_axes(ax, years=False)
    ax.grid(False, axis="x")


def _transfer_heatmaps(flows: pd.DataFrame, name: str, regions: list[str], years: str, path: Path) -> Path:
    """``transfer_heatmaps.png``: cumulative firm relocations per sector, jobs moved, net balance."""
    firms = _cumulative(flows, "firms")
    sectors = in_order(firms["category"].unique(), SECTORS) or list(SECTORS)
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
        top.colorbar(image, ax=list(firm_axes), shrink=0.9, format=FuncFormatter(thousands),
                     label="firms relocated\n(cumulative, mean over seeds)")

    ax_jobs, ax_net = bottom.subplots(1, 2, width_ratios=[1.0, 1.25])
    jobs_image = _heatmap(ax_jobs, jobs_matrix, regions, _norm([jobs_matrix]), "PuBu",
                          "Jobs moved with relocating firms, all sectors")
    bottom.colorbar(jobs_image, ax=ax_jobs, shrink=0.9, format=FuncFormatter(thousands),
                    label="jobs moved\n(cumulative, thousand persons, mean over seeds)")
    _net_firm_balance(ax_net, firms, regions)
    fig.suptitle(f"Scenario {name}: industrial transfer between regions, cumulative {years}, "
                 f"mean over seeds (diagonal = no move)", fontsize=14, fontweight="bold")
    return save_png(fig, path)


def _talent_flows(flows: pd.DataFrame, summary: pd.DataFrame, manifest: dict, name: str, regions: list[str],
                  years: str, path: Path) -> Path:
    """``talent_flows.png``: cumulative talent moves by skill, and net high-skill migration over time."""
    talent = _cumulative(flows, "talent")
    skills = in_order(talent["category"].unique(), SKILLS) or list(SKILLS)
    fig = plt.figure(figsize=(19, 6.2), layout="constrained")
    grid = fig.add_gridspec(1, len(skills) + 1, width_ratios=[1.0] * len(skills) + [1.25])
    for k, skill in enumerate(skills):
        ax = fig.add_subplot(grid[0, k])
        matrix = _matrix(talent, regions, [skill]) / 1000.0
        image = _heatmap(ax, matrix, regions, _norm([matrix]), "YlGnBu", f"{skill.capitalize()}-skill talent moved")
        fig.colorbar(image, ax=ax, shrink=0.75, format=FuncFormatter(thousands),
                     label="thousand people (cumulative, mean over seeds)")

    ax = fig.add_subplot(grid[0, len(skills)])
    rows = summary[summary["metric"] == "net_migration_high"]
    meaning, unit = metric_info(manifest, "net_migration_high")
    factor, shown = display_scale(unit or "thousand people/yr")
    for region in regions:
        draw_band(ax, rows[rows["region"] == region], factor, REGION_COLOURS.get(region, "#777777"), label=region)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_title(wrap_text(f"{meaning} ({seeds_text([seed_count(manifest)])})", 60), fontsize=11)
    ax.set_ylabel(shown)
    ax.set_xlabel("year")
    style_axes(ax)
    if rows.empty:
        ax.text(0.5, 0.5, "net_migration_high not in summary.csv", transform=ax.transAxes, ha="center")
    else:
        ax.legend(handles=region_legend_handles(regions), fontsize=9, frameon=False, loc="best")
    fig.suptitle(f"Scenario {name}: talent flows between regions (heatmaps: cumulative {years}, mean over seeds; "
                 f"diagonal = no move)",
                 fontsize=14, fontweight="bold")
    return save_png(fig, path)


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
    meaning, _unit = metric_info(manifest, "industrial_va_share")
    style_axes(ax)
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
                 f"(stacked mean over {seed_count(manifest) or 'all'} seeds; first and last year marked)",
                 fontsize=13)
    return save_png(fig, path)


def plot_run(result_dir: Path, plots_dir: Path) -> list[Path]:
    """Draw the standard figures of one results folder into ``plots_dir``; return their paths.

    Writes ``dashboard.png``, ``transfer_heatmaps.png``, ``talent_flows.png`` and
    ``industrial_shares.png``. Raises ``ValueError`` if ``summary.csv`` or ``flows.csv`` is missing.
    """
    result_dir, plots_dir = Path(result_dir), Path(plots_dir)
    summary = read_summary(result_dir)
    flows = read_flows(result_dir)
    manifest = read_manifest(result_dir)
    name = scenario_name(manifest, result_dir)
    regions = ordered_regions(manifest)
    first, last = int(summary["year"].min()), int(summary["year"].max())
    years = f"{first}–{last}"
    plots_dir.mkdir(parents=True, exist_ok=True)
    return [
        _dashboard(summary, manifest, name, regions, plots_dir / "dashboard.png"),
        _transfer_heatmaps(flows, name, regions, years, plots_dir / "transfer_heatmaps.png"),
        _talent_flows(flows, summary, manifest, name, regions, years, plots_dir / "talent_flows.png"),
        _industrial_shares(summary, manifest, name, regions, plots_dir / "industrial_shares.png"),
    ]
