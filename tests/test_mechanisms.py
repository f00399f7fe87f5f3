"""Each mechanism on its own: equations behave as documented, and each lever acts on decisions."""

import numpy as np
import pytest

from conftest import small_model
from model.mechanisms import capital, carbon, demand, demography, digital, entry_exit, labour_market, location, migration, production
from model.policy import policy_for_year
from model.scenario import scenario_from_dict


# --- production ---------------------------------------------------------------------------
def test_first_order_conditions_reproduce_output():
    a, bh, bg = production.exponents(np.array([0.6]), np.array([0.3]))
    tfp, k, q, wh, wg = np.array([2.0]), np.array([50.0]), np.array([0.9]), np.array([80000.0]), np.array([45000.0])
    y = k * production.output_per_capital(tfp, q, wh, wg, a, bh, bg)
    h, g = production.labour_demand(y, q, wh, wg, bh, bg)
    np.testing.assert_allclose(production.output(tfp, k, h, g, a, bh, bg), y, rtol=1e-12)
    # labour's share of net revenue is 1 - alpha
    np.testing.assert_allclose((wh * h + wg * g) / 1e6, (1 - a) * q * y, rtol=1e-12)


def test_higher_wages_cut_supply_more_for_labour_intensive_firms():
    alpha, theta = np.array([0.72, 0.55]), np.array([0.2, 0.1])
    a, bh, bg = production.exponents(alpha, theta)
    base = production.output_per_capital(1.0, 1.0, 60000.0, 40000.0, a, bh, bg)
    dear = production.output_per_capital(1.0, 1.0, 66000.0, 44000.0, a, bh, bg)
    drop = 1 - dear / base
    assert drop[1] > drop[0] > 0


def test_agglomeration_and_spillover_reward_concentration():
    agg = production.agglomeration(np.array([[10.0], [1.0]]), 0.05)
    assert agg[0, 0] > 1 > agg[1, 0]
    sp = production.spillover(np.array([0.2, 0.1]), 0.15, 0.1)
    assert sp[0] > 1 > sp[1]


# --- demand -------------------------------------------------------------------------------
def test_prices_clear_every_sector_market(rng):
    n = 2000
    sector = rng.integers(0, 4, n)
    scale, access = rng.lognormal(0, 1, n), rng.uniform(0.8, 1.0, n)
    charges = rng.uniform(0, 0.05, n)
    expo = np.array([0.4, 0.8, 0.55, 0.6])[sector]
    base = demand.sector_supply(np.ones(4), sector, scale, access, charges, expo)[0]
    d = base * np.array([1.3, 0.7, 1.0, 2.0])
    p = demand.clear_prices(sector, scale, access, charges, expo, d, 1.0, np.ones(4))
    supply = demand.sector_supply(p, sector, scale, access, charges, expo)[0]
    np.testing.assert_allclose(supply, d * p**-1.0, rtol=1e-8)
    assert p[0] > 1.0 > p[1], "excess demand raises the price, excess supply lowers it"


def test_growth_path_uses_data_then_glides_to_2035():
    data = {2013: 0.077, 2023: 0.052}
    assert demand.growth_path(data, 0.035, 2013) == 0.077
    assert 0.035 < demand.growth_path(data, 0.035, 2030) < 0.052
    assert demand.growth_path(data, 0.035, 2040) == 0.035


def test_market_access_converges():
    a0 = np.array([1.0, 0.8])
    a = demand.market_access(a0, 0.1, 10)
    assert a[0] == 1.0 and 0.8 < a[1] < 1.0


# --- labour market ------------------------------------------------------------------------
def test_labour_market_rations_and_raises_wages_when_short():
    demand_ = np.array([[110.0, 90.0]])
    supply = np.array([[100.0, 100.0]])
    emp, ration = labour_market.clear(demand_, supply, 0.05)
    np.testing.assert_allclose(emp, [[95.0, 90.0]])
    assert ration[0, 0] < 1 and ration[0, 1] == 1
    w = labour_market.update_wages(np.array([[100.0, 50.0]]), demand_, supply, 0.05, 1.0)
    assert w[0, 0] > 100 and w[0, 1] < 50


# --- migration ----------------------------------------------------------------------------
def _probs(**kw):
    nr = 4
    base = dict(wage=np.full((nr, 2), 50000.0), employment_rate=np.full((nr, 2), 0.95),
                topup=np.zeros((nr, 2)), cut=np.zeros((nr, 2)), amenity=np.zeros((nr, 2)),
                size=np.array([400.0, 300.0, 300.0, 100.0]), beta=3.0, home_bias=1.0, moving_cost=2.0)
    base.update(kw)
    return migration.choice_probabilities(**base)


def test_migration_probabilities_are_distributions():
    p = _probs()
    assert p.shape == (4 * 4 * 2 * 3, 4)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)


def test_wage_topup_and_moving_cost_cut_pull_talent_to_the_region():
    cell = migration.cell_index(np.array([0]), np.array([0]), np.array([0]), np.array([0]), 4)[0]
    base = _probs()[cell, 3]
    topup = np.zeros((4, 2))
    topup[3, 0] = 0.2
    cut = np.zeros((4, 2))
    cut[3, 0] = 0.3
    assert _probs(topup=topup)[cell, 3] > base
    assert _probs(cut=cut)[cell, 3] > base
    # a general worker does not get the high-skill top-up
    gcell = migration.cell_index(np.array([0]), np.array([0]), np.array([1]), np.array([0]), 4)[0]
    assert _probs(topup=topup)[gcell, 3] == pytest.approx(_probs()[gcell, 3])


def test_each_agent_draws_its_own_destination(rng):
    p = _probs()
    cells = np.zeros(20000, dtype=np.int64)
    dest = migration.choose(rng, cells, p)
    freq = np.bincount(dest, minlength=4) / len(dest)
    np.testing.assert_allclose(freq, p[0], atol=0.015)


# --- firm location ------------------------------------------------------------------------
def test_location_choice_follows_profit_and_relocation_subsidy(rng):
    n = 4000
    profit = np.tile([10.0, 10.0, 10.0, 10.0], (n, 1))
    profit[:, 1] = 13.0  # central is more profitable
    current = np.zeros(n, dtype=np.int8)
    va = np.full(n, 40.0)
    none = np.zeros((n, 4))
    d0 = location.choose(rng, profit, current, va, 25.0, 0.25, none)
    assert (d0 == 1).mean() > (d0 == 2).mean()
    sub = none.copy()
    sub[:, 2] = 0.8
    d1 = location.choose(np.random.default_rng(1), profit, current, va, 25.0, 0.25, sub)
    assert (d1 == 2).mean() > (d0 == 2).mean()
    # prohibitive sunk cost keeps everyone home
    d2 = location.choose(rng, profit, current, va, 25.0, 5.0, none)
    assert (d2 == 0).mean() > 0.99
    # a lasting gain weighs more against the same sunk cost when it is reaped for longer
    d3 = location.choose(np.random.default_rng(2), profit, current, va, 25.0, 0.25, none, horizon=1.0)
    d4 = location.choose(np.random.default_rng(2), profit, current, va, 25.0, 0.25, none, horizon=10.0)
    assert (d4 == 1).mean() > (d3 == 1).mean()


def test_rising_east_wages_push_labour_intensive_firms_out_first():
    """The flying-geese mechanism inside the model: raise east wages, labour-intensive firms gain most by leaving."""
    m = small_model(seed=2, n_firms=2000)
    location.refresh_location_factors(m)
    f = m.firms
    east = np.flatnonzero(f.region == 0)
    before = location.profit_everywhere(m, east)
    m.world.wage[0] *= 1.3
    after = location.profit_everywhere(m, east)
    gain_elsewhere = (after[:, 1:].max(axis=1) - after[:, 0]) - (before[:, 1:].max(axis=1) - before[:, 0])
    gain_elsewhere /= f.value_added[east]
    li = f.sector[east] == 1
    ei = f.sector[east] == 0
    assert gain_elsewhere[li].mean() > gain_elsewhere[ei].mean() > 0


# --- carbon -------------------------------------------------------------------------------
def test_grid_decarbonises_with_the_non_fossil_share():
    assert carbon.grid_factor(2012, 0.145, 0.25) == pytest.approx(1.0)
    assert carbon.nonfossil_share(2031, 0.145, 0.25) == pytest.approx(0.25)
    assert carbon.grid_factor(2031, 0.145, 0.25) < carbon.grid_factor(2020, 0.145, 0.25) < 1.0


def test_carbon_price_path_interpolates_and_stays_flat():
    sc = scenario_from_dict({"name": "t", "levers": {"carbon_price": {"path": {2021: 54, 2023: 79, 2030: 200},
                                                                       "sectors": ["energy_intensive"], "free_allocation": 0.5}}})
    cp = sc.levers.carbon_price
    assert cp.price(2020) == 0.0 and cp.price(2022) == pytest.approx(66.5) and cp.price(2035) == 200
    pol = policy_for_year(sc, 2030, ("east", "central", "west", "northeast"))
    np.testing.assert_allclose(pol.effective_carbon_price(), [100.0, 0, 0, 0])


def test_carbon_price_enters_costs_and_capital_premium():
    years = {"years": [2012, 2024]}
    low = small_model(seed=5, scenario={"name": "a", **years})
    high = small_model(seed=5, scenario={"name": "b", **years, "levers": {"carbon_price": {
        "path": {2013: 300}, "sectors": ["energy_intensive"], "free_allocation": 0.0}}})
    low.run()
    high.run()
    share = lambda m: m.recorder.values[-1, -1, m.recorder.metrics.index("industrial_va")]  # noqa: E731
    ei = lambda m: (m.firms.weight * m.firms.value_added * (m.firms.sector == 0)).sum()  # noqa: E731
    assert high.recorder.series("carbon_cost")[-1] > 0 == low.recorder.series("carbon_cost")[-1]
    assert ei(high) / share(high) < ei(low) / share(low)
    assert high.recorder.series("emissions")[-1] < low.recorder.series("emissions")[-1]


def test_capital_draw_falls_with_returns():
    assert capital.industry_draw(100.0, 0.3, 0.2, 0.2, 2.0) == pytest.approx(30.0)
    assert capital.industry_draw(100.0, 0.3, 0.1, 0.2, 2.0) < 30.0


# --- digital, entry and exit, demography --------------------------------------------------
# (the investment rule and the digital decision are tested in tests/test_firm_decisions.py)
def test_exit_needs_losses_or_bad_luck(rng):
    losses = np.array([0] * 5000 + [3] * 5000)
    out = entry_exit.exits(rng, losses, 0.02, 0.5, 2)
    assert 0.005 < out[:5000].mean() < 0.04 and 0.45 < out[5000:].mean() < 0.56


def test_entrants_go_where_the_sector_is_and_to_subsidies(rng):
    n_rs = np.array([[1000.0], [10.0]])
    out = entry_exit.entry_regions(rng, np.array([1000]), n_rs, np.zeros((2, 1)), np.zeros((2, 1)), 10.0)
    assert out.sum() == 1000 and out[0, 0] > out[1, 0]
    out2 = entry_exit.entry_regions(rng, np.array([1000]), n_rs, np.zeros((2, 1)), np.array([[0.0], [0.5]]), 10.0)
    assert out2[1, 0] > out[1, 0]


def test_demography_cohorts_and_stochastic_rounding(rng):
    gen, grads = demography.entrants(2012, 20.0, -0.015, 6.733, 0.045)
    assert gen + grads == pytest.approx(20.0) and grads == pytest.approx(6.733)
    x = np.full(10000, 0.3)
    assert demography.stochastic_round(rng, x).mean() == pytest.approx(0.3, abs=0.02)
    ages = demography.initial_ages(rng, 10000, 60)
    assert ages.min() >= 20 and ages.max() <= 59


# --- levers through the whole model -------------------------------------------------------
def _run(levers, seed=9, years=(2012, 2030)):
    m = small_model(seed=seed, n_firms=1500, n_talent=6000,
                    scenario={"name": "t", "years": list(years), "levers": levers})
    m.run()
    return m


def test_talent_incentive_raises_northeast_high_skill_population():
    base = _run({})
    topped = _run({"talent_incentive": [{"region": "northeast", "skill": "high", "wage_topup": 0.5,
                                         "moving_cost_cut": 0.5, "from": 2015}]})
    hs = lambda m: m.recorder.series("talent_high", "northeast")[-1]  # noqa: E731
    assert hs(topped) > hs(base)


def test_digitalization_lever_raises_northeast_adoption():
    base = _run({})
    dig = _run({"digitalization": [{"region": "northeast", "adoption_subsidy": 0.6, "infrastructure": 1.0, "from": 2013}]})
    d = lambda m: m.recorder.series("digital_adoption", "northeast")[-1]  # noqa: E731
    assert d(dig) > d(base)


def test_relocation_subsidy_and_business_environment_draw_firms_west():
    base = _run({})
    promo = _run({"relocation_subsidy": [{"region": "west", "subsidy": 0.9, "from": 2013}],
                  "business_environment": [{"region": "west", "friction_cut": 1.0, "from": 2013}]})
    inflow = lambda m: m.recorder.series("relocations_in", "west").sum()  # noqa: E731
    assert inflow(promo) > inflow(base)


def test_rd_support_raises_northeast_rd_spending():
    # one year from the same state and the same draws: the difference is the lever alone
    base = _run({}, years=(2012, 2013))
    rd = _run({"rd_support": [{"region": "northeast", "subsidy": 0.5, "tech_transfer": 0.5, "from": 2013}]},
              years=(2012, 2013))
    r = lambda m: m.recorder.series("rd_spend", "northeast")[-1]  # noqa: E731
    assert r(rd) > r(base)


def test_demand_shock_lowers_that_sectors_output_in_its_year():
    base = _run({}, years=(2012, 2018))
    sh = small_model(seed=9, n_firms=1500, n_talent=6000, scenario={"name": "t", "years": [2012, 2018], "shocks": [
        {"kind": "demand", "sector": "labour_intensive", "size": -0.3, "year": 2018}]})
    sh.run()
    li = lambda m: (m.firms.weight * m.firms.value_added * (m.firms.sector == 1)).sum()  # noqa: E731
    assert li(sh) < 0.9 * li(base)


def test_fast_profit_path_matches_the_general_formula():
    """The per-cell shortcut in _profit_everywhere must equal the firm-by-firm formula."""
    m = small_model(seed=6, scenario={"name": "t", "levers": {"carbon_price": {"path": {2012: 150}}}})
    location.refresh_location_factors(m)
    f, w = m.firms, m.world
    f.data["digital"][::3] = True
    idx = np.arange(len(f))
    fast = location.profit_everywhere(m, idx)
    s = f.sector
    a, bh, bg = w.a_exp[s][:, None], w.bh_exp[s][:, None], w.bg_exp[s][:, None]
    fr = 1.0 + w.friction[None, :]
    t = location.charges_everywhere(m, s, f.digital, f.direct_intensity, f.power_use)
    gross = w.access[None, :] * (w.price[s][:, None] - t)
    tfp = f.tfp[:, None] * (w.region_tfp * w.agg)[:, s].T * w.spill[None, :]
    y = f.capital[:, None] * production.output_per_capital(tfp, gross / fr, w.wage[None, :, 0], w.wage[None, :, 1], a, bh, bg)
    slow = a * gross * y - fr * w.user_cost[None, :] * f.capital[:, None]
    np.testing.assert_allclose(fast, slow, rtol=1e-9)


def test_land_gets_dearer_where_industry_concentrates():
    m = small_model(seed=8, params={"location.land_congestion": 1.0})
    location.update_land_cost(m)
    before = m.world.user_cost.copy()
    f = m.firms
    f.data["capital"][f.region == 2] *= 2.0  # the west doubles its capital
    location.update_land_cost(m)
    uc = m.world.user_cost
    assert uc[2] > before[2] and np.all(uc[[0, 1, 3]] < before[[0, 1, 3]])
    flat = small_model(seed=8, params={"location.land_congestion": 0.0})
    flat.firms.data["capital"][flat.firms.region == 2] *= 2.0
    location.update_land_cost(flat)
    np.testing.assert_allclose(flat.world.user_cost, before)
