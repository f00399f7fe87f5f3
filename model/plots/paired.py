"""Paired comparisons (issue 13): per-seed differences under common random numbers.

Replicate i of every scenario uses child i of the same root seed, so ``scenario_i - reference_i`` is
the policy's effect in one possible world, not noise between seeds. From the per-seed differences:

* ``differences_by_seed.csv``: seed, year, region, metric, scenario, difference, outlier;
* quantiles p05/p50/p95 of the differences (joined into ``comparison.csv`` by ``plot_compare``);
* ``difference.png``: median difference and its 5-95 % band, outlier seeds drawn and labelled;
* ``effect_per_yuan.csv`` / ``.png``: cumulative effect per yuan of cumulative extra public spending
  on the levers (metric ``policy_cost``).

An outlier seed is one whose final-year difference lies more than ``OUTLIER_Z`` robust z-scores
(median absolute deviation, scaled by 1.4826) from the median of the seeds; with fewer than
``MIN_SEEDS_FOR_OUTLIERS`` seeds none is flagged.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .style import BAND_ALPHA, REGION_COLOURS, difference_unit, display_scale, metric_info, save_png, style_axes, \
    wrap_text

KEYS = ["year", "region", "metric"]
OUTLIER_Z = 3.5
MIN_SEEDS_FOR_OUTLIERS = 5
SCENARIO_COLOURS = ("#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f")


def pairable(manifests: list[dict], dirs: list[Path]) -> bool:
    """True when every run has timeseries.csv and the same seeds (root and count) as the reference."""
    seeds = [m.get("seeds") if isinstance(m.get("seeds"), dict) else None for m in manifests]
    if any(s is None for s in seeds) or any((s.get("root"), s.get("count")) != (seeds[0].get("root"),
                                                                             seeds[0].get("count")) for s in seeds):
        return False
    return all((Path(d) / "timeseries.csv").is_file() for d in dirs)


def per_seed_differences(dirs: list[Path], names: list[str], metrics: list[str], regions: list[str]) -> pd.DataFrame:
    """Tidy seed, year, region, metric, scenario, difference (scenario minus reference, seed by seed)."""
    wanted = set(metrics) | {"policy_cost"}

    def read(d: Path) -> pd.DataFrame:
        ts = pd.read_csv(Path(d) / "timeseries.csv")
        return ts[ts["metric"].isin(wanted) & ts["region"].isin(regions)]

    ref = read(dirs[0]).rename(columns={"value": "reference"})
    parts = []
    for d, name in zip(dirs[1:], names[1:]):
        both = read(d).merge(ref, on=["seed", *KEYS], how="inner")
        both["difference"] = both["value"] - both["reference"]
        both.insert(4, "scenario", name)
        parts.append(both.drop(columns=["value", "reference"]))
    if not parts:
        return pd.DataFrame(columns=["seed", *KEYS, "scenario", "difference", "outlier"])
    out = pd.concat(parts, ignore_index=True)
    out["outlier"] = _outliers(out)
    return out.sort_values(["scenario", "metric", "region", "seed", "year"], ignore_index=True)


def _outliers(diff: pd.DataFrame) -> pd.Series:
    """Per (scenario, region, metric): seeds whose last-year difference is a robust outlier."""
    last = diff[diff["year"] == diff.groupby(["scenario", "region", "metric"])["year"].transform("max")]
    flagged = set()
    for (sc, region, metric), g in last.groupby(["scenario", "region", "metric"]):
        if len(g) < MIN_SEEDS_FOR_OUTLIERS:
            continue
        v = g["difference"].to_numpy()
        med = np.median(v)
        mad = 1.4826 * np.median(np.abs(v - med))
        if mad <= 1e-12 * max(1.0, abs(med)):
            continue
        for seed in g["seed"][np.abs(v - med) / mad > OUTLIER_Z]:
            flagged.add((sc, region, metric, int(seed)))
    keys = zip(diff["scenario"], diff["region"], diff["metric"], diff["seed"].astype(int))
    return pd.Series([k in flagged for k in keys], index=diff.index)


def difference_quantiles(diff: pd.DataFrame) -> pd.DataFrame:
    """year, region, metric, scenario, diff_p05, diff_p50, diff_p95, outlier_seeds."""
    g = diff.groupby([*KEYS, "scenario"], sort=False)
    out = pd.DataFrame({"diff_p05": g["difference"].quantile(0.05), "diff_p50": g["difference"].quantile(0.5),
                        "diff_p95": g["difference"].quantile(0.95)}).reset_index()
    flagged = diff[diff["outlier"]].groupby(["region", "metric", "scenario"])["seed"].agg(
        lambda s: " ".join(str(int(x)) for x in sorted(set(s))))
    out = out.merge(flagged.rename("outlier_seeds").reset_index(), on=["region", "metric", "scenario"], how="left")
    out["outlier_seeds"] = out["outlier_seeds"].astype(object).where(out["outlier_seeds"].notna(), "")
    return out


def difference_plot(diff: pd.DataFrame, names: list[str], metrics: list[str], regions: list[str], manifest: dict,
                    seeds: str, path: Path) -> Path:
    """``difference.png``: per metric and region, the median paired difference, its band, outlier seeds."""
    others = names[1:]
    fig, axes = plt.subplots(len(metrics), len(regions), figsize=(3.3 * len(regions) + 1, 1.0 + 2.55 * len(metrics)),
                             layout="constrained", squeeze=False, sharex=True)
    for i, metric in enumerate(metrics):
        meaning, unit = metric_info(manifest, metric)
        factor = display_scale(unit)[0]
        for j, region in enumerate(regions):
            ax = axes[i, j]
            ax.axhline(0, color="black", linewidth=0.9)
            cell = diff[(diff["metric"] == metric) & (diff["region"] == region)]
            for k, name in enumerate(others):
                colour = SCENARIO_COLOURS[k % len(SCENARIO_COLOURS)]
                rows = cell[cell["scenario"] == name]
                q = rows.groupby("year")["difference"].quantile([0.05, 0.5, 0.95]).unstack()
                if q.empty:
                    continue
                years = q.index.to_numpy()
                ax.fill_between(years, q[0.05] * factor, q[0.95] * factor, color=colour, alpha=BAND_ALPHA * 2,
                                linewidth=0)
                ax.plot(years, q[0.5] * factor, color=colour, linewidth=1.8)
                for seed, s in rows[rows["outlier"]].groupby("seed"):
                    s = s.sort_values("year")
                    ax.plot(s["year"], s["difference"] * factor, color=colour, linewidth=0.9, linestyle=":")
                    ax.annotate(f"seed {seed}", (s["year"].iloc[-1], s["difference"].iloc[-1] * factor),
                                fontsize=7, color=colour, xytext=(2, 0), textcoords="offset points")
            style_axes(ax)
            if i == 0:
                ax.set_title(region, fontsize=13, fontweight="bold", color=REGION_COLOURS.get(region, "black"))
            if i == len(metrics) - 1:
                ax.set_xlabel("year")
        axes[i, 0].set_ylabel(f"{wrap_text('Δ ' + meaning, 28)}\n[{wrap_text(difference_unit(unit), 28)}]",
                              fontsize=10)
    handles = [Line2D([], [], color=SCENARIO_COLOURS[k % len(SCENARIO_COLOURS)], linewidth=2,
                      label=f"{n} − {names[0]}: median over seeds") for k, n in enumerate(others)]
    handles += [Patch(facecolor="#777777", alpha=BAND_ALPHA * 2, label="5th–95th percentile of per-seed differences"),
                Line2D([], [], color="#777777", linestyle=":", label=f"outlier seed (|robust z| > {OUTLIER_Z:g})")]
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 4), frameon=False, fontsize=10)
    fig.suptitle(f"Paired difference from reference {names[0]} (seed i − seed i, common random numbers), "
                 f"{seeds.split(',')[0]}", fontsize=14, fontweight="bold")
    return save_png(fig, path)


def effect_per_yuan(diff: pd.DataFrame, metrics: list[str], regions: list[str]) -> pd.DataFrame:
    """Cumulative effect / cumulative extra policy cost (national), per seed, summarised by quantiles.

    Columns: scenario, region, metric, effect_p50 (cumulative difference over the run), cost_p50 (yi yuan,
    cumulative extra public spending on the levers, national), per_yi_yuan_p05/p50/p95 (effect per yi
    yuan of cost, quantiles over seeds). Rows only where the scenario spends more than the reference.
    """
    cost = diff[(diff["metric"] == "policy_cost") & (diff["region"] == "national")]
    cost = cost.groupby(["scenario", "seed"])["difference"].sum().rename("cost")
    effect = diff[diff["metric"].isin(metrics) & diff["region"].isin(regions)]
    effect = effect.groupby(["scenario", "region", "metric", "seed"])["difference"].sum().rename("effect")
    both = effect.reset_index().merge(cost.reset_index(), on=["scenario", "seed"])
    both = both[both["cost"] > 0]
    if both.empty:
        return pd.DataFrame(columns=["scenario", "region", "metric", "effect_p50", "cost_p50", "per_yi_yuan_p05",
                                     "per_yi_yuan_p50", "per_yi_yuan_p95", "seeds"])
    both["ratio"] = both["effect"] / both["cost"]
    g = both.groupby(["scenario", "region", "metric"], sort=False)
    return pd.DataFrame({"effect_p50": g["effect"].median(), "cost_p50": g["cost"].median(),
                         "per_yi_yuan_p05": g["ratio"].quantile(0.05), "per_yi_yuan_p50": g["ratio"].median(),
                         "per_yi_yuan_p95": g["ratio"].quantile(0.95), "seeds": g["ratio"].count()}).reset_index()


def effect_per_yuan_plot(table: pd.DataFrame, manifest: dict, path: Path) -> Path:
    """Horizontal bars: median effect per yi yuan of policy cost, with the 5-95 % range over seeds."""
    from matplotlib.ticker import MaxNLocator

    metrics = list(dict.fromkeys(table["metric"]))
    ncols = min(3, len(metrics))
    nrows = -(-len(metrics) // ncols)
    per_panel = max(1, len(table) // max(1, len(metrics)))
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 0.9 + nrows * (0.9 + 0.3 * per_panel)),
                             layout="constrained", squeeze=False)
    for ax in axes.flat[len(metrics):]:
        ax.set_visible(False)
    one = table["scenario"].nunique() == 1
    for ax, metric in zip(axes.flat, metrics):
        rows = table[table["metric"] == metric].reset_index(drop=True)
        labels = list(rows["region"]) if one else [f"{s} · {r}" for s, r in zip(rows["scenario"], rows["region"])]
        y = np.arange(len(rows))
        colours = [REGION_COLOURS.get(r, "#555555") for r in rows["region"]]
        ax.barh(y, rows["per_yi_yuan_p50"], color=colours, alpha=0.8)
        ax.errorbar(rows["per_yi_yuan_p50"], y, xerr=[rows["per_yi_yuan_p50"] - rows["per_yi_yuan_p05"],
                                                      rows["per_yi_yuan_p95"] - rows["per_yi_yuan_p50"]],
                    fmt="none", ecolor="black", capsize=3, linewidth=1)
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_yticks(y, labels, fontsize=8)
        ax.invert_yaxis()
        meaning, unit = metric_info(manifest, metric)
        ax.set_title(wrap_text(meaning, 40), fontsize=10)
        ax.set_xlabel(wrap_text(f"Δ summed over the years [{unit}] per yi yuan of extra policy cost", 56),
                      fontsize=9)
    title = "Effect per yuan of policy cost: Δ outcome summed over the run ÷ Δ public spending on the levers " \
            "(national, summed)"
    sub = f"{table['scenario'].iloc[0]} − reference; " if one else ""
    fig.suptitle(f"{title}\n{sub}bar: median over paired seeds; whiskers: 5th–95th percentile", fontsize=11,
                 fontweight="bold")
    return save_png(fig, path)
