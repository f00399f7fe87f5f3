"""Bit-identity of the s7-firms speed-ups (capital, entry_exit, innovation, digital): each faster form against its
plain form, the plain forms written out here as they were before (engine performance)."""

from __future__ import annotations

import numpy as np
import pytest

from model import streams
from model.mechanisms import capital, digital, entry_exit, innovation


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _awkward(rng, n):
    """Floats with the values that break shortcuts: signed zeros, NaN, infinities, tiny and huge values."""
    x = rng.normal(0.0, 1.0, n) * 10.0 ** rng.integers(-5, 5, n)
    x[:8] = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e-300, -1e300, 5e-324]
    return rng.permutation(x)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_capital_in_place_forms_are_the_plain_forms(seed):
    rng = np.random.default_rng(seed)
    n, S = 3000, 4
    sector = rng.integers(0, S, n)
    alpha, rho, beta = rng.uniform(0.2, 0.6, S), rng.uniform(0.5, 0.9, S), rng.uniform(0.1, 0.5, S)
    pr, fu = _awkward(rng, n), rng.uniform(0.05, 0.3, n)
    e = (alpha * rho / (1.0 - beta)).take(sector)
    want = e * (pr + fu) - fu
    assert _same(capital.marginal_net_return(pr.copy(), fu, alpha, rho, beta, sector=sector, overwrite=True), want)
    assert _same(capital.marginal_net_return(pr, fu, alpha, rho, beta, sector=sector), want)

    excess, g = _awkward(rng, n), rng.normal(0.05, 0.02, S)
    keep = excess.copy()
    want = np.clip(0.08 + g[sector] + excess / 5.0, 0.0, 0.4)
    assert _same(capital.desired_rate(excess, 0.08, g, 5.0, 0.4, lambda t: t.take(sector)), want)
    assert _same(excess, keep)  # the caller's excess is not written
    assert _same(capital.desired_rate(excess, 0.08, g[sector], 5.0, 0.4), want)

    profit, intangible, k = _awkward(rng, n), _awkward(rng, n), rng.uniform(0.0, 100.0, n)
    assert _same(capital.internal_funds(profit, intangible, k, 0.08),
                 np.maximum(profit - intangible + 0.08 * k, 0.0))

    desired, internal = np.abs(_awkward(rng, n)), np.abs(rng.normal(0.0, 5.0, n))
    ext_cap, weight = rng.uniform(0.0, 3.0, n), rng.uniform(0.5, 2.0, n)
    for available in (1e12, 0.5 * float(np.sum(weight * internal)), 1e-3, -1.0):
        inv = np.minimum(desired, internal + ext_cap)
        own = np.minimum(inv, internal)
        ext = inv - own
        tot_own, tot_ext = float(np.sum(weight * own)), float(np.sum(weight * ext))
        a = max(available, 0.0)
        if tot_own + tot_ext <= a:
            want = inv
        elif tot_own <= a:
            want = own + ext * ((a - tot_own) / max(tot_ext, 1e-300))
        else:
            want = own * (a / max(tot_own, 1e-300))
        got = capital.finance(desired.copy(), internal, ext_cap.copy(), weight, available, overwrite=True)
        assert _same(got, want)
        assert _same(capital.finance(desired, internal, ext_cap, weight, available), want)


def test_exit_hazard_in_the_callers_array_is_the_plain_form():
    rng = np.random.default_rng(4)
    n = 20_000
    uid = np.arange(n)
    losses = rng.integers(0, 4, n).astype(np.int16)
    va = np.abs(rng.lognormal(0.0, 1.5, n))
    va[:50] = 0.0
    size = entry_exit.size_factor(va, 0.3)
    plain = entry_exit.exits(streams.Keyed(5, 2020, "exit", uid), losses, 0.04, 0.5, 2, size.copy())
    got = entry_exit.exits(streams.Keyed(5, 2020, "exit", uid), losses, 0.04, 0.5, 2, size.copy(), overwrite=True)
    assert _same(got, plain)
    rel = np.clip(np.where(va > 0, va / np.median(va[va > 0]), 0.01), 0.01, 1e4) ** -0.3
    assert _same(size, rel / rel.mean())


def test_all_below_is_the_min_max_check():
    rng = np.random.default_rng(5)
    for dt in (np.int64, np.int32, np.int16, np.int8, np.uint8, np.uint64, np.intp):
        info = np.iinfo(dt)
        for _ in range(200):
            lo = int(info.min) if rng.random() < 0.3 else 0
            x = rng.integers(lo, min(int(info.max), 2**50), int(rng.integers(1, 40)), dtype=dt)
            for bits in (7, 15, 47):
                assert entry_exit._all_below(x, bits) == bool(0 <= x.min() and x.max() < 2**bits)


def test_laplace_unit_in_place_is_streams_laplace():
    uid = np.arange(50_000)
    u = streams.uniform(9, 2021, "innovation.shock", uid)
    want = streams.laplace(9, 2021, "innovation.shock", uid, 0.0, np.sqrt(0.5))
    got = streams.laplace_unit(u.copy(), overwrite=True)
    got *= np.sqrt(0.5)
    assert _same(got, want)  # 0.0 + x is x: no keyed unit is a zero
    assert _same(streams.laplace_unit(u.copy(), overwrite=True), streams.laplace_unit(u))


def test_current_sales_is_the_product():
    rng = np.random.default_rng(6)
    price, sector, va = rng.uniform(0.5, 2.0, 4), rng.integers(0, 4, 1000), _awkward(rng, 1000)
    assert _same(innovation.current_sales(price, sector, va), price[sector] * va)


@pytest.mark.parametrize("subsidy", [np.zeros(4), np.array([0.0, 0.2, 0.0, 0.5])])
def test_digital_tables_gathered_are_the_per_firm_forms(subsidy):
    rng = np.random.default_rng(7)
    n, R, S = 4000, 4, 4
    region, sector = rng.integers(0, R, n), rng.integers(0, S, n)
    cell = region * S + sector
    beta, rho = rng.uniform(0.1, 0.5, S), rng.uniform(0.5, 0.95, S)
    net, taste = _awkward(rng, n), rng.lognormal(0.0, 0.3, n)
    assert _same(digital.profit_gain(net, beta, rho, 0.08, taste, sector=sector),
                 (1.0 - beta[sector]) * net * ((1.0 + 0.08) ** (rho[sector] / (1.0 - beta[sector])) - 1.0) * taste)
    peers, ready = rng.uniform(-0.1, 1.2, R * S), rng.uniform(-0.5, 2.0, R)
    sales = _awkward(rng, n)
    want = (2.0 * sales * np.exp(-0.1 * 7) * (1.0 - 0.3 * np.clip(peers[cell], 0.0, 1.0))
            / np.maximum(ready[region], 1e-6))
    assert _same(digital.adoption_cost(2.0, sales, 0.1, 7, 0.3, peers, ready, cell=cell, region=region), want)
    p = digital.success_probability(1.8, ready[region])
    assert _same(digital.success_probability(1.8, ready)[region], p)
    sub = subsidy[region]
    extra, run, cost = _awkward(rng, n), _awkward(rng, n), _awkward(rng, n)
    want = p * 10.0 * (extra - (1.0 - sub) * run) - (1.0 - sub) * cost
    assert _same(digital.net_present_value(p, 10.0, extra, run, cost, sub, own=(1.0 - subsidy)[region]), want)
    assert _same(digital.net_present_value(p, 10.0, extra, run, cost, sub), want)
