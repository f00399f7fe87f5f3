"""The target table, the calibration report and figure, and `geese targets`."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np

from ..runner import default_workers
from .loss import passes, simulate
from .targets import Targets, bounds_of, load_targets

PASS_SHARE = 0.8


def write_text_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.chmod(tmp, 0o644)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def target_table(t: Targets, sims: np.ndarray) -> list[dict]:
    rows = []
    for j, m in enumerate(t.moments):
        col = sims[:, j]
        mean = float(col.mean())
        if m.kind == "value":
            want = f"{m.target:.4g} ± {m.tolerance:.2g}"
        elif m.kind == "bound":
            want = f"<= {m.upper:.4g}" if m.upper is not None else f">= {m.lower:.4g}"
        else:
            want = "margin > 0"
        rows.append({"id": m.id, "figure": m.figure, "kind": m.kind, "target": want, "mean": mean,
                     "p05": float(np.quantile(col, 0.05)), "p95": float(np.quantile(col, 0.95)),
                     "pass": passes(m, mean)})
    return rows


def format_table(rows: list[dict]) -> str:
    lines = [f"{'moment':<40} {'target':>18} {'simulated':>11} {'band p05-p95':>23}  result"]
    for r in rows:
        lines.append(f"{r['id']:<40} {r['target']:>18} {r['mean']:>11.4g} "
                     f"{'[' + format(r['p05'], '.4g') + ', ' + format(r['p95'], '.4g') + ']':>23}  "
                     f"{'pass' if r['pass'] else 'MISS'}")
    n_pass = sum(r["pass"] for r in rows)
    lines.append(f"{n_pass}/{len(rows)} targets within tolerance ({n_pass / len(rows):.0%}; "
                 f"at least {PASS_SHARE:.0%} required)")
    return "\n".join(lines)


def write_report(path: Path, t: Targets, rows: list[dict], header: dict) -> None:
    lines = ["# Calibration report", "",
             f"Fitted {header['date']} at scale `{header['scale']}` with {header['seeds']} seeds "
             f"(common random numbers), {header['evaluations']} evaluations, loss {header['loss']:.4g}, "
             f"commit `{header['git_commit']}`, wall time {header['wall_seconds']:.0f} s.", "",
             "Moments are computed on the baseline scenario; the band is the 5th-95th percentile over seeds.", "",
             "| moment | figure | kind | target | simulated mean | band (p05-p95) | result |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['id']} | {r['figure']} | {r['kind']} | {r['target']} | {r['mean']:.4g} | "
                     f"{r['p05']:.4g} to {r['p95']:.4g} | {'pass' if r['pass'] else '**miss**'} |")
    n_pass = sum(r["pass"] for r in rows)
    lines += ["", f"**{n_pass} of {len(rows)} targets pass ({n_pass / len(rows):.0%}).**", "",
              "## Fitted parameters", "", "| parameter | value | bounds |", "|---|---|---|"]
    for fp, b, v in zip(t.free_parameters, bounds_of(t), header["values"].values()):
        lines.append(f"| `{fp.name}` | {v:.4g} | [{b[0]:g}, {b[1]:g}] |")
    write_text_atomic(path, "\n".join(lines) + "\n")


def plot_fit(path: Path, t: Targets, rows: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 0.42 * len(rows) + 1.6), dpi=120)
    ys = np.arange(len(rows))[::-1]
    for y, m, r in zip(ys, t.moments, rows):
        if m.kind == "value":
            norm = lambda v: (v - m.target) / m.tolerance  # noqa: E731
        elif m.kind == "bound":
            lim = m.upper if m.upper is not None else m.lower
            sign = 1 if m.upper is not None else -1
            norm = lambda v, lim=lim, sign=sign: sign * (v - lim) / m.scale  # noqa: E731
        else:
            norm = lambda v: -v / m.scale  # noqa: E731
        lo, hi = sorted((norm(r["p05"]), norm(r["p95"])))
        colour = "#2ca02c" if r["pass"] else "#d62728"
        ax.plot([max(lo, -6), min(hi, 6)], [y, y], color=colour, lw=5, alpha=0.35, solid_capstyle="butt")
        ax.plot(np.clip(norm(r["mean"]), -6, 6), y, "o", color=colour)
    ax.axvspan(-1, 1, color="#cccccc", alpha=0.4, label="within tolerance (value moments)")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(ys, [f"{r['id']} ({r['kind']})" for r in rows], fontsize=8)
    ax.set_xlim(-6.2, 6.2)
    ax.set_xlabel("simulated − target, in tolerances (value) or penalty scales (bounds: + is a breach; "
                  "ordinal: + is the wrong order)", fontsize=8)
    ax.set_title("Calibration targets against the simulated baseline (dot = mean over seeds, bar = 5th–95th pct)",
                 fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def targets_command(a: argparse.Namespace) -> int:
    """`geese targets`: the baseline with the parameters of ``a.params``, against the targets."""
    t = load_targets(a.targets)
    sims = simulate({}, t, a.scale, a.seeds, calibrated=a.params, workers=a.workers or default_workers())
    rows = target_table(t, sims)
    print(f"baseline at scale {a.scale}, {a.seeds} seeds, parameters from {a.params}")
    print(format_table(rows))
    return 0 if sum(r["pass"] for r in rows) >= PASS_SHARE * len(rows) else 1
