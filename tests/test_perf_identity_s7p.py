"""Bit-identity of the s7-prod speed-ups (production, carbon, energy, demand, location, chains; engine
performance): each faster form against its plain form, the plain forms written out here as they were before."""

from __future__ import annotations

import numpy as np
import pytest

from model import energy, streams
from model.mechanisms import carbon, chains, demand, location, production


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


@pytest.fixture(scope="module")
def model():
    from model.model import FlyingGeeseModel
    from model.scenario import load_scenario

    m = FlyingGeeseModel(load_scenario("scenarios/high-carbon.yaml"), seed=3, scale="small")
    for _ in range(10):  # into the carbon-price years; the year's entrants and movers are after the sorted rows
        m.step()
    st = m.firms.__dict__["_order"]
    assert st["offsets"] is not None and st["n"] < len(m.firms) and len(st["moved"])
    return m


def _odd_values(rng, n):
    x = rng.normal(0.0, 3.0, n)
    for v in (np.nan, -0.0, 0.0, np.inf, -np.inf, 5e-324, 1e308):
        x[rng.integers(0, n, 5)] = v
    return x


@pytest.mark.parametrize("op", [np.add, np.subtract, np.multiply, np.divide])
@pytest.mark.parametrize("first", [False, True])
def test_combine_by_blocks_is_the_operation_with_the_gathered_table(model, op, first):
    f = model.firms
    R, S = f.__dict__["_cells"]
    rng = np.random.default_rng(2)
    x = _odd_values(rng, len(f))
    tables = {"cell": (f.combine_cell, rng.normal(0, 2, R * S), f.cell),
              "region": (f.combine_region, rng.normal(0, 2, R), f.region),
              "sector": (f.combine_sector, rng.normal(0, 2, S), f.sector)}
    with np.errstate(all="ignore"):
        for name, (combine, t, key) in tables.items():
            t[0], t[-1] = -0.0, np.nan
            g = t.take(key)
            want = op(g, x) if first else op(x, g)
            assert _same(combine(op, x, t, table_first=first), want), name
            y = x.copy()
            assert combine(op, y, t, table_first=first, out=y) is y and _same(y, want), name  # in place
            want_b = op(g, f.digital) if first else op(f.digital, g)  # a bool operand
            assert _same(combine(op, f.digital, t, table_first=first), want_b), name
        # a table that is not per sector (longer), and an operation outside the block-wise ones: as written
        t5 = rng.normal(0, 2, S + 1)
        assert _same(f.combine_sector(op, x, t5), op(x, t5.take(f.sector)))
        t = rng.normal(0, 2, S)
        assert _same(f.combine_sector(np.power, np.abs(x), t), np.power(np.abs(x), t.take(f.sector)))


def test_combine_and_gathers_fall_back_when_the_order_is_unknown():
    from model.model import FlyingGeeseModel
    from model.scenario import load_scenario

    m = FlyingGeeseModel(load_scenario("scenarios/baseline.yaml"), seed=1, scale="tiny")
    f = m.firms
    R = m.data.n
    f.data["region"][:10] = (f.region[:10] + 1) % R  # the order is unknown
    assert f.offsets is None
    t = np.arange(R, dtype=float) + 0.5
    x = np.linspace(-1.0, 1.0, len(f))
    assert _same(f.combine_region(np.multiply, x, t), x * t.take(f.region))
    t = np.arange(R * 4.0)
    assert _same(f.combine_cell(np.subtract, x, t, table_first=True), t.take(f.cell) - x)


def test_gather_sector_of_a_table_not_per_sector_is_take(model):
    f = model.firms
    t = np.array([0.25, 0.5, 0.75, 1.0, 2.0])  # one entry more than sectors: not tiled over the cells
    assert _same(f.gather_sector(t), t.take(f.sector))


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
            assert _same(location.probabilities(b.copy().T), want)
            assert _same(location.probabilities(b.copy().T, overwrite=True), want)


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
                assert _same(location.review_draw(u, va, rate, eta), u < location.review_probability(va, rate, eta))


def test_utilities_with_shared_parts_and_in_place_are_the_plain_ones(model):
    f, P = model.firms, model.params
    rng = np.random.default_rng(5)
    idx = np.sort(rng.choice(len(f), 300, replace=False))
    R = model.data.n
    profit = rng.normal(0, 10, (len(idx), R))
    cur, va = f.region[idx], f.value_added[idx]
    match = f.rows("location_match", idx)
    sites = location.log_destination_sites(model.world.firm_sites_2012, cur, f.sector[idx])
    for sub_block in (np.zeros((len(idx), R)), rng.uniform(0, 0.3, (len(idx), R))):
        args = (P["location.profit_sensitivity"], P["location.relocation_cost"])
        tail = (3.0, match, P["location.match_weight"], P["location.gain_clip"], P["location.min_relative_scale"],
                sites)
        want = location.utilities(profit.copy(), cur, va, *args, sub_block, *tail)
        mt = location.match_term(match, cur, P["location.match_weight"])
        sub = sub_block[0, 0] if not sub_block.any() else sub_block  # one value when uniform
        got = location.utilities(profit.copy(), cur, va, *args, sub, 3.0, None, 0.0, *tail[3:], match_term=mt,
                                 overwrite=True)
        assert _same(got, want)
        assert _same(location.probabilities(got, overwrite=True), location.probabilities(want))
        p = location.probabilities(want)
        amount = f.capital[idx]
        bins = location.flow_bins(f.sector[idx], R)
        assert _same(location.expected_flows(p, cur, f.sector[idx], amount, 4, bins=bins),
                     location.expected_flows(p, cur, f.sector[idx], amount, 4))


def test_location_profit_parts_in_place_are_the_plain_ones(model):
    f = model.firms
    idx = np.arange(0, len(f), 7)
    s = f.sector[idx]
    charged = f.digital[idx] | carbon.charged(model, s)
    assert charged.all()  # power's carbon cost passed through: the path without the zeros block
    want_c = np.zeros((len(idx), model.data.n))
    want_c[np.flatnonzero(charged)] = (
        f.digital[idx][:, None] * (model.params["digital.annual_cost"] * (1.0 - model.policy.digital_subsidy))[None, :]
        + carbon.charges_everywhere(model, s, carbon.direct_effective(f)[idx], f.power_use[idx]))
    want = production.profit_parts(model, idx, want_c.copy())
    got = location.profit_parts(model, idx)
    assert _same(got[0], want[0]) and _same(got[1], want[1])


def test_intensity_update_by_blocks_is_the_per_firm_update(model):
    f = model.firms
    rng = np.random.default_rng(6)
    eff, eff_p = rng.uniform(0, 0.05, 4), np.full(4, 0.015)
    elec = np.array([0.006, 0.01, 0.0, 0.01])
    grid = rng.uniform(0.2, 1.0, model.data.n)
    want = energy.intensity_update(f.direct_intensity, f.power_use, eff[f.sector], eff_p[f.sector], elec[f.sector],
                                   0.6, grid[f.region])
    got = energy.intensity_update(f.direct_intensity, f.power_use, eff, eff_p, elec, 0.6, grid, firms=f)
    assert _same(got[0], want[0]) and _same(got[1], want[1])


def test_ces_aggregate_and_leader_share_with_one_common_weight(model):
    f = model.firms
    rng = np.random.default_rng(7)
    log_v = rng.normal(0, 1, len(f))
    rho = np.array([0.8, 0.75, 0.7, 0.85])
    for c in (1.0, 2.5):
        w = np.full(len(f), c)
        ws = np.bincount(f.sector, weights=w, minlength=4)
        want = production.ces_aggregate_log(log_v, w, f.sector, rho, 4, weight_by_sector=ws)
        got = production.ces_aggregate_log(log_v, np.float64(c), f.sector, rho, 4, weight_by_sector=ws)
        assert _same(got[0], want[0]) and _same(got[1], want[1])
        R = model.data.n
        want = chains.leader_share(f.value_added, w, f.region, f.sector, 0.9, R, 4)
        assert _same(chains.leader_share(f.value_added, np.float64(c), f.region, f.sector, 0.9, R, 4), want)


def test_demand_shock_by_blocks_is_the_plain_shock(model):
    f, w = model.firms, model.world
    revenue = f.value_added * w.price[f.sector]
    assert _same(f.combine_sector(np.multiply, f.value_added, w.price), revenue)
    args = (f.quality, f.sector, revenue, 0.1, 0.8, 0.2)
    want = demand.firm_demand_shock(streams.keyed(model, "demand.shock", f.uid), *args)
    got = demand.firm_demand_shock(streams.keyed(model, "demand.shock", f.uid), *args,
                                   revenue_by_sector=f.values_by_sector(revenue), combine_sector=f.combine_sector)
    assert _same(got, want)
