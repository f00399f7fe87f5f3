"""Figures of `geese explore`: feature scores, the PRIM peeling trade-off, the PRIM box, outcomes.

They read only the frames `geese explore` writes (experiments.csv, feature_scores.csv,
prim_trajectory.csv, prim_box.csv, inputs.csv), so they can be redrawn from archived results.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .style import save_png, style_axes, wrap_text

OK_COLOUR, FAIL_COLOUR = "#2ca02c", "#999999"


def _unit(label: str) -> str:
    from ..recorder import METRICS

    metric = label.split(":")[0]
    return METRICS[metric][0] if metric in METRICS else ""


def _short(label: str) -> str:
    parts = label.split(":")
    return f"{parts[0]}\n{parts[1]} {parts[2]}" if len(parts) == 3 else label


def feature_scores(scores: pd.DataFrame, title: str, path: Path) -> Path:
    """Heat map: inputs (rows) x outcomes and the criterion (columns); each column sums to one."""
    cols = list(scores.columns)
    fig, ax = plt.subplots(figsize=(2.2 + 1.6 * len(cols), 1.6 + 0.42 * len(scores)), layout="constrained")
    vals = scores.to_numpy(dtype=float)
    im = ax.imshow(vals, cmap="viridis", vmin=0, vmax=max(0.5, float(np.nanmax(vals))), aspect="auto")
    for (i, j), v in np.ndenumerate(vals):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=8,
                    color="white" if v < 0.6 * max(0.5, float(np.nanmax(vals))) else "black")
    ax.set_xticks(range(len(cols)), [("success criterion\n(classification)" if c == "criterion" else _short(c))
                                     for c in cols], fontsize=8)
    ax.set_yticks(range(len(scores)), scores.index, fontsize=8)
    ax.set_xlabel("outcome (metric, region, year)", fontsize=9)
    ax.set_ylabel("input (uncertainty or lever)", fontsize=9)
    cb = fig.colorbar(im, ax=ax, shrink=0.9)
    cb.set_label("feature score (each column sums to 1)", fontsize=9)
    ax.set_title(wrap_text(title, 16 + 12 * len(cols)), fontsize=10, fontweight="bold")
    return save_png(fig, path)


def prim_tradeoff(traj: pd.DataFrame, criterion: str, path: Path) -> Path:
    """The peeling trajectory: coverage against density, coloured by restricted dimensions; the chosen box."""
    fig, ax = plt.subplots(figsize=(7, 5.2), layout="constrained")
    dims = traj["res_dim"].astype(int)
    cmap = plt.get_cmap("viridis", max(1, dims.max()) + 1)
    sc = ax.scatter(traj["coverage"], traj["density"], c=dims, cmap=cmap, vmin=-0.5, vmax=dims.max() + 0.5, s=30,
                    zorder=3)
    pick = traj[traj["chosen"]]
    if len(pick):
        r = pick.iloc[0]
        ax.scatter([r["coverage"]], [r["density"]], s=180, facecolors="none", edgecolors="#d62728", linewidths=2,
                   zorder=4, label=f"chosen box (step {int(r['step'])}): coverage {r['coverage']:.2f}, "
                                   f"density {r['density']:.2f}")
        ax.legend(loc="lower left", fontsize=8, frameon=False)
    cb = fig.colorbar(sc, ax=ax, ticks=range(0, int(dims.max()) + 1))
    cb.set_label("restricted dimensions (inputs the box limits)")
    ax.set_xlim(0, 1.05)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("coverage: share of all successful experiments inside the box (1)")
    ax.set_ylabel("density: share of the box's experiments that succeed (1)")
    ax.set_title(wrap_text(f"PRIM peeling trajectory — success: {criterion}", 70), fontsize=10, fontweight="bold")
    style_axes(ax, years=False)
    return save_png(fig, path)


def prim_box(box: pd.DataFrame, stats: dict, criterion: str, path: Path) -> Path:
    """Each restricted input: its sampled range (grey) and the box's limits (coloured), in the input's own units."""
    n = max(1, len(box))
    fig, ax = plt.subplots(figsize=(8, 2.4 + 0.6 * n), layout="constrained")
    for i, r in enumerate(box.itertuples()):
        span = r.sampled_max - r.sampled_min
        a, b = (r.box_min - r.sampled_min) / span, (r.box_max - r.sampled_min) / span
        ax.barh(i, 1.0, left=0, color="#e5e5e5", height=0.5)
        sig = bool(getattr(r, "significant", True))
        ax.barh(i, b - a, left=a, color="#1f77b4" if sig else "#aec7e8", height=0.5, hatch=None if sig else "//",
                edgecolor="#1f77b4")
        ax.text(a, i - 0.3, f"{r.box_min:.3g}", ha="center", va="bottom", fontsize=8, color="#1f77b4")
        ax.text(b, i - 0.3, f"{r.box_max:.3g}", ha="center", va="bottom", fontsize=8, color="#1f77b4")
        ax.text(-0.01, i, f"{r.sampled_min:.3g}", ha="right", va="center", fontsize=7, color="#555555")
        ax.text(1.01, i, f"{r.sampled_max:.3g}", ha="left", va="center", fontsize=7, color="#555555")
    ax.set_yticks(range(len(box)), list(box["dimension"]), fontsize=8)
    ax.set_xlim(-0.12, 1.12)
    ax.set_ylim(-0.75, n - 0.45)
    ax.invert_yaxis()
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["sampled\nminimum", "25 %", "50 %", "75 %", "sampled\nmaximum"],
                  fontsize=8)
    ax.set_xlabel("position inside the sampled range of each input (box limits labelled in the input's units)",
                  fontsize=9)
    from matplotlib.patches import Patch

    fig.legend(handles=[Patch(color="#e5e5e5", label="sampled range (grey labels)"),
                        Patch(color="#1f77b4", label="PRIM box (blue labels), quasi-p < 0.05"),
                        Patch(facecolor="#aec7e8", edgecolor="#1f77b4", hatch="//",
                              label="restriction not significant (quasi-p >= 0.05)")],
               loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    sub = (f"coverage {stats.get('coverage', float('nan')):.2f}, density {stats.get('density', float('nan')):.2f}, "
           f"{stats.get('cases_of_interest', '?')} of {stats.get('experiments', '?')} experiments succeed")
    ax.set_title(wrap_text(f"PRIM box where {criterion}", 80) + f"\n{sub}", fontsize=10, fontweight="bold")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return save_png(fig, path)


def outcomes(experiments: pd.DataFrame, scores: pd.DataFrame | None, labels: list[str], criterion: str | None,
             path: Path) -> Path:
    """Each outcome against its highest-scoring input; experiments coloured by the success criterion."""
    from .style import display_scale

    labels = labels[:4]
    fig, axes = plt.subplots(1, len(labels), figsize=(4.6 * len(labels), 4.2), layout="constrained", squeeze=False)
    ok = experiments[~experiments["failed"].astype(bool)]
    for ax, lab in zip(axes[0], labels):
        if scores is not None and lab in scores.columns:
            x = scores[lab].idxmax()
        else:
            x = next(c for c in experiments.columns if c not in ("experiment",))
        factor, unit = display_scale(_unit(lab))
        if criterion is not None and "criterion" in ok:
            for val, colour, name in ((1.0, OK_COLOUR, "criterion met"), (0.0, FAIL_COLOUR, "criterion not met")):
                sel = ok[ok["criterion"] == val]
                ax.scatter(sel[x], sel[lab] * factor, s=14, color=colour, label=name, alpha=0.8)
        else:
            ax.scatter(ok[x], ok[lab] * factor, s=14, color="#1f77b4")
        ax.set_xlabel(wrap_text(f"{x} (highest feature score)", 40), fontsize=9)
        m, r, y = lab.split(":")
        ax.set_ylabel(wrap_text(f"{m}, {r} {y} [{unit}]", 45), fontsize=9)
        ax.set_title(wrap_text(f"{m} in {r}, {y}", 40), fontsize=10)
        style_axes(ax, years=False)
    handles, names = axes[0, 0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, names, loc="outside lower center", ncol=2, frameon=False, fontsize=9)
    fig.suptitle(wrap_text("Outcomes of the experiments (seed means)" +
                           (f" — success: {criterion}" if criterion else ""), 90), fontsize=11, fontweight="bold")
    return save_png(fig, path)
