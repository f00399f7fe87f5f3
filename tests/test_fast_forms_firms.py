"""Fast forms of the firm mechanisms give the same bits as the plain forms they replace (written out here as they
were before): production, demand, capital, innovation, digital adoption, entry and exit, and the location choice.

The golden master (tests/test_golden_master.py) covers whole runs; these pin the building blocks one by one,
including inputs the shipped scenarios never reach (signed zeros, NaN, infinities, levers on, odd tables)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import same_bits
from model import streams
from model.mechanisms import capital, carbon, chains, demand, digital, entry_exit, innovation, location, production


def test_short_run_with_one_minus_beta_and_loss_streak():
    rng = np.random.default_rng(10)
    n = 2000
    beta = rng.uniform(0.3, 0.6, n)
    log_m, llc = rng.normal(0, 1, n), rng.normal(0, 1, n)
    want = production.short_run(log_m, None, beta, log_beta=np.log(beta), log_labour_cost=llc)
    got = production.short_run(log_m, None, beta, log_beta=np.log(beta), log_labour_cost=llc, one_minus_beta=1.0 - beta)
    assert all(same_bits(a, b) for a, b in zip(got, want))
    streak = rng.integers(0, 5, n).astype(np.int16)
    loss = rng.random(n) < 0.5
    s = streak + 1
    s *= loss
    assert same_bits(s.astype(np.int16, copy=False), np.where(loss, streak + 1, 0).astype(np.int16, copy=False))


def test_short_run_by_the_firms_blocks_is_the_gathered_short_run(high_carbon_model):
    # production.step calls short_run with its [sector] and [cell] tables applied by the firms' sorted blocks
    f = high_carbon_model.firms
    rng = np.random.default_rng(12)
    beta = rng.uniform(0.3, 0.6, 4)
    llc = rng.normal(0, 1, high_carbon_model.data.n * 4)
    log_m = rng.normal(0, 1, len(f))
    want = production.short_run(log_m, None, beta[f.sector], log_beta=np.log(beta)[f.sector],
                                log_labour_cost=llc[f.cell], one_minus_beta=(1.0 - beta)[f.sector])
    got = production.short_run(log_m.copy(), None, beta, log_beta=np.log(beta), log_labour_cost=llc,
                               one_minus_beta=1.0 - beta, firms=f)
    assert all(same_bits(a, b) for a, b in zip(got, want))


def test_shock_sd_and_ar1_in_place_are_the_plain_forms():
    rng = np.random.default_rng(13)
    rel, u, eps = rng.lognormal(0, 2, 3000), rng.normal(0, 0.2, 3000), rng.laplace(0, 1, 3000)
    sd = innovation.shock_sd(0.15, rel, 0.2)
    assert same_bits(sd, 0.15 * np.clip(rel, 0.01, 100.0) ** (-0.2))
    assert same_bits(innovation.shock_sd(0.15, rel.copy(), 0.2, overwrite=True), sd)
    want = 0.7 * u + sd * eps
    assert same_bits(innovation.ar1(u, 0.7, sd, eps), want)
    assert same_bits(innovation.ar1(u, 0.7, sd, eps.copy(), overwrite=True), want)


def test_ces_aggregate_and_leader_share_with_one_common_weight(high_carbon_model):
    f = high_carbon_model.firms
    rng = np.random.default_rng(7)
    log_v = rng.normal(0, 1, len(f))
    rho = np.array([0.8, 0.75, 0.7, 0.85])
    for c in (1.0, 2.5):
        w = np.full(len(f), c)
        ws = np.bincount(f.sector, weights=w, minlength=4)
        want = production.ces_aggregate_log(log_v, w, f.sector, rho, 4, weight_by_sector=ws)
        got = production.ces_aggregate_log(log_v, np.float64(c), f.sector, rho, 4, weight_by_sector=ws)
        assert same_bits(got[0], want[0]) and same_bits(got[1], want[1])
        R = high_carbon_model.data.n
        want = chains.leader_share(f.value_added, w, f.region, f.sector, 0.9, R, 4)
        assert same_bits(chains.leader_share(f.value_added, np.float64(c), f.region, f.sector, 0.9, R, 4), want)


def _demand_inputs(rng, n, odd_rows_first):
    """Sectors, revenues (a tenth zero; some negative, and a NaN when ``odd_rows_first``) and quality of n firms."""
    sector = rng.integers(0, 4, n)
    revenue = rng.lognormal(0.0, 1.5, n)
    revenue[rng.random(n) < 0.1] = 0.0
    if odd_rows_first:
        revenue[:2] = [np.nan, -1.0]
    else:
        revenue[rng.random(n) < 0.02] = -1.0
    return sector, revenue, rng.normal(0, 0.2, n)


def test_demand_shock_sector_medians_from_any_order_are_the_selections():
    rng = np.random.default_rng(5)
    sector, revenue, quality = _demand_inputs(rng, 4000, odd_rows_first=False)
    by_sector = [rng.permutation(revenue[sector == s]) for s in range(4)]
    args = (quality, sector, revenue, 0.2, 0.9, 0.15)
    want = demand.firm_demand_shock(np.random.default_rng(9), *args)
    got = demand.firm_demand_shock(np.random.default_rng(9), *args, revenue_by_sector=by_sector)
    assert same_bits(got, want)


def test_demand_shock_in_place_with_keyed_normal_is_the_plain_form():
    n = 4000
    sector, revenue, quality = _demand_inputs(np.random.default_rng(5), n, odd_rows_first=True)
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
    assert same_bits(got, want) and same_bits(got2, want)
    # a Generator still draws normals
    g = demand.firm_demand_shock(np.random.default_rng(9), quality, sector, revenue, sd, r, z)
    e = np.random.default_rng(9).normal(0.0, 1.0, n)
    assert same_bits(g, r * quality + (sd * np.clip(rel ** (-z), 0.25, 4.0)) * e)


def test_demand_shock_by_blocks_is_the_plain_shock(high_carbon_model):
    f, w = high_carbon_model.firms, high_carbon_model.world
    revenue = f.value_added * w.price[f.sector]
    assert same_bits(f.combine_sector(np.multiply, f.value_added, w.price), revenue)
    args = (f.quality, f.sector, revenue, 0.1, 0.8, 0.2)
    want = demand.firm_demand_shock(streams.keyed(high_carbon_model, "demand.shock", f.uid), *args)
    got = demand.firm_demand_shock(streams.keyed(high_carbon_model, "demand.shock", f.uid), *args,
                                   revenue_by_sector=f.values_by_sector(revenue), combine_sector=f.combine_sector)
    assert same_bits(got, want)


def test_a_model_year_is_unchanged_by_the_sector_slices(tmp_path):
    # values_by_sector gives the sector medians and the frontier the same bits as the selections: one tiny
    # run with the plain forms forced (no cell order) against the model's
    from model.mechanisms import demand, innovation
    from model.model import FlyingGeeseModel

    a = FlyingGeeseModel(None, seed=3, scale="tiny")
    a.run_for(2)
    orig_d, orig_f = demand.firm_demand_shock, innovation.sector_frontier
    try:
        demand.firm_demand_shock = lambda *x, revenue_by_sector=None, **k: orig_d(*x, **k)
        innovation.sector_frontier = lambda *x, by_sector=None, **k: orig_f(*x, **k)
        b = FlyingGeeseModel(None, seed=3, scale="tiny")
        b.run_for(2)
    finally:
        demand.firm_demand_shock, innovation.sector_frontier = orig_d, orig_f
    assert same_bits(a.recorder.values, b.recorder.values)
    for c in sorted(a.firms.data):
        assert same_bits(a.firms.data[c][:len(a.firms)], b.firms.data[c][:len(b.firms)])


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
    assert same_bits(capital.marginal_net_return(pr.copy(), fu, alpha, rho, beta, sector=sector, overwrite=True), want)
    assert same_bits(capital.marginal_net_return(pr, fu, alpha, rho, beta, sector=sector), want)

    excess, g = _awkward(rng, n), rng.normal(0.05, 0.02, S)
    keep = excess.copy()
    want = np.clip(0.08 + g[sector] + excess / 5.0, 0.0, 0.4)
    assert same_bits(capital.desired_rate(excess, 0.08, g, 5.0, 0.4, lambda t: t.take(sector)), want)
    assert same_bits(excess, keep)  # the caller's excess is not written
    assert same_bits(capital.desired_rate(excess, 0.08, g[sector], 5.0, 0.4), want)

    profit, intangible, k = _awkward(rng, n), _awkward(rng, n), rng.uniform(0.0, 100.0, n)
    assert same_bits(capital.internal_funds(profit, intangible, k, 0.08),
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
        assert same_bits(got, want)
        assert same_bits(capital.finance(desired, internal, ext_cap, weight, available), want)


@pytest.mark.parametrize("w", [1.0, 2.5, 0.1, 807.4123])
def test_finance_totals_by_weighted_are_the_weight_products(w):
    """``finance(..., weighted=)`` with one weight for every firm (``weighted``: x itself at 1.0, else x w) gives the
    bits of the plain form with the weight column, at every availability level (all three branches)."""
    rng = np.random.default_rng(int(w * 10))
    n = 5000
    desired = np.abs(rng.normal(0.0, 1.0, n) * 10.0 ** rng.integers(-5, 5, n))
    desired[:3] = [0.0, 1e-300, 5e-324]
    internal, ext_cap = np.abs(rng.normal(0.0, 5.0, n)), rng.uniform(0.0, 3.0, n)
    weight = np.full(n, w)
    weighted = (lambda x: x) if w == 1.0 else (lambda x: np.multiply(x, w))
    for available in (1e12, 0.5 * float(np.sum(weight * internal)), 1e-3, -1.0):
        want = capital.finance(desired, internal, ext_cap, weight, available)
        got = capital.finance(desired.copy(), internal, ext_cap.copy(), weight, available, overwrite=True,
                              weighted=weighted)
        assert same_bits(got, want)
        assert same_bits(capital.finance(desired.copy(), internal, ext_cap.copy(), weight, available, overwrite=True),
                     want)


def _combine(key):
    """A stand-in for agents' combine_cell / combine_region / combine_sector: op(x, table[key]) (their contract)."""
    return lambda op, x, table, out=None: op(x, np.asarray(table).take(key), out=out)


@pytest.mark.parametrize("seed", [0, 1])
def test_combine_forms_are_the_gathered_forms(seed):
    rng = np.random.default_rng(seed)
    n, S, R = 4000, 4, 8
    sector, region = rng.integers(0, S, n), rng.integers(0, R, n)
    x = rng.normal(0.0, 1.0, n) * 10.0 ** rng.integers(-5, 5, n)
    x[:6] = [0.0, -0.0, np.nan, np.inf, -np.inf, 5e-324]
    alpha, rho, beta = rng.uniform(0.2, 0.6, S), rng.uniform(0.5, 0.9, S), rng.uniform(0.1, 0.5, S)
    fu = rng.uniform(0.05, 0.3, n)
    want = capital.marginal_net_return(x.copy(), fu, alpha, rho, beta, sector=sector, overwrite=True)
    got = capital.marginal_net_return(x.copy(), fu, alpha, rho, beta, sector=sector, overwrite=True,
                                      combine_sector=_combine(sector))
    assert same_bits(got, want)
    g = rng.normal(0.05, 0.02, S)
    keep = x.copy()
    want = capital.desired_rate(x, 0.08, g, 5.0, 0.4, lambda t: np.asarray(t).take(sector))
    assert same_bits(capital.desired_rate(x, 0.08, g, 5.0, 0.4, lambda t: np.asarray(t).take(sector), _combine(sector)),
                 want)
    assert same_bits(x, keep)  # the caller's excess is not written
    price, va = rng.uniform(0.5, 2.0, S), x
    assert same_bits(innovation.current_sales(price, sector, va, combine_sector=_combine(sector)),
                 innovation.current_sales(price, sector, va))
    rel_t, rel_size, sub = rng.uniform(0.2, 3.0, R), np.abs(x) + 1e-3, rng.uniform(0.0, 0.3, R)
    for s in (sub, np.zeros(R)):
        args = (-2.0, 0.05, 13, 0.4, rel_t, rel_size, s, 0.3, 1.2)
        assert same_bits(innovation.performer_logit(*args, region=region, sign_free=True,
                                                combine_region=_combine(region)),
                     innovation.performer_logit(*args, region=region, sign_free=True))


def test_innovation_rules_match_their_plain_forms_with_and_without_a_subsidy():
    from model.mechanisms import innovation as inn

    rng = np.random.default_rng(5)
    n, region = 4000, rng.integers(0, 4, 4000)
    profit, last, target = rng.normal(1, 2, n), rng.random(n) * 3, rng.random(n) * 2
    loss = rng.integers(0, 3, n).astype(np.int16)
    f = inn.funds(profit, last, loss, 0.8)
    assert same_bits(f, np.maximum(profit, np.where(loss > 0, 0.0, 0.8 * last)))
    for sub in (np.zeros(4), np.array([0.0, 0.2, 0.0, 0.5]), np.full(4, 0.3)):
        own = np.maximum(1.0 - sub, 1e-9)
        assert same_bits(inn.affordable(target, f, sub, region=region),
                     np.minimum(target, np.maximum(f, 0.0) / own[region]))
        rel_t, rel_s = rng.random(4) + 0.5, rng.random(n) * 4
        got = inn.performer_logit(-2.0, 0.1, 5, 0.7, rel_t, rel_s, sub, 0.4, 1.5, region=region)
        base = -2.0 + 0.1 * 5 + 0.7 * np.log(np.maximum(rel_t, 1e-9))
        want = base[region] + 0.4 * np.log(np.maximum(rel_s, 1e-9)) + (1.5 * sub)[region]
        assert same_bits(got, want)


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
        assert same_bits(got, plain)
        fast = innovation.performer_logit(*a, region=region, sign_free=True)
        assert same_bits(expit(fast), expit(plain))


def test_sector_frontier_from_any_order_is_the_selection():
    from model.mechanisms.innovation import sector_frontier

    rng = np.random.default_rng(6)
    sector = rng.integers(0, 3, 3001)  # sector 3 has no firms
    log_a = rng.normal(0, 0.5, 3001)
    by_sector = [rng.permutation(log_a[sector == s]) for s in range(4)]
    want = sector_frontier(log_a, sector, 4, 0.9)
    assert same_bits(sector_frontier(log_a, sector, 4, 0.9, by_sector=by_sector), want)


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
    assert same_bits(got, want)


def test_imitation_table_median_overwrite_and_parent_ages_match_the_plain_forms():
    from model.mechanisms import innovation as inn
    from model.numeric import median

    rng = np.random.default_rng(8)
    region, digital, rel_t = rng.integers(0, 4, 3000), rng.random(3000) < 0.4, rng.random(4) + 0.3
    got = inn.imitation_probability(0.25, rel_t, 0.8, digital, 0.5, region=region)
    want = 1.0 - np.exp((-0.25 * np.maximum(rel_t, 1e-9) ** 0.8)[region] * (1.0 + 0.5 * digital))
    assert same_bits(got, want)
    for n in (1, 2, 7, 1000, 1001):
        x = rng.lognormal(0, 2, n)
        assert same_bits(median(x.copy(), overwrite=True), np.median(x))
    age = rng.integers(0, 101, 5000)
    table = np.arange(46) >= 25
    table[-1] = False
    assert np.array_equal(table.take(age, mode="clip"), (age >= 25) & (age < 45))


@pytest.mark.parametrize("seed", [0, 1])
def test_imitation_by_table_thresholds_is_uniform_below_q(seed):
    rng = np.random.default_rng(seed)
    n, R = 50_000, 8
    rel_t, region, digital = rng.uniform(0.2, 3.0, R), rng.integers(0, R, n), rng.random(n) < 0.3
    rel_t[0] = 0.0  # the 1e-9 floor
    q = innovation.imitation_probability(0.25, rel_t, 0.8, digital, 0.5, region=region)
    talent = -0.25 * np.maximum(rel_t, 1e-9) ** 0.8
    by_talent_and_digital = 1.0 - np.exp(talent[:, None] * (1.0 + 0.5 * np.array([False, True])))
    assert same_bits(q, by_talent_and_digital.ravel()[region * 2 + digital])
    assert same_bits(innovation.imitation_table(0.25, rel_t, 0.8, 0.5)[region * 2 + digital], q)
    uid = rng.integers(0, 1 << 40, n)
    u = streams.uniform(seed, 2030, "innovation.imitation", uid)
    got = streams.below(seed, 2030, "innovation.imitation", uid,
                        streams.thresholds(innovation.imitation_table(0.25, rel_t, 0.8, 0.5)),
                        index=region * 2 + digital)
    assert np.array_equal(got, u < q)


def test_current_sales_is_the_product():
    rng = np.random.default_rng(6)
    price, sector, va = rng.uniform(0.5, 2.0, 4), rng.integers(0, 4, 1000), _awkward(rng, 1000)
    assert same_bits(innovation.current_sales(price, sector, va), price[sector] * va)


@pytest.mark.parametrize("subsidy", [np.zeros(4), np.array([0.0, 0.2, 0.0, 0.5])])
def test_digital_tables_gathered_are_the_per_firm_forms(subsidy):
    rng = np.random.default_rng(7)
    n, R, S = 4000, 4, 4
    region, sector = rng.integers(0, R, n), rng.integers(0, S, n)
    cell = region * S + sector
    beta, rho = rng.uniform(0.1, 0.5, S), rng.uniform(0.5, 0.95, S)
    net, taste = _awkward(rng, n), rng.lognormal(0.0, 0.3, n)
    assert same_bits(digital.profit_gain(net, beta, rho, 0.08, taste, sector=sector),
                 (1.0 - beta[sector]) * net * ((1.0 + 0.08) ** (rho[sector] / (1.0 - beta[sector])) - 1.0) * taste)
    peers, ready = rng.uniform(-0.1, 1.2, R * S), rng.uniform(-0.5, 2.0, R)
    sales = _awkward(rng, n)
    want = (2.0 * sales * np.exp(-0.1 * 7) * (1.0 - 0.3 * np.clip(peers[cell], 0.0, 1.0))
            / np.maximum(ready[region], 1e-6))
    assert same_bits(digital.adoption_cost(2.0, sales, 0.1, 7, 0.3, peers, ready, cell=cell, region=region), want)
    p = digital.success_probability(1.8, ready[region])
    assert same_bits(digital.success_probability(1.8, ready)[region], p)
    sub = subsidy[region]
    extra, run, cost = _awkward(rng, n), _awkward(rng, n), _awkward(rng, n)
    want = p * 10.0 * (extra - (1.0 - sub) * run) - (1.0 - sub) * cost
    assert same_bits(digital.net_present_value(p, 10.0, extra, run, cost, sub, own=(1.0 - subsidy)[region]), want)
    assert same_bits(digital.net_present_value(p, 10.0, extra, run, cost, sub), want)


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
    assert same_bits(got, plain)
    rel = np.clip(np.where(va > 0, va / np.median(va[va > 0]), 0.01), 0.01, 1e4) ** -0.3
    assert same_bits(size, rel / rel.mean())


def test_all_below_is_the_min_max_check():
    rng = np.random.default_rng(5)
    for dt in (np.int64, np.int32, np.int16, np.int8, np.uint8, np.uint64, np.intp):
        info = np.iinfo(dt)
        for _ in range(200):
            lo = int(info.min) if rng.random() < 0.3 else 0
            x = rng.integers(lo, min(int(info.max), 2**50), int(rng.integers(1, 40)), dtype=dt)
            for bits in (7, 15, 47):
                assert entry_exit._all_below(x, bits) == bool(0 <= x.min() and x.max() < 2**bits)


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
    assert same_bits(got, want) and (got >= 0).all()


def _reference_probabilities(block):
    e = block - block.max(axis=1, keepdims=True)
    np.exp(e, out=e)
    e /= e.sum(axis=1, keepdims=True)
    return e


@pytest.mark.parametrize("nr", range(1, 11))
def test_probabilities_by_columns_are_numpys_row_reductions(nr):
    # also checks the assumption that numpy sums a row of fewer than 8 values in order on this numpy
    rng = np.random.default_rng(nr)
    for n in (0, 1, 7, 1000, 20000):
        b = rng.normal(0, 5, (n, nr))
        if n > 100:
            b[rng.integers(0, n, 40), rng.integers(0, nr, 40)] = rng.choice(
                [0.0, -0.0, np.inf, -np.inf, np.nan, 700.0, -800.0], 40)
            b[3] = -0.0
            b[4, 0] = 0.0
        with np.errstate(all="ignore"):
            want = _reference_probabilities(b.copy())
            assert same_bits(location.probabilities(b.copy().T), want)
            assert same_bits(location.probabilities(b.copy().T, overwrite=True), want)


def test_review_draw_is_the_comparison_with_the_review_probability():
    rng = np.random.default_rng(3)
    for trial in range(120):
        n = int(rng.integers(0, 3000))
        va = rng.lognormal(0, 2, n)
        if n and trial % 3 == 0:  # values at the median, within a few ulps
            k = rng.integers(0, n, 20)
            va[k] = np.median(va) * (1 + rng.integers(-3, 4, 20) * 2.0**-52)
        if n and trial % 5 == 0:
            va[rng.integers(0, n, 5)] = np.nan
        if n and trial % 7 == 0:
            va[rng.integers(0, n, 5)] = rng.choice([0.0, -0.0, np.inf, -np.inf, -3.0], 5)
        u = rng.random(n)
        for rate, eta in [(0.1, 0.5), (0.1, 0.0), (1.0, 2.0), (0.5, -0.5), (0.0, 0.5), (np.nan, 0.5), (0.2, np.nan)]:
            with np.errstate(all="ignore"):
                assert same_bits(location.review_draw(u, va, rate, eta), u < location.review_probability(va, rate, eta))


def test_utilities_with_shared_parts_and_in_place_are_the_plain_ones(high_carbon_model):
    f, P = high_carbon_model.firms, high_carbon_model.params
    rng = np.random.default_rng(5)
    idx = np.sort(rng.choice(len(f), 300, replace=False))
    R = high_carbon_model.data.n
    profit = rng.normal(0, 10, (len(idx), R))
    cur, va = f.region[idx], f.value_added[idx]
    match = f.rows("location_match", idx)
    sites = location.log_destination_sites(high_carbon_model.world.firm_sites_2012, cur, f.sector[idx])
    for sub_block in (np.zeros((len(idx), R)), rng.uniform(0, 0.3, (len(idx), R))):
        args = (P["location.profit_sensitivity"], P["location.relocation_cost"])
        tail = (3.0, match, P["location.match_weight"], P["location.gain_clip"], P["location.min_relative_scale"],
                sites)
        want = location.utilities(profit.copy(), cur, va, *args, sub_block, *tail)
        mt = location.match_term(match, cur, P["location.match_weight"])
        sub = sub_block[0, 0] if not sub_block.any() else sub_block  # one value when uniform
        got = location.utilities(profit.copy(), cur, va, *args, sub, 3.0, None, 0.0, *tail[3:], match_term=mt,
                                 overwrite=True)
        assert same_bits(got, want)
        assert same_bits(location.probabilities(got, overwrite=True), location.probabilities(want))
        p = location.probabilities(want)
        amount = f.capital[idx]
        bins = location.flow_bins(f.sector[idx], R)
        assert same_bits(location.expected_flows(p, cur, f.sector[idx], amount, 4, bins=bins),
                     location.expected_flows(p, cur, f.sector[idx], amount, 4))


def test_location_profit_parts_in_place_are_the_plain_ones(high_carbon_model):
    f = high_carbon_model.firms
    idx = np.arange(0, len(f), 7)
    s = f.sector[idx]
    charged = f.digital[idx] | carbon.charged(high_carbon_model, s)
    assert charged.all()  # power's carbon cost passed through: the path without the zeros block
    want_c = np.zeros((len(idx), high_carbon_model.data.n))
    digital_cost = high_carbon_model.params["digital.annual_cost"] * (1.0 - high_carbon_model.policy.digital_subsidy)
    want_c[np.flatnonzero(charged)] = (
        f.digital[idx][:, None] * digital_cost[None, :]
        + carbon.charges_everywhere(high_carbon_model, s, carbon.direct_effective(f)[idx], f.power_use[idx]))
    want = production.profit_parts(high_carbon_model, idx, want_c.copy())
    got = location.profit_parts(high_carbon_model, idx)
    assert same_bits(got[0], want[0]) and same_bits(got[1], want[1])
