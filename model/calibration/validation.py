"""One validation report (`geese check`): ``calibration/validation.md`` and ``calibration/validation.png``.

Every moment of ``calibration/targets.yaml`` — the seed figures, the plausibility requirements and the
stylised facts — with its source, the simulated value at the posterior mean (``calibration/params.yaml``,
mean over seeds), the seed band at the posterior mean, the band over posterior draws x seeds (parameter
and seed uncertainty), and pass or miss; then the policy accounting (effects per yuan of fiscal cost with
paired seed bands). Pass/miss is judged at the posterior mean (mean over seeds), as the issue asks; the
exit status follows ``report.verdict`` (>= 90% of seed moments, every requirement and fact), the same rule
as `geese targets`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

import numpy as np

from ..runner import ReplicatePool, default_workers
from .loss import MODEL_FAILURES, simulate_candidates
from .report import target_table, verdict, write_text_atomic
from .targets import Moment, Targets, _figures, load_targets

GROUP_TITLES = {"seed": "Figures of the source documents (seeds/)", "plausibility": "Plausibility requirements (out of sample, to 2035)",
                "fact": "Stylised facts of firm dynamics (issue 8)"}


def source_of(m: Moment, figures: dict[str, dict]) -> str:
    if m.group == "seed" and m.figure in figures:
        f = figures[m.figure]
        what = f"'{f.get('ordinal')}'" if f.get("value") is None else f"{f.get('value')} {f.get('unit', '')}"
        return f"`{m.figure}` ({f.get('source', '?')}: {what}, {f.get('year')})"
    return (m.source or "").replace("\n", " ").replace("|", "/")


def covers(m: Moment, lo: float, hi: float, point: bool = False) -> bool:
    """The band (parameter x seed uncertainty) reaches the target's interval (target +- tolerance, the
    figure's own uncertainty, as a bound's band must reach into the bound), or with ``point`` includes the
    point target itself (the stricter column: a near-deterministic output such as national GDP growth,
    which follows the data path, has a band narrower than the figure's measurement error)."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return False
    if m.kind == "value":
        reach = 1e-9 * max(1.0, abs(m.target)) + (0.0 if point else m.tolerance)  # type: ignore[arg-type, operator]
        return lo - reach <= m.target <= hi + reach  # type: ignore[operator]
    if m.kind == "bound":
        return (m.upper is None or lo <= m.upper) and (m.lower is None or hi >= m.lower)
    return hi > 0


def build_rows(t: Targets, at_mean: np.ndarray, draws: np.ndarray | None) -> list[dict]:
    rows = target_table(t, at_mean)
    for r, m, j in zip(rows, t.moments, range(len(t.moments))):
        col = draws[:, j] if draws is not None and len(draws) else at_mean[:, j]
        fin = col[np.isfinite(col)]
        r["b05"], r["b95"] = (float(np.quantile(fin, 0.05)), float(np.quantile(fin, 0.95))) if len(fin) else (np.nan, np.nan)
        r["covers"] = covers(m, r["b05"], r["b95"])
        r["covers_point"] = covers(m, r["b05"], r["b95"], point=True)
    return rows


def write_markdown(path: Path, t: Targets, rows: list[dict], header: list[str], policy: str | None,
                   robust: list[dict] | None = None) -> None:
    figures = _figures()
    ok, summary = verdict(rows)
    reach = sum(r["covers"] for r in rows)
    lines = ["# Validation report", "", *header, "",
             f"**Verdict: {summary}.** The draws x seeds band reaches {reach} of {len(rows)} targets. Pass or miss is judged at the posterior mean (mean over seeds); "
             "'band covers' says whether the band over posterior draws x seeds (5th to 95th percentile) reaches the "
             "target's interval (target +- tolerance) or into the bound; 'covers the point' whether it includes the "
             "point target itself.", "", "![validation](validation.png)", ""]
    for g, title in GROUP_TITLES.items():
        gr = [(r, m) for r, m in zip(rows, t.moments) if m.group == g]
        if not gr:
            continue
        n = sum(r["pass"] for r, _ in gr)
        lines += [f"## {title}: {n} of {len(gr)} pass", "",
                  "| moment | source | requirement | at posterior mean | seed band | draws x seeds band | result | band covers "
                  "| covers the point |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for r, m in gr:
            lines.append(f"| `{m.id}` | {source_of(m, figures)} | {r['target']} | {r['mean']:.4g} | "
                         f"{r['p05']:.4g} to {r['p95']:.4g} | {r['b05']:.4g} to {r['b95']:.4g} | "
                         f"{'pass' if r['pass'] else '**miss**'} | {'yes' if r['covers'] else 'no'} | "
                         f"{'yes' if r['covers_point'] else ('no' if m.kind == 'value' else '')} |")
        lines.append("")
    if robust:
        from .accounting import format_robustness

        n = sum(r["pass"] for r in robust)
        lines += [f"## Robustness to seeds (issue 9): {n} of {len(robust)} pass", "",
                  "At the posterior mean, over the seeds of this report (common random numbers, paired scenario - "
                  "baseline effects). These are issue 9's noise requirements: reported beside the verdict, not "
                  "counted in it (they measure seed noise at the report's scale and seed count, not the fit).", "",
                  format_robustness(robust), ""]
    if t.not_moments:
        lines += [f"## Catalogued figures that are not moments ({len(t.not_moments)})", "",
                  "| figure | reason |", "|---|---|"]
        lines += [f"| `{nm.figure}` | {nm.reason} |" for nm in t.not_moments]
        lines.append("")
    if t.fixed_parameters:
        lines += ["## Parameters fixed at sourced values (not identified by the moments)", "",
                  "| parameter | reason |", "|---|---|"]
        lines += [f"| `{fx.name}` | {fx.reason} |" for fx in t.fixed_parameters]
        lines.append("")
    if policy:
        lines += ["## Policy accounting: effect per yuan of fiscal cost", "",
                  "Every lever books its fiscal cost (business environment at its subsidy equivalent, digital "
                  "infrastructure, tech transfer, R&D, digital and relocation subsidies, wage top-ups). Mean over "
                  "seeds [5th, 95th percentile of the paired scenario - baseline differences]; GDP in 2012 prices, "
                  "cumulative 2025-2035.", "", policy, ""]
    write_text_atomic(path, "\n".join(lines) + "\n")


def plot_validation(path: Path, t: Targets, rows: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def norm(m: Moment, v: float) -> float:
        if m.kind == "value":
            return (v - m.target) / m.tolerance  # type: ignore[operator]
        if m.kind == "bound":
            ex = []
            if m.upper is not None:
                ex.append((v - m.upper) / m.scale)
            if m.lower is not None:
                ex.append((m.lower - v) / m.scale)
            return max(ex)
        return -v / m.scale

    fig, ax = plt.subplots(figsize=(10, 0.3 * len(rows) + 2.0), dpi=110)
    ys = np.arange(len(rows))[::-1]
    colours = {"seed": "#1f77b4", "plausibility": "#9467bd", "fact": "#8c564b"}
    for y, m, r in zip(ys, t.moments, rows):
        c = "#2ca02c" if r["pass"] else "#d62728"
        lo, hi = sorted((norm(m, r["b05"]), norm(m, r["b95"]))) if np.isfinite(r["b05"]) else (np.nan, np.nan)
        ax.plot([max(lo, -6), min(hi, 6)], [y, y], color=c, lw=6, alpha=0.25, solid_capstyle="butt")
        slo, shi = sorted((norm(m, r["p05"]), norm(m, r["p95"])))
        ax.plot([max(slo, -6), min(shi, 6)], [y, y], color=c, lw=2, alpha=0.8)
        ax.plot(np.clip(norm(m, r["mean"]), -6, 6), y, "o", color=c, ms=4)
    ax.axvspan(-1, 1, color="#dddddd", alpha=0.5)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(ys, [m.id for m in t.moments], fontsize=6)
    for lab, m in zip(ax.get_yticklabels(), t.moments):
        lab.set_color(colours[m.group])
    ax.set_xlim(-6.3, 6.3)
    ax.set_xlabel("value: (simulated - target) / tolerance;  bound and ordinal: breach / scale (> 0 misses)", fontsize=8)
    ok, summary = verdict(rows)
    ax.set_title(f"Validation at the posterior mean (dot; thin bar: seeds; thick bar: posterior draws x seeds)\n"
                 f"labels: blue seed figures, purple plausibility, brown stylised facts\n{summary}", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def check_command(a: argparse.Namespace) -> int:
    from .accounting import ROBUSTNESS_ONLY, SCENARIOS, format_effects, policy_effects, robustness, run_policy_set
    from .history import read_posterior

    t = load_targets(a.targets)
    out = Path(a.out)
    t0 = time.perf_counter()
    draws = read_posterior(a.posterior, a.param_draws) if a.param_draws > 0 and Path(a.posterior).is_file() else []
    with ReplicatePool(a.workers or default_workers()) as pool:
        at_mean = simulate_candidates(pool, t, [{}], a.scale, a.seeds, calibrated=a.params, tolerate=MODEL_FAILURES)[0]
        if at_mean is None:
            raise RuntimeError("the model fails at the committed parameters")
        band = None
        if draws:
            sims = simulate_candidates(pool, t, draws, a.scale, a.seeds, calibrated=False, tolerate=MODEL_FAILURES)
            ok = [s for s in sims if s is not None]
            band = np.vstack(ok) if ok else None
        policy, robust = None, None
        if not a.no_policy:
            by = run_policy_set(pool, a.scale, a.seeds, a.params, list(SCENARIOS) + list(ROBUSTNESS_ONLY))
            policy = format_effects(policy_effects(pool, a.scale, a.seeds, a.params, by=by))
            robust = robustness(by)
    wall = time.perf_counter() - t0
    rows = build_rows(t, at_mean, band)
    header = [f"Written by `geese check --scale {a.scale} --seeds {a.seeds} --param-draws {a.param_draws}` on "
              f"{dt.date.today().isoformat()} ({wall:.0f} s). Parameters: `{Path(a.params).name}` (posterior mean); "
              f"bands: {len(draws)} posterior draws of `{Path(a.posterior).name}` x {a.seeds} seeds "
              f"(common random numbers){'' if draws else ' — no posterior sample: seed bands only'}.",
              "Targets and their sources: `calibration/targets.yaml`; catalogue: `seeds/figures.yaml`."]
    out.mkdir(parents=True, exist_ok=True)
    write_markdown(out / "validation.md", t, rows, header, policy, robust)
    plot_validation(out / "validation.png", t, rows)
    ok, summary = verdict(rows)
    for r in rows:
        if not r["pass"]:
            print(f"  miss: {r['id']:<40} {r['group']:<12} want {r['target']:<16} got {r['mean']:.4g}")
    if policy:
        print(policy)
    for r in robust or []:
        print(f"  robustness: {r['id']:<24} {r['value']:.3g} ({r['requirement']}; {r['where']}) "
              f"{'pass' if r['pass'] else 'MISS'}")
    print(f"validation: {summary}; wrote {out / 'validation.md'} and validation.png")
    return 0 if ok else 1
