"""Stylised facts of firm dynamics: computed from the firm arrays inside the run, printed by ``geese facts``.

Results folders hold aggregates only, so every fact that needs firm-level data is summarised each year
while the firms exist (``firm_facts``, called once a year by ``metrics.YearView``) and stored as ordinary metrics
(``FACT_METRICS``, declared in ``metrics.py``, for each region and the nation; the shape of the growth
distribution nationally only). Last year's firm panel (ids, value added, TFPR deviations) is kept in
``World.facts_panel`` so growth rates and persistence can be measured for firms alive both years.
``geese facts RESULTS_DIR`` then reads ``timeseries.csv`` and prints each fact with its bound.

The facts and their empirical bounds (issue 8):

* upper-tail (Hill 1975) index of firm value added, top 5% of firms: 0.8-1.5, no runaway concentration
  (Axtell 2001 finds a Zipf tail, index ~1, for US firms; Gabaix 2009);
* annual log growth of firm value added (firms alive both years): tent-shaped, i.e. a Laplace fit beats a
  normal one in log-likelihood (Stanley et al. 1996; Bottazzi and Secchi 2006), SD 0.15-0.45, SD falling
  from the smallest to the largest size quintile (Stanley et al. 1996: sigma ~ size^-0.15..-0.2);
* within-cell (region x sector) SD of log revenue productivity TFPR = p VA / (K^a (wage bill)^(1-a)):
  >= 0.3 and persistent (Hsieh and Klenow 2009 measure ~0.6 for China; Syverson 2011);
* sector composition: the high-tech share of industrial VA and of firms rises in every 5-year period;
  energy-intensive real output peaks before 2030 (steel and cement peaked around 2020-21);
* national R&D intensity: ~2.65% in 2023 (seed 001), 2.8-4.0% in 2035.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np

from .numeric import median, quantile  # np.median and np.quantile, bit for bit, faster

if TYPE_CHECKING:
    from .agents import Firms
    from .world import World

HILL_TAIL = 0.05  # share of firms (with positive VA) in the upper tail for the Hill estimator
PANEL_SIZE = 25_000  # firm-panel statistics use the agents with uid % stride == 0, stride = n_2012 // PANEL_SIZE

# metric -> (unit, description); each for every region and the nation
FACT_METRICS: dict[str, tuple[str, str]] = {
    "firm_va_hill": ("1", "Hill tail index of firm value added (top 5% of firm agents)"),
    "firm_va_top1_share": ("share", "share of industrial VA held by the top 1% of firms"),
    "firm_growth_sd": ("1", "SD of annual log growth of firm VA (firms alive both years)"),
    "firm_growth_sd_q1": ("1", "SD of firm VA log growth, smallest size quintile (last year's VA), national only"),
    "firm_growth_sd_q5": ("1", "SD of firm VA log growth, largest size quintile, national only"),
    "firm_growth_sd_slope": ("1", "OLS slope of growth SD on size quintile (1..5), national only; < 0: falls with size"),
    "firm_growth_laplace_gain": ("nats per firm", "mean log-likelihood of a Laplace minus a normal fit to firm "
                                 "growth, national only; > 0: tent-shaped"),
    "tfpr_sd_within": ("1", "within-cell (region x sector) SD of log revenue productivity"),
    "tfpr_persistence": ("1", "year-on-year correlation of a firm's within-cell log TFPR deviation"),
    "high_tech_va_share": ("share", "high-tech share of industrial value added"),
    "high_tech_firm_share": ("share", "high-tech share of firms"),
    "energy_intensive_real_va": ("yi yuan, 2012 prices", "energy-intensive real value added (firm sums)"),
    "firm_va_median": ("million yuan, 2012 prices", "median value added of the region's producing firms"),
}

FACT_YEARS = (2012, 2017, 2022, 2027, 2032, 2035)


# ---------------------------------------------------------------------- pure statistics
def hill_index(x: np.ndarray, tail: float = HILL_TAIL, min_k: int = 10) -> float:
    """Hill (1975) estimator of the Pareto tail index from the top ``tail`` share of positive ``x``.

    alpha = k / sum_{i<=k} ln(x_(i) / x_(k+1)), x_(1) >= x_(2) >= ... the order statistics.
    """
    x = np.asarray(x, float)
    x = x[x > 0]
    k = int(tail * len(x))
    if k < min_k or len(x) <= k:
        return float("nan")
    top = np.partition(x, len(x) - k - 1)[len(x) - k - 1:]  # x_(k+1) first, then the k largest
    s = np.sum(np.log(top[1:]) - np.log(top[0]))
    return float(k / s) if s > 0 else float("nan")


def top_share(x: np.ndarray, top: float = 0.01) -> float:
    """Share of the total held by the largest ``top`` share of the values."""
    x = np.asarray(x, float)
    k = max(int(round(top * len(x))), 1)
    tot = x.sum()
    if tot <= 0 or len(x) == 0:
        return float("nan")
    return float(np.partition(x, len(x) - k)[len(x) - k:].sum() / tot)


def laplace_minus_normal(g: np.ndarray) -> float:
    """Mean log-likelihood per observation of a maximum-likelihood Laplace fit minus a normal fit.

    Laplace: location = median, scale b = mean |g - median|, ll = -ln(2b) - 1.
    Normal: ll = -0.5 ln(2 pi s^2) - 0.5. Positive means the tent-shaped Laplace fits better.
    """
    g = np.asarray(g, float)
    if len(g) < 20:
        return float("nan")
    b = np.mean(np.abs(g - median(g)))
    s2 = np.var(g)
    if b <= 0 or s2 <= 0:
        return float("nan")
    return float((-np.log(2 * b) - 1.0) - (-0.5 * np.log(2 * np.pi * s2) - 0.5))


def sd_by_quintile(size: np.ndarray, growth: np.ndarray) -> np.ndarray:
    """[5] SD of ``growth`` in each quintile of ``size`` (smallest first)."""
    if len(size) < 50:
        return np.full(5, np.nan)
    edges = np.array([quantile(size, q) for q in (0.2, 0.4, 0.6, 0.8)])  # np.quantile's bits, one partition each
    q = np.searchsorted(edges, size, side="right")
    n = np.bincount(q, minlength=5)
    m = np.bincount(q, weights=growth, minlength=5) / np.maximum(n, 1)
    v = np.bincount(q, weights=growth**2, minlength=5) / np.maximum(n, 1) - m**2
    return np.sqrt(np.maximum(v, 0.0))


def within_sd(values: np.ndarray, group: np.ndarray) -> tuple[float, np.ndarray]:
    """Pooled within-group SD of ``values`` and each value's deviation from its group mean."""
    n = np.bincount(group)
    m = np.bincount(group, weights=values) / np.maximum(n, 1)
    dev = values - m[group]
    dof = len(values) - np.count_nonzero(n)
    return (float(np.sqrt((dev**2).sum() / dof)) if dof > 0 else float("nan")), dev


def slope(y: np.ndarray) -> float:
    """OLS slope of ``y`` on 1..len(y)."""
    x = np.arange(1, len(y) + 1, dtype=float)
    if not np.all(np.isfinite(y)):
        return float("nan")
    return float(np.polyfit(x, y, 1)[0])


def panel_rows(uid: np.ndarray, stride: int) -> np.ndarray:
    """``np.flatnonzero(uid % stride == 0)``, the rows of the firm panel. For an odd stride and non-negative int64
    ids: multiplying by the stride's inverse modulo 2^64 is a bijection of the uint64 values that maps the
    multiples k x stride (k = 0 .. (2^64 - 1) // stride) onto k itself, so a multiple is exactly a product <= that
    bound: one multiply and one compare instead of a division (and fewer full-size temporaries). Otherwise
    ``uid // stride * stride == uid``."""
    stride = int(stride)
    if stride > 1 and stride % 2 and uid.dtype == np.int64 and len(uid) and uid.min() >= 0:
        x = uid.view(np.uint64) * np.uint64(pow(stride, -1, 1 << 64))
        return np.flatnonzero(x <= np.uint64(((1 << 64) - 1) // stride))
    return np.flatnonzero(uid // stride * stride == uid)


def _common(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices (into ``a``, into ``b``) of the values the unique id arrays share: the same pairs as
    ``np.intersect1d`` (assume_unique, return_indices) gives, in the order of ``a`` (the caller scatters by
    them, so the order does not matter). By binary search of ``a`` in ``b`` sorted (rows are in cell order, not
    id order, so ``b`` is sorted here: one argsort instead of intersect1d's sort of both)."""
    if len(a) and len(b):
        ob = None if np.all(b[1:] > b[:-1]) else np.argsort(b, kind="stable")
        bs = b if ob is None else b.take(ob)
        if ob is None or np.all(bs[1:] > bs[:-1]):  # unique ids (else intersect1d below)
            pos = np.searchsorted(bs, a)
            np.minimum(pos, len(bs) - 1, out=pos)
            i_a = np.flatnonzero(bs.take(pos) == a)
            i_b = pos.take(i_a)
            return i_a, (i_b if ob is None else ob.take(i_b))
    _, i_a, i_b = np.intersect1d(a, b, assume_unique=True, return_indices=True)
    return i_a, i_b


# ---------------------------------------------------------------------- in-run recorder
@dataclass
class FactsState:
    """What the facts need from last year: firm ids, value added and TFPR deviations (of the panel)."""

    stride: int = 0   # set on the first call: the panel is the agents with uid % stride == 0
    uid: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    va: np.ndarray = field(default_factory=lambda: np.zeros(0))
    tfpr_dev: np.ndarray = field(default_factory=lambda: np.zeros(0))


def firm_facts(f: Firms, w: World, state: FactsState, n_regions: int,
               sums: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """[region + national] values of ``FACT_METRICS`` for this year; updates ``state`` for the next one.

    Every fact is computed for each region's firms and for the nation, except the shape of the growth
    distribution (size quintiles, Laplace vs normal), which is national only. Sector shares use every
    firm; the firm-level statistics (median, tail, growth, TFPR) use a fixed panel of agents
    (uid % stride == 0, about ``PANEL_SIZE`` of them in 2012; all agents below that), which keeps the cost
    flat at full scale and follows the same firms from year to year.

    ``sums``: the regional sums over every firm that the recorder already has (``iva``, ``ht_va``, ``ei_va``:
    weight x VA in all, high-tech and energy-intensive firms; ``n``, ``ht_n``: weight in all and high-tech
    firms; the same bincounts as here), so they are not summed twice.
    """
    from . import SECTORS

    # A value is NaN only where a statistic is undefined (first year for growth; the growth shape by
    # region), never because a sample is small: runs of the same scenario family keep the same rows.
    R = n_regions
    out = {k: np.full(R + 1, np.nan) for k in FACT_METRICS}
    va, wt, region = f.value_added, f.weight, f.region
    if state.stride == 0:
        state.stride = max(1, len(f) // PANEL_SIZE)

    if sums is None:
        wva = wt * va
        ht = f.sector == SECTORS.index("high_tech")
        ei = f.sector == SECTORS.index("energy_intensive")
        sums = dict(iva=np.bincount(region, weights=wva, minlength=R),
                    ht_va=np.bincount(region, weights=wva * ht, minlength=R),
                    n=np.bincount(region, weights=wt, minlength=R),
                    ht_n=np.bincount(region, weights=wt * ht, minlength=R),
                    ei_va=np.bincount(region, weights=wva * ei, minlength=R))
    iva, ht_va, n, ht_n = sums["iva"], sums["ht_va"], sums["n"], sums["ht_n"]
    out["high_tech_va_share"] = np.append(ht_va, ht_va.sum()) / np.maximum(np.append(iva, iva.sum()), 1e-12)
    out["high_tech_firm_share"] = np.append(ht_n, ht_n.sum()) / np.maximum(np.append(n, n.sum()), 1e-12)
    ei_va = sums["ei_va"] / 100.0
    out["energy_intensive_real_va"] = np.append(ei_va, ei_va.sum())

    cols = ("uid", "value_added", "region", "sector", "capital", "labour_high", "labour_general")
    if state.stride > 1:  # the panel: its rows of each column (the stored int8 region and sector: the same values
        keep = panel_rows(f.uid, state.stride)  # as the intp copies, an eighth of the bytes); uid % stride == 0
        p = SimpleNamespace(**{k: f.rows(k, keep) for k in cols})
    else:
        p = SimpleNamespace(**{k: getattr(f, k) for k in cols})  # read only: keeps the rows' sort (agents.py)
    f = p
    va, region = f.value_added, f.region
    pos = va > 0

    # revenue productivity, Hsieh-Klenow: ln TFPR = ln(p VA) - a ln K - (1 - a) ln(wage bill)
    labour_cost = (w.wage[region, 0] * f.labour_high + w.wage[region, 1] * f.labour_general) / 1e6
    ok = pos & (f.capital > 0) & (labour_cost > 0)
    dev = np.full(len(f.uid), np.nan)
    cell = region.astype(np.int64) * len(SECTORS) + f.sector
    if ok.sum() > 10:
        a = w.alpha[f.sector[ok]]
        ltfpr = (np.log(w.price[f.sector[ok]] * va[ok]) - a * np.log(f.capital[ok])
                 - (1 - a) * np.log(labour_cost[ok]))
        _, dev[ok] = within_sd(ltfpr, cell[ok])

    # firms alive (and producing) last year and this year
    g = np.full(len(f.uid), np.nan)
    va_prev = np.full(len(f.uid), np.nan)
    dev_prev = np.full(len(f.uid), np.nan)
    if len(state.uid):
        i_now, i_prev = _common(f.uid, state.uid)
        va_prev[i_now] = state.va[i_prev]
        if len(state.tfpr_dev) == len(state.uid):
            dev_prev[i_now] = state.tfpr_dev[i_prev]
        both = pos & (va_prev > 0)
        g[both] = np.log(va[both]) - np.log(va_prev[both])

    # within-cell TFPR SD by region: pooled squared deviations over degrees of freedom
    S = len(SECTORS)
    n_cell = np.bincount(cell[ok], minlength=R * S)
    dof = np.bincount(np.arange(R * S) // S, weights=np.maximum(n_cell - 1, 0), minlength=R)
    ss = np.bincount(region[ok], weights=dev[ok] ** 2, minlength=R)
    tf = np.append(ss, ss.sum()) / np.maximum(np.append(dof, dof.sum()), 1)
    out["tfpr_sd_within"] = np.where(np.append(dof, dof.sum()) > 0, np.sqrt(tf), np.nan)

    # by region with bincounts (cheap); the shape of the growth distribution nationally only
    has_g = np.isfinite(g)
    n_g = np.bincount(region[has_g], minlength=R)
    m1 = np.bincount(region[has_g], weights=g[has_g], minlength=R)
    m2 = np.bincount(region[has_g], weights=g[has_g] ** 2, minlength=R)
    n_g, m1, m2 = np.append(n_g, n_g.sum()), np.append(m1, m1.sum()), np.append(m2, m2.sum())
    var = m2 / np.maximum(n_g, 1) - (m1 / np.maximum(n_g, 1)) ** 2
    out["firm_growth_sd"] = np.where(n_g > 1, np.sqrt(np.maximum(var, 0.0)), np.nan)
    has_d = np.isfinite(dev) & np.isfinite(dev_prev)
    rd_ = region[has_d]
    sums = [np.bincount(rd_, weights=x, minlength=R) for x in
            (np.ones(has_d.sum()), dev[has_d], dev_prev[has_d], dev[has_d] ** 2, dev_prev[has_d] ** 2,
             dev[has_d] * dev_prev[has_d])]
    n_d, sx, sy, sxx, syy, sxy = (np.append(x, x.sum()) for x in sums)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy / n_d - sx * sy / n_d**2
        corr = cov / np.sqrt((sxx / n_d - (sx / n_d) ** 2) * (syy / n_d - (sy / n_d) ** 2))
    out["tfpr_persistence"] = np.where(n_d > 2, corr, np.nan)
    order = np.argsort(region, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(region, minlength=R))])
    for j in range(R + 1):
        x = va[order[bounds[j]:bounds[j + 1]]] if j < R else va
        x = x[x > 0]
        if len(x):
            out["firm_va_median"][j] = median(x)
            out["firm_va_hill"][j] = hill_index(x, min_k=2)
            out["firm_va_top1_share"][j] = top_share(x)
    if has_g.sum() > 50:
        q = sd_by_quintile(va_prev[has_g], g[has_g])
        out["firm_growth_sd_q1"][-1], out["firm_growth_sd_q5"][-1] = q[0], q[4]
        out["firm_growth_sd_slope"][-1] = slope(q)
        out["firm_growth_laplace_gain"][-1] = laplace_minus_normal(g[has_g])
    state.uid, state.va, state.tfpr_dev = f.uid.copy(), va.copy(), dev
    return out


# ---------------------------------------------------------------------- the `geese facts` table
@dataclass
class Fact:
    name: str
    bound: str
    value: str
    ok: bool | None  # None: informational


def _national(ts, metric: str):
    d = ts[(ts["metric"] == metric) & (ts["region"] == "national")]
    return d.pivot(index="year", columns="seed", values="value").sort_index()


def _fmt(v: np.ndarray, pct: bool = False) -> str:
    v = np.asarray(v, float)
    if not np.isfinite(v).any():
        return "n/a"
    k = 100.0 if pct else 1.0
    unit = "%" if pct else ""
    if len(v) == 1 or np.nanmin(v) == np.nanmax(v):
        return f"{k * np.nanmean(v):.3g}{unit}"
    return f"{k * np.nanmean(v):.3g}{unit} [{k * np.nanmin(v):.3g}..{k * np.nanmax(v):.3g}]"


def evaluate(ts) -> list[Fact]:
    """The stylised-fact table from a results folder's tidy timeseries (all seeds)."""
    out: list[Fact] = []
    missing = [m for m in ("firm_va_hill", "firm_growth_sd", "tfpr_sd_within") if m not in set(ts["metric"])]
    if missing:
        raise ValueError(f"no firm facts in these results (missing {missing}); re-run them with this version")

    def at(metric: str, year: int) -> np.ndarray:
        d = _national(ts, metric)
        return d.loc[year].to_numpy() if year in d.index else np.array([np.nan])

    years = sorted(ts["year"].unique())
    five = [y for y in FACT_YEARS if y in years]
    for y in five:
        v = at("firm_va_hill", y)
        out.append(Fact(f"Hill tail index of firm VA, {y}", "0.8-1.5", _fmt(v), bool(np.all((v >= 0.8) & (v <= 1.5)))))
    top = _national(ts, "firm_va_top1_share")
    out.append(Fact("top-1% share of firm VA, first -> last year", "no runaway (last <= 0.5)",
                    f"{_fmt(top.iloc[0].to_numpy())} -> {_fmt(top.iloc[-1].to_numpy())}",
                    bool(np.all(top.iloc[-1].to_numpy() <= 0.5))))
    g = _national(ts, "firm_growth_sd").iloc[1:]
    out.append(Fact("SD of annual log growth of firm VA (mean over years)", "0.15-0.45", _fmt(g.mean().to_numpy()),
                    bool(np.all((g.mean() >= 0.15) & (g.mean() <= 0.45)))))
    lap = _national(ts, "firm_growth_laplace_gain").iloc[1:]
    out.append(Fact("Laplace minus normal log-likelihood per firm (mean over years)", "> 0 (tent-shaped)",
                    _fmt(lap.mean().to_numpy()), bool(np.all(lap.mean() > 0))))
    q1 = _national(ts, "firm_growth_sd_q1").iloc[1:].mean()
    q5 = _national(ts, "firm_growth_sd_q5").iloc[1:].mean()
    sl = _national(ts, "firm_growth_sd_slope").iloc[1:].mean()
    out.append(Fact("growth SD, smallest vs largest size quintile", "smallest > largest",
                    f"{_fmt(q1.to_numpy())} vs {_fmt(q5.to_numpy())}", bool(np.all(q1 > q5))))
    out.append(Fact("slope of growth SD on size quintile", "< 0", _fmt(sl.to_numpy()), bool(np.all(sl < 0))))
    for y in five:
        v = at("tfpr_sd_within", y)
        out.append(Fact(f"within-cell SD of log TFPR, {y}", ">= 0.3", _fmt(v), bool(np.all(v >= 0.3))))
    per = _national(ts, "tfpr_persistence").iloc[1:]
    out.append(Fact("year-on-year correlation of firm TFPR deviations (mean)", ">= 0.5 (persistent)",
                    _fmt(per.mean().to_numpy()), bool(np.all(per.mean() >= 0.5))))
    for metric, label in (("high_tech_va_share", "high-tech share of industrial VA"),
                          ("high_tech_firm_share", "high-tech share of firms")):
        d = _national(ts, metric)
        vals = [d.loc[y].to_numpy() for y in five]
        rises = np.all([np.all(b > a) for a, b in zip(vals, vals[1:])])
        out.append(Fact(f"{label}, {'/'.join(str(y) for y in five)}", "rises every period",
                        " -> ".join(_fmt(v, pct=True) for v in vals), bool(rises)))
    ei = _national(ts, "energy_intensive_real_va")
    peak = ei.idxmax().to_numpy()
    out.append(Fact("peak year of energy-intensive real VA", "< 2030", ", ".join(str(int(p)) for p in peak),
                    bool(np.all(peak < 2030))))
    rd23, rd35 = at("rd_intensity", 2023), at("rd_intensity", years[-1])
    out.append(Fact("national R&D intensity, 2023", "~2.65% (2.4-2.9%)", _fmt(rd23, pct=True),
                    bool(np.all((rd23 >= 0.024) & (rd23 <= 0.029)))))
    out.append(Fact(f"national R&D intensity, {years[-1]}", "2.8-4.0%", _fmt(rd35, pct=True),
                    bool(np.all((rd35 >= 0.028) & (rd35 <= 0.040)))))
    return out


def facts_report(results_dir: Path) -> tuple[str, int]:
    """Printable table and the number of facts outside their bounds."""
    import pandas as pd

    ts = pd.read_csv(Path(results_dir) / "timeseries.csv")
    facts = evaluate(ts)
    n_seeds = ts["seed"].nunique()
    width = max(len(f.name) for f in facts)
    bw = max(len(f.bound) for f in facts)
    lines = [f"Stylised facts, {Path(results_dir).name} ({n_seeds} seeds; mean [min..max] over seeds)",
             f"{'fact':<{width}}  {'bound':<{bw}}  ok    value"]
    for f in facts:
        flag = "-" if f.ok is None else ("yes" if f.ok else "NO")
        lines.append(f"{f.name:<{width}}  {f.bound:<{bw}}  {flag:<4}  {f.value}")
    bad = sum(1 for f in facts if f.ok is False)
    lines.append(f"{len(facts) - bad} of {len(facts)} facts within their bounds")
    return "\n".join(lines), bad
