"""Figures comparing several runs: ``comparison.png`` and ``difference.png`` (plus ``comparison.csv``),
the first run being the reference."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .paired import (difference_plot, difference_quantiles, effect_per_yuan, effect_per_yuan_plot, pairable,
                     per_seed_differences)
from .reading import ordered_regions, read_manifest, read_summary, scenario_name, seed_count
from .style import (BAND_ALPHA, BAND_LABEL, REGION_COLOURS, difference_unit, display_scale, draw_band,
                    metric_info, save_png, seeds_text, style_axes, wrap_text)

COMPARE_METRICS: tuple[str, ...] = (
    "gdp", "industrial_va_share", "population", "rd_intensity", "digital_adoption", "emissions",
)
# Scenario styles for comparisons: deliberately not the region colours.
SCENARIO_COLOURS: tuple[str, ...] = ("#222222", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f")
SCENARIO_LINESTYLES: tuple[str, ...] = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (8, 2)))


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
        meaning, unit = metric_info(manifest, metric)
        shown = difference_unit(unit) if difference else display_scale(unit)[1]
        label = f"Δ {meaning}" if difference else meaning
        axes[i, 0].set_ylabel(f"{wrap_text(label, 28)}\n[{wrap_text(shown, 28)}]", fontsize=10)


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
        factor = display_scale(metric_info(manifest, metric)[1])[0]
        for j, region in enumerate(regions):
            ax = axes[i, j]
            cell = frame[(frame["metric"] == metric) & (frame["region"] == region)]
            for k, name in enumerate(names):
                draw_band(ax, cell[cell["scenario"] == name], factor, SCENARIO_COLOURS[k % len(SCENARIO_COLOURS)],
                      linestyle=SCENARIO_LINESTYLES[k % len(SCENARIO_LINESTYLES)])
            style_axes(ax)
    _label_grid(axes, metrics, regions, manifest, difference=False)
    handles = _scenario_handles([f"{names[0]} (reference)", *names[1:]], band=True)
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False, fontsize=11)
    fig.suptitle(f"Scenario comparison by region — {seeds}", fontsize=14, fontweight="bold")
    return save_png(fig, path)


def _difference_plot(frame: pd.DataFrame, names: list[str], metrics: list[str], regions: list[str],
                     manifest: dict, seeds: str, path: Path) -> Path:
    """``difference.png``: mean difference of each scenario from the reference, metrics × regions."""
    fig, axes = _grid(metrics, regions)
    others = names[1:]
    for i, metric in enumerate(metrics):
        factor = display_scale(metric_info(manifest, metric)[1])[0]
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
            style_axes(ax)
    _label_grid(axes, metrics, regions, manifest, difference=True)
    handles = _scenario_handles([f"{n} − {names[0]}" for n in others], band=False, offset=1)
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False, fontsize=11)
    fig.suptitle(f"Difference from reference scenario {names[0]} (scenario − reference), {seeds.split(',')[0]}",
                 fontsize=14, fontweight="bold")
    return save_png(fig, path)


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
    summaries = [read_summary(d) for d in dirs]
    manifests = [read_manifest(d) for d in dirs]
    names = _unique_names([scenario_name(m, d) for m, d in zip(manifests, dirs)], dirs)
    spans = [(int(s["year"].min()), int(s["year"].max())) for s in summaries]
    if max(a for a, _ in spans) > min(b for _, b in spans):
        ranges = ", ".join(f"{n} {a}–{b}" for n, (a, b) in zip(names, spans))
        raise ValueError(f"the scenarios' year ranges do not overlap: {ranges}")
    chosen = _compare_metrics(metrics, summaries, dirs)
    regions = ordered_regions(manifests[0])
    if all("national" in set(s["region"]) for s in summaries):  # national rows and a national column (issue 13)
        regions = [*regions, "national"]
    # Metric meanings and units from the first manifest that describes each metric.
    merged: dict = {"metrics": {}}
    for manifest in reversed(manifests):
        merged["metrics"].update(manifest.get("metrics") or {})
    frame = _comparison_frame(summaries, names, chosen, regions)
    seeds = seeds_text(seed_count(m) for m in manifests)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [_comparison_plot(frame, names, chosen, regions, merged, seeds, out_dir / "comparison.png")]
    paired = len(names) > 1 and pairable(manifests, dirs)
    if paired:  # per-seed differences under common random numbers (issue 13)
        diff = per_seed_differences(dirs, names, chosen, regions)
        shown = diff[diff["metric"].isin(chosen)]
        frame = frame.merge(difference_quantiles(shown), on=["year", "region", "metric", "scenario"], how="left")
        shown.to_csv(out_dir / "differences_by_seed.csv", index=False, float_format="%.8g")
        written.append(out_dir / "differences_by_seed.csv")
        written.append(difference_plot(shown, names, chosen, regions, merged, seeds, out_dir / "difference.png"))
        per_yuan = effect_per_yuan(diff, chosen, regions)
        if not per_yuan.empty:
            per_yuan.to_csv(out_dir / "effect_per_yuan.csv", index=False, float_format="%.8g")
            written += [out_dir / "effect_per_yuan.csv",
                        effect_per_yuan_plot(per_yuan, merged, out_dir / "effect_per_yuan.png")]
    elif len(names) > 1:
        written.append(_difference_plot(frame, names, chosen, regions, merged, seeds, out_dir / "difference.png"))
    csv_path = out_dir / "comparison.csv"
    frame.to_csv(csv_path, index=False, float_format="%.8g")
    written.append(csv_path)
    return written
