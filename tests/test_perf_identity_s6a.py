"""Bit-identity of the s6-perfa speed-ups (firm-side mechanisms): each faster form against its plain form, the
plain forms written out here as they were before (engine performance)."""

from __future__ import annotations

import numpy as np
import pytest

from model import energy, streams
from model.mechanisms import carbon, demand, entry_exit, innovation, production


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


@pytest.fixture(scope="module")
def model():
    from model.model import FlyingGeeseModel
    from model.scenario import load_scenario

    m = FlyingGeeseModel(load_scenario("scenarios/high-carbon.yaml"), seed=3, scale="small")
    for _ in range(10):  # into the carbon-price years
        m.step()
    return m


@pytest.mark.parametrize("max_share", [np.array([0.3, 0.5, 0.2, 0.4]), np.array([0.3, 0.0, 0.2, 0.3])])
def test_abatement_cost_by_sector_is_the_per_firm_cost(max_share):
    rng = np.random.default_rng(1)
    n = 5000
    sector = rng.integers(0, 4, n)
    half = np.array([100.0, 150.0, 80.0, 120.0])
    target_s = energy.abatement_share(np.array(60.0), max_share, half)
    target = target_s[sector]
    a = target.copy()
    odd = rng.random(n) < 0.1
    a[odd] = rng.uniform(0.0, 0.6, odd.sum())  # above the target, some above the cap
    a[:3] = [np.nan, -0.0, 0.0]
    want = energy.abatement_cost(a, max_share, half, sector=sector)
    got = carbon.abatement_cost_by_sector(a, target, target_s, max_share, half, sector)
    assert _same(got, want)
    got = carbon.abatement_cost_by_sector(a, target, target_s, max_share, half, sector, scale=1e-3)
    assert _same(got, 1e-3 * want)


def test_firm_charges_are_charge_per_yuan_and_intensity(model):
    f, w, pol = model.firms, model.world, model.policy
    assert pol.carbon_price > 0
    d_eff = carbon.direct_effective(f)
    want_c = carbon.charge_per_yuan(pol.carbon_price, pol.carbon_covered[f.sector], d_eff, w.benchmark[f.sector],
                                    f.power_use, w.grid[f.region], w.power_price_net)
    want_i = carbon.intensity(d_eff, f.power_use, w.grid, f.region)
    c, i = carbon.firm_charges(model)
    assert _same(c, want_c) and _same(i, want_i)


def test_exit_stranding_on_the_leavers_is_the_mask_form(model):
    f, P = model.firms, model.params
    rng = np.random.default_rng(2)
    out = rng.random(len(f)) < 0.3
    # the plain form (before): masks over every firm
    loss_exit = out & (f.loss_years >= int(P["entry_exit.loss_years_to_exit"]))
    by_carbon = loss_exit & (f.profit < 0) & (f.profit + f.carbon_charge >= 0)
    k = (f.capital + f.abatement_capital) * (1 - P["capital.depreciation"])
    want = np.bincount(f.region[by_carbon], weights=(f.weight * k)[by_carbon], minlength=model.data.n) / carbon.YI
    saved = model.world.stranded_carbon
    try:
        carbon.exit_stranding(model, out)
        a = model.world.stranded_carbon
        carbon.exit_stranding(model, out, np.flatnonzero(out))
        b = model.world.stranded_carbon
    finally:
        model.world.stranded_carbon = saved
    assert _same(a, want) and _same(b, want)


def test_intensity_update_in_place_is_the_plain_form():
    rng = np.random.default_rng(4)
    n = 3000
    sector, region = rng.integers(0, 4, n), rng.integers(0, 31, n)
    direct, power = rng.lognormal(0, 1, n), rng.lognormal(0, 1, n)
    eff, eff_p, elec = rng.uniform(0, 0.05, 4), rng.uniform(0, 0.03, 4), np.full(4, 0.01)  # elec: one value
    grid = rng.uniform(0.3, 1.0, 31)
    grid[3] = 0.0  # floored
    got = energy.intensity_update(direct, power, eff, eff_p, elec, 2.0, grid, sector=sector, region=region)
    # the plain per-firm form (before: no in-place steps)
    keep, keep_p, g = (1.0 - eff)[sector], (1.0 - eff_p)[sector], np.maximum(grid, 1e-12)[region]
    moved = elec[sector] * direct
    plain = ((direct - moved) * keep, power * keep_p + moved * 2.0 / g)
    for x, z in zip(got, plain):
        assert _same(x, z)


def test_demand_shock_in_place_with_keyed_normal_is_the_plain_form():
    rng = np.random.default_rng(5)
    n = 4000
    sector = rng.integers(0, 4, n)
    revenue = rng.lognormal(0.0, 1.5, n)
    revenue[rng.random(n) < 0.1] = 0.0
    revenue[:2] = [np.nan, -1.0]
    quality = rng.normal(0, 0.2, n)
    uid = np.arange(n) * 7 + 1
    sd, r, z = 0.2, 0.9, 0.15
    by_sector = [revenue[sector == s] for s in range(4)]
    med = np.array([np.median(v[v > 0]) for v in by_sector])
    plain_e = streams.Keyed(11, 2020, "demand.shock", uid).normal(0.0, 1.0, n)
    rel = np.where(revenue > 0, revenue / med[sector], 1.0)
    want = r * quality + (sd * np.clip(rel ** (-z), 0.25, 4.0)) * plain_e
    got = demand.firm_demand_shock(streams.Keyed(11, 2020, "demand.shock", uid), quality, sector, revenue, sd, r, z,
                                   revenue_by_sector=[v.copy() for v in by_sector])
    got2 = demand.firm_demand_shock(streams.Keyed(11, 2020, "demand.shock", uid), quality, sector, revenue, sd, r, z)
    assert _same(got, want) and _same(got2, want)
    # a Generator still draws normals
    g = demand.firm_demand_shock(np.random.default_rng(9), quality, sector, revenue, sd, r, z)
    e = np.random.default_rng(9).normal(0.0, 1.0, n)
    assert _same(g, r * quality + (sd * np.clip(rel ** (-z), 0.25, 4.0)) * e)


@pytest.mark.parametrize("case", ["plain", "zero", "nan", "inf", "catch_up"])
def test_imitate_erode_is_imitate_then_erode(case):
    rng = np.random.default_rng(6)
    n = 5000
    sector = rng.integers(0, 4, n)
    log_a = rng.normal(0.0, 0.5, n)
    frontier = np.array([0.6, 0.4, 0.8, 0.5])
    success = rng.random(n) < 0.2
    c, e = (0.3, 0.1) if case != "catch_up" else (1.5, 0.1)
    if case == "zero":
        log_a[:4] = [-0.0, 0.0, -0.0, 0.0]
    elif case == "nan":
        log_a[5] = np.nan
    elif case == "inf":
        log_a[7] = -np.inf
    fi = frontier[sector]
    with np.errstate(invalid="ignore"):  # 0 x inf in the plain form (case "inf")
        want = innovation.erode_lead(innovation.imitate(log_a, fi, success, c), fi, e)
        got = innovation.imitate_erode(log_a.copy(), frontier, fi, success, c, e)
    assert _same(got, want)


def test_exits_with_sizes_are_the_where_form():
    n = 20_000
    rng = np.random.default_rng(8)
    losses = rng.integers(0, 4, n).astype(np.int16)
    size = rng.lognormal(0.0, 1.0, n)
    uid = np.arange(n)
    got = entry_exit.exits(streams.Keyed(5, 2020, "exit", uid), losses, 0.04, 0.5, 2, size.copy())
    h = np.minimum(0.04 * size, 1.0)
    q = 1.0 - np.where(losses >= 2, 1.0 - 0.5, 1.0) * (1.0 - h)
    want = streams.Keyed(5, 2020, "exit", uid).random(n) < q
    assert np.array_equal(got, want) and got.any()


def test_anchor_incumbents_with_counts_is_the_search_form():
    rng = np.random.default_rng(9)
    n, cells = 6000, 12
    cell = np.sort(rng.integers(1, cells, n))  # cell 0 empty: its entrants fall back to the sector
    ids = rng.permutation(10 * n)[:n].astype(np.int64)
    e_cell = rng.integers(0, cells, 500)
    sector, e_sector = cell % 4, e_cell % 4
    counts = np.bincount(cell, minlength=cells)
    want = entry_exit.anchor_incumbents(streams.Keyed(3, 2020, "p", np.arange(500)), cell, e_cell, sector, e_sector,
                                        ids=ids)
    got = entry_exit.anchor_incumbents(streams.Keyed(3, 2020, "p", np.arange(500)), cell, e_cell, sector, e_sector,
                                       ids=ids, counts=counts)
    assert _same(got, want) and (got >= 0).all()


def test_short_run_with_one_minus_beta_and_loss_streak():
    rng = np.random.default_rng(10)
    n = 2000
    beta = rng.uniform(0.3, 0.6, n)
    log_m, llc = rng.normal(0, 1, n), rng.normal(0, 1, n)
    want = production.short_run(log_m, None, beta, log_beta=np.log(beta), log_labour_cost=llc)
    got = production.short_run(log_m, None, beta, log_beta=np.log(beta), log_labour_cost=llc, one_minus_beta=1.0 - beta)
    assert all(_same(a, b) for a, b in zip(got, want))
    streak = rng.integers(0, 5, n).astype(np.int16)
    loss = rng.random(n) < 0.5
    s = streak + 1
    s *= loss
    assert _same(s.astype(np.int16, copy=False), np.where(loss, streak + 1, 0).astype(np.int16, copy=False))


@pytest.mark.parametrize("sub", [np.zeros(31), np.full(31, -0.0), np.linspace(0.0, 0.2, 31)])
def test_performer_logit_skips_only_passes_that_change_nothing(sub):
    from scipy.special import expit

    rng = np.random.default_rng(11)
    n = 3000
    region = rng.integers(0, 31, n)
    rel_t = rng.uniform(0.5, 2.0, 31)
    rel_s = rng.lognormal(0.0, 1.0, n)
    args = (-2.0, 0.1, 5, 0.7, rel_t, None, sub, 0.4, 1.5)
    for r in (rel_s, np.where(rel_s > 2.0, 1e-12, rel_s)):  # with sizes below the floor
        a = list(args)
        a[5] = r
        base = (-2.0 + 0.1 * 5 + 0.7 * np.log(np.maximum(rel_t, 1e-9)))[region]
        plain = base + 0.4 * np.log(np.maximum(r, 1e-9)) + (1.5 * sub)[region]  # the plain form (before)
        got = innovation.performer_logit(*a, region=region)
        assert _same(got, plain)
        fast = innovation.performer_logit(*a, region=region, sign_free=True)
        assert _same(expit(fast), expit(plain))
