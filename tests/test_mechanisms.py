"""Each mechanism on its own: equations behave as documented, and each lever acts on decisions."""

import numpy as np
import pytest

from conftest import migration_probabilities, small_model
from model.mechanisms import capital, carbon, demand, demography, digital, entry_exit, labour_market, location, migration, production
from model.policy import policy_for_year
from model.scenario import scenario_from_dict


# --- production ---------------------------------------------------------------------------
def test_first_order_conditions_reproduce_output():
    """Short-run optimum: labour's cost is beta of net revenue, and N = M L^beta (production.short_run)."""
    beta, log_m, cost = np.array([0.3]), np.log(np.array([5.0])), np.array([0.02])
    log_n, log_l = production.short_run(log_m, cost, beta)
    np.testing.assert_allclose(np.exp(log_n), 5.0 * np.exp(log_l) ** 0.3, rtol=1e-12)
    np.testing.assert_allclose(cost * np.exp(log_l), beta * np.exp(log_n), rtol=1e-12)


def test_higher_wages_cut_supply_more_for_labour_intensive_firms():
    alpha = np.array([0.72, 0.55])
    beta = production.labour_exponent(alpha, production.markup_rho(np.array([6.0, 6.0])))
    base, _ = production.short_run(np.zeros(2), np.full(2, 0.04), beta)
    dear, _ = production.short_run(np.zeros(2), np.full(2, 0.044), beta)
    drop = base - dear
    assert drop[1] > drop[0] > 0


def test_agglomeration_and_spillover_reward_concentration():
    agg = production.agglomeration(np.array([[10.0], [1.0]]), 0.05)
    assert agg[0, 0] > 1 > agg[1, 0]
    sp = production.spillover(np.array([0.2, 0.1]), 0.15, 0.1)
    assert sp[0] > 1 > sp[1]


# --- demand -------------------------------------------------------------------------------
def test_prices_clear_every_sector_market(rng):
    """The closed-form sector equilibrium: Q = D P^-eta and X = P (Q / N)^(1/sigma) both hold."""
    e, sigma, eta = np.array([0.5, 0.8, 0.6, 0.7]), np.full(4, 6.0), 1.0
    log_q1, log_n = rng.normal(10, 1, 4), rng.normal(8, 1, 4)
    log_d = log_q1 + np.log(np.array([1.3, 0.7, 1.0, 2.0]))
    lx, lq, lp = production.clear_sector(log_q1, log_n, log_d, e, sigma, eta)
    np.testing.assert_allclose(lq, log_d - eta * lp, atol=1e-12)
    np.testing.assert_allclose(lx, lp + (lq - log_n) / sigma, atol=1e-12)
    np.testing.assert_allclose(lq, log_q1 + e * lx, atol=1e-12)
    assert lp[3] > lp[0] > 0 > lp[1], "excess demand raises the price, excess supply lowers it"


def test_growth_path_uses_data_then_glides_to_2035():
    data = {2013: 0.077, 2023: 0.052}
    assert demand.growth_path(data, 0.035, 2013) == 0.077
    assert 0.035 < demand.growth_path(data, 0.035, 2030) < 0.052
    assert demand.growth_path(data, 0.035, 2040) == 0.035


# --- labour market ------------------------------------------------------------------------
def test_labour_market_rations_and_raises_wages_when_short():
    demand_ = np.array([[110.0, 90.0]])
    supply = np.array([[100.0, 100.0]])
    emp, ration = labour_market.clear(demand_, supply, 0.05)
    np.testing.assert_allclose(emp, [[95.0, 90.0]])
    assert ration[0, 0] < 1 and ration[0, 1] == 1
    w = labour_market.wage_curve(np.array([[100.0, 50.0]]), demand_, supply, 1 - emp / supply, 0.05, 1.5, 0.5, 0.1)
    assert w[0, 0] > 100 and w[0, 1] < 50


# --- migration ----------------------------------------------------------------------------
_probs = migration_probabilities  # conftest: four regions, equal wages unless overridden


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
    clip = dict(gain_clip=20.0, min_scale=1e-3)
    d0 = location.choose(rng, profit, current, va, 25.0, 0.25, none, 1.0, **clip)
    assert (d0 == 1).mean() > (d0 == 2).mean()
    sub = none.copy()
    sub[:, 2] = 0.8
    d1 = location.choose(np.random.default_rng(1), profit, current, va, 25.0, 0.25, sub, 1.0, **clip)
    assert (d1 == 2).mean() > (d0 == 2).mean()
    # prohibitive sunk cost keeps everyone home
    d2 = location.choose(rng, profit, current, va, 25.0, 5.0, none, 1.0, **clip)
    assert (d2 == 0).mean() > 0.99
    # a lasting gain weighs more against the same sunk cost when it is reaped for longer
    d3 = location.choose(np.random.default_rng(2), profit, current, va, 25.0, 0.25, none, 1.0, **clip)
    d4 = location.choose(np.random.default_rng(2), profit, current, va, 25.0, 0.25, none, 10.0, **clip)
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
    from model import energy  # issue 10: the grid follows the non-fossil share of generation
    data = energy.load_energy_data(("east", "central", "west", "northeast"))
    np.testing.assert_allclose(energy.grid_factor(data, 2012), 1.0)
    assert np.all(energy.grid_factor(data, 2031) < energy.grid_factor(data, 2020))
    assert np.all(energy.grid_factor(data, 2020) < 1.0)


def test_carbon_price_path_interpolates_and_stays_flat():
    sc = scenario_from_dict({"name": "t", "levers": {"carbon_price": {"path": {2021: 54, 2023: 79, 2030: 200},
                                                                       "sectors": ["energy_intensive"], "free_allocation": 0.5}}})
    cp = sc.levers.carbon_price
    assert cp.price(2020) == 0.0 and cp.price(2022) == pytest.approx(66.5) and cp.price(2035) == 200
    pol = policy_for_year(sc, 2030, ("east", "central", "west", "northeast"))
    np.testing.assert_allclose(pol.effective_carbon_price(), [100.0, 0, 0, 0])


def test_carbon_price_enters_costs_and_capital_premium():
    """300 yuan/t on energy-intensive firms from 2013, no free allocation: costs appear, and the sector's share of
    industrial VA and industrial CO2 fall. Pooled over three seeds: at ~700 firm agents one seed's path (which
    giant exits first) can outweigh the price (seed 5 alone: EI share +2% in 2024 after the 2012 data fix)."""
    years = {"years": [2012, 2024]}
    ei = lambda m: (m.firms.weight * m.firms.value_added * (m.firms.sector == 0)).sum()  # noqa: E731
    share = lambda m: m.recorder.values[-1, -1, m.recorder.metrics.index("industrial_va")]  # noqa: E731
    pooled = {"low": np.zeros(3), "high": np.zeros(3)}
    for seed in (3, 4, 5):
        low = small_model(seed=seed, scenario={"name": "a", **years})
        high = small_model(seed=seed, scenario={"name": "b", **years, "levers": {"carbon_price": {
            "path": {2013: 300}, "sectors": ["energy_intensive"], "free_allocation": 0.0}}})
        low.run()
        high.run()
        assert high.recorder.series("carbon_cost")[-1] > 0 == low.recorder.series("carbon_cost")[-1]
        for key, m in (("low", low), ("high", high)):
            # the price covers industry only; non-industrial CO2 at 600 firm agents is too noisy to compare
            pooled[key] += [ei(m), share(m), m.recorder.series("emissions_industry")[-1]]
    assert pooled["high"][0] / pooled["high"][1] < pooled["low"][0] / pooled["low"][1]
    assert pooled["high"][2] < pooled["low"][2]


def test_capital_draw_falls_with_returns():
    assert capital.industry_draw(100.0, 0.3, 0.2, 0.2, 2.0, 0.9) == pytest.approx(30.0)
    assert capital.industry_draw(100.0, 0.3, 0.1, 0.2, 2.0, 0.9) < 30.0
    assert capital.industry_draw(100.0, 0.3, 0.4, 0.2, 2.0, 0.9) == pytest.approx(90.0)  # capped


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


def test_demography_stochastic_rounding(rng):  # cohort-component demography: tests/test_people.py
    x = np.full(10000, 0.3)
    assert demography.stochastic_round(rng, x).mean() == pytest.approx(0.3, abs=0.02)


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
    # firms arriving by relocation or as new capacity (entry responds to the subsidy too)
    west = lambda m: m.recorder.series("firms", "west")[-1]  # noqa: E731
    assert west(promo) > west(base)


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
    a, rho, beta = w.alpha[s][:, None], w.rho[s][:, None], w.beta[s][:, None]
    fr = 1.0 + w.friction[None, :]
    t = location.charges_everywhere(m, s, f.digital, f.direct_intensity, f.power_use)
    keep = np.maximum(1.0 - t / w.price[s][:, None], 0.0)
    tfp = f.tfp[:, None] * (w.region_tfp * w.agg)[:, s].T * w.spill[None, :]
    c_l = labour_market.labour_unit_cost(w.wage[None, :, 0] / 1e6, w.wage[None, :, 1] / 1e6, w.omega_high_t[s][:, None],
                                         w.sigma_labour)[0]
    m_ir = np.exp(f.wedge)[:, None] * keep * np.exp(w.log_x[s])[:, None] * (
        w.access[None, :] * np.exp(f.quality)[:, None] * tfp * f.capital[:, None] ** a) ** rho
    lab = (beta * m_ir / (fr * c_l)) ** (1 / (1 - beta))
    slow = (1 - beta) * m_ir * lab**beta - fr * w.user_cost[None, :] * f.capital[:, None]
    np.testing.assert_allclose(fast, slow, rtol=1e-9)


def test_land_gets_dearer_where_industry_concentrates():
    m = small_model(seed=8, params={"location.land_supply_elasticity": 1.0})
    location.update_land_cost(m)
    before = m.world.user_cost.copy()
    f = m.firms
    f.data["capital"][f.region == 2] *= 2.0  # the west doubles its capital
    location.update_land_cost(m)
    uc = m.world.user_cost
    assert uc[2] > before[2] and np.all(uc[[0, 1, 3]] < before[[0, 1, 3]])
    flat = small_model(seed=8, params={"location.land_share": 0.0})
    flat.firms.data["capital"][flat.firms.region == 2] *= 2.0
    location.update_land_cost(flat)
    np.testing.assert_allclose(flat.world.user_cost, before * 0 + (flat.params["capital.interest_rate"]
                               + flat.params["capital.depreciation"]) * flat.world.land)


# ===========================================================================================
# Equations, exactly: each mechanism's public functions against the formula in its docstring.
# These are the tests that must bite when one line of an equation changes.
# ===========================================================================================
from model import HIGH, SECTORS  # noqa: E402
from model.mechanisms import innovation  # noqa: E402
from model.parameters import ParamSet  # noqa: E402
from model.world import World  # noqa: E402


def test_wage_update_is_the_wage_curve_without_a_clip():
    wage = np.array([[100.0, 50.0], [80.0, 40.0], [90.0, 45.0]])
    supply = np.full((3, 2), 100.0)
    u, eps, lam, b = 0.05, 1.5, 0.8, 0.1
    demand_ = np.array([[96.0, 90.0], [500.0, 95.0], [1.0, 95.0]])  # inside, far above, far below
    unemp = 1.0 - np.minimum(demand_, (1 - u) * supply) / supply
    got = labour_market.wage_curve(wage, demand_, supply, unemp, u, eps, lam, b)
    ratio = demand_ / ((1 - u) * supply)
    want = wage * ratio ** (lam / eps) * (np.maximum(unemp, u) / u) ** (-b)
    np.testing.assert_allclose(got, want, rtol=1e-13)
    assert got[1, 0] > 1.3 * wage[1, 0] and got[2, 0] < 0.7 * wage[2, 0]  # no cap either way


def test_labour_clearing_rations_every_employer_by_the_same_factor():
    demand_ = np.array([[200.0, 50.0]])
    supply = np.array([[100.0, 100.0]])
    emp, ration = labour_market.clear(demand_, supply, 0.1)
    np.testing.assert_allclose(emp, [[90.0, 50.0]])
    np.testing.assert_allclose(ration, [[0.45, 1.0]])


def test_rd_performer_logit_has_every_term_of_its_equation():
    b0, trend, years, te, se, sub_e = -1.5, 0.03, 4, 0.6, 0.8, 2.0
    rel_t, rel_s, sub = np.array([0.5, 2.0]), np.array([3.0, 0.2]), np.array([0.3, 0.0])
    got = innovation.performer_logit(b0, trend, years, te, rel_t, rel_s, sub, se, sub_e)
    want = b0 + trend * years + te * np.log(rel_t) + se * np.log(rel_s) + sub_e * sub
    np.testing.assert_allclose(got, want, rtol=1e-13)
    assert got[0] - innovation.performer_logit(b0, trend, years, te, rel_t, rel_s, 0 * sub, se, sub_e)[0] \
        == pytest.approx(2.0 * 0.3)


def test_innovation_success_probability_is_the_stated_hazard():
    phi, stock, sales, public, rel_t = 0.7, np.array([5.0, 1.0]), np.array([50.0, 40.0]), np.array([0.01, 0.0]), \
        np.array([1.44, 0.64])
    got = innovation.success_probability(phi, stock, sales, public, rel_t, 0.5)
    want = 1 - np.exp(-phi * (stock / sales + public) * np.array([1.2, 0.8]))
    np.testing.assert_allclose(got, want, rtol=1e-13)


def test_nonindustrial_co2_follows_its_own_drivers():
    """Issue 10: buildings and transport follow population, income per head, efficiency, electrification."""
    P = ParamSet.defaults()
    w = World()
    w.nonind_2012 = {"buildings": np.array([60.0, 30.0]), "transport": np.array([27.0, 10.0]),
                     "other": np.array([13.0, 5.0])}
    w.population, w.gdp, w.services = np.array([100.0, 50.0]), np.array([1000.0, 400.0]), np.array([600.0, 250.0])
    w.nonind_drivers_2012 = (w.population.copy(), w.gdp / w.population, w.services.copy())
    w.grid_factor = np.ones(2)
    got = carbon.nonindustrial_co2(w, P, 2012)
    for part in ("buildings", "transport", "other"):
        np.testing.assert_allclose(got[part], w.nonind_2012[part], rtol=1e-13)  # 2012 is the data
    w.population = w.population * 1.1
    w.gdp = w.gdp * 2.2  # income per head x2
    w.services = w.services * 1.5
    w.grid_factor = np.array([0.5, 0.8])
    got = carbon.nonindustrial_co2(w, P, 2022)
    sb = min(P["energy.buildings_electric_share_2012"] + 10 * P["energy.buildings_electrification_rate"], 0.9)
    want_b = (w.nonind_2012["buildings"] * 1.1 * 2.0 ** P["energy.buildings_income_elasticity"]
              * (1 - P["energy.buildings_efficiency_gain"]) ** 10 * ((1 - sb) + sb * w.grid_factor))
    np.testing.assert_allclose(got["buildings"], want_b, rtol=1e-12)
    np.testing.assert_allclose(got["other"], w.nonind_2012["other"] * 1.5 * (1 - P["energy.other_efficiency_gain"]) ** 10,
                               rtol=1e-12)


def test_carbon_charge_per_yuan_is_price_times_intensity_in_consistent_units():
    # 100 yuan/t x 2 kt per million yuan = 200,000 yuan per million yuan = 0.2 per yuan (no benchmark, no power)
    got = carbon.charge_per_yuan(100.0, np.array([1.0, 0.0]), np.array([2.0, 2.0]), np.zeros(2), np.zeros(2),
                                 np.zeros(2), 0.0)
    np.testing.assert_allclose(got, [0.2, 0.0])


def test_migration_log_odds_are_the_stated_utility_differences():
    nr, beta, bias, mc = 4, 3.0, 1.0, 2.0
    wage = np.array([[60000.0, 40000.0], [50000.0, 35000.0], [45000.0, 30000.0], [55000.0, 30000.0]])
    emp = np.array([[0.95, 0.9], [0.9, 0.92], [0.93, 0.9], [0.85, 0.88]])
    topup = np.zeros((nr, 2))
    topup[3, HIGH] = 0.1
    cut = np.zeros((nr, 2))
    cut[2, HIGH] = 0.5
    amen = np.arange(8.0).reshape(nr, 2) / 10
    size = np.array([400.0, 300.0, 300.0, 100.0])
    p = migration.choice_probabilities(wage, emp, topup, cut, amen, size, beta, bias, mc)
    c, o, k = 1, 3, HIGH  # lives in region 1, home region 3, high-skill
    row = p[migration.cell_index(np.array([c]), np.array([o]), np.array([k]), np.array([0]), nr)[0]]
    u = beta * np.log(wage[:, k] * (1 + topup[:, k]) * emp[:, k]) + amen[:, k] + np.log(size)
    u += bias * (np.arange(nr) == o) - mc * (1 - cut[:, k]) * (np.arange(nr) != c)
    np.testing.assert_allclose(np.log(row / row[0]), u - u[0], rtol=1e-10, atol=1e-12)
    # the age group does not enter utilities: every age row is the same
    rows = [p[migration.cell_index(np.array([c]), np.array([o]), np.array([k]), np.array([g]), nr)[0]] for g in range(3)]
    np.testing.assert_allclose(rows[0], rows[2])


def test_migration_age_groups_follow_their_boundaries():
    np.testing.assert_array_equal(migration.age_group(np.array([20, 34, 35, 49, 50, 59]), 35, 50), [0, 0, 1, 1, 2, 2])


def test_location_choice_frequencies_match_the_stated_logit(rng):
    n, nr = 40000, 3
    lam, kappa, horizon = 2.0, 0.5, 4.0
    va = np.full(n, 10.0)
    profit = np.tile([1.0, 1.5, 0.5], (n, 1))
    sub = np.tile([0.0, 0.0, 0.6], (n, 1))
    current = np.zeros(n, dtype=np.int8)
    dest = location.choose(rng, profit, current, va, lam, kappa, sub, horizon, gain_clip=20.0, min_scale=1e-3)
    gain = horizon * (profit[0] - profit[0, 0]) / 10.0
    v = lam * (gain - kappa * (1 - sub[0]) * (np.arange(nr) != 0))
    want = np.exp(v) / np.exp(v).sum()
    np.testing.assert_allclose(np.bincount(dest, minlength=nr) / n, want, atol=0.01)
    # the gain is clipped: a huge gain counts as gain_clip
    big = profit.copy()
    big[:, 1] = 1e6
    d_big = location.choose(np.random.default_rng(3), big, current, va, lam, kappa, sub, horizon, gain_clip=1.0,
                            min_scale=1e-3)
    v = lam * (np.array([0.0, 1.0, gain[2]]) - kappa * (1 - sub[0]) * (np.arange(nr) != 0))
    np.testing.assert_allclose(np.bincount(d_big, minlength=nr) / n, np.exp(v) / np.exp(v).sum(), atol=0.01)


# The investment rule, the digital decision, imitation and entrants' technology (issue 8) are tested
# equation by equation in tests/test_firm_decisions.py.


def test_exit_probability_is_hazard_plus_loss_rule_at_the_streak_limit(rng):
    losses = np.repeat([0, 1, 2, 3], 20000)
    out = entry_exit.exits(rng, losses, 0.1, 0.5, 2)
    rate = [out[losses == s].mean() for s in range(4)]
    np.testing.assert_allclose(rate, [0.1, 0.1, 0.55, 0.55], atol=0.01)


def test_revenue_and_labour_scale_with_the_sector_shifter():
    """N, R and L scale with X^(1/(1-beta)) at the short-run optimum (production.short_run)."""
    beta, log_m, cost = np.array([0.3, 0.4]), np.array([0.2, -1.0]), np.array([0.02, 0.05])
    n0, l0 = production.short_run(log_m, cost, beta)
    n1, l1 = production.short_run(log_m + 0.7, cost, beta)
    np.testing.assert_allclose(n1 - n0, 0.7 / (1 - beta), rtol=1e-13)
    np.testing.assert_allclose(l1 - l0, 0.7 / (1 - beta), rtol=1e-13)


def test_price_clearing_with_elastic_demand():
    """e = 1, eta = 1 and (almost) perfect substitutes: X^2 = D / Q1, Q = X and P = D / Q = X."""
    lx, lq, lp = production.clear_sector(np.zeros(2), np.zeros(2), np.log(np.array([4.0, 9.0])), np.ones(2),
                                         np.full(2, 1e12), 1.0)
    np.testing.assert_allclose(np.exp(lx), [2.0, 3.0], rtol=1e-8)
    np.testing.assert_allclose(np.exp(lp), [2.0, 3.0], rtol=1e-8)
    np.testing.assert_allclose(np.exp(lq), [2.0, 3.0], rtol=1e-8)


def test_services_grow_so_gdp_follows_the_national_path():
    i, g_ind, g = 0.4, 0.078, 0.06
    g_n = demand.services_growth(g, i, g_ind)
    assert i * g_ind + (1 - i) * g_n == pytest.approx(g)
    pull = demand.services_attraction(np.array([100.0, 50.0]), np.array([20.0, 5.0]), np.array([0.2, 0.1]), 0.5, 0.3)
    np.testing.assert_allclose(pull, [100 * 0.2**0.5 * 0.2**0.3, 50 * 0.1**0.5 * 0.1**0.3], rtol=1e-12)


def test_services_convergence_closes_the_stated_share_of_the_2012_gap():
    """C_r,t = q_r^((1 - beta)^t - 1): after t years the pull per head is q_r^((1 - beta)^t), so the log gap
    is (1 - beta)^t of its 2012 value; 2012 (t = 0) and beta = 0 leave it alone."""
    q = demand.relative_per_head(np.array([300.0, 100.0]), np.array([2.0, 2.0]))
    np.testing.assert_allclose(q, [1.5, 0.5], rtol=1e-13)
    c = demand.convergence(q, 0.1, 9)
    np.testing.assert_allclose(np.log(q * c), 0.9**9 * np.log(q), rtol=1e-12)
    assert c[1] > 1 > c[0], "the poorer region gains, the richer loses"
    np.testing.assert_array_equal(demand.convergence(q, 0.1, 0), [1.0, 1.0])
    np.testing.assert_array_equal(demand.convergence(q, 0.0, 9), [1.0, 1.0])


def test_services_convergence_moves_gdp_not_the_work_the_other_sectors_need(monkeypatch):
    """demand.services applies C_r,t to the regional split of non-industrial output (national total
    unchanged), and labour_market.other_demand divides it out of the other sectors' labour bill."""
    m = small_model(seed=3, params={"labour.farm_release_pull": 0.0})  # the farm release off: output / C alone
    m.run_for(3)
    w, P = m.world, m.params
    c = demand.convergence(w.services_gap_2012, P["demand.services_convergence"], m.year - 2012)
    assert np.all(np.abs(c - 1) > 1e-3), "the calibrated rate has closed part of every region's gap by now"
    last_year = w.services.copy()  # services() grows last year's national total
    on = demand.services(m, w.growth)
    np.testing.assert_allclose(w.services_productivity, c, rtol=1e-13)
    w.services = on
    labour_on = labour_market.other_demand(m)
    monkeypatch.setattr(demand, "convergence", lambda gap, rate, years: np.ones_like(gap))
    w.services = last_year
    off = demand.services(m, w.growth)
    np.testing.assert_allclose(on, off * c * off.sum() / (off * c).sum(), rtol=1e-12)
    w.services = off
    labour_off = labour_market.other_demand(m)
    ratio = labour_on / labour_off  # output / C: equal up to the common normalisation of the national total
    np.testing.assert_allclose(ratio, ratio[0, 0], rtol=1e-12)
    poorer = w.services_gap_2012 < 1
    assert poorer.any() and np.all(on[poorer] > off[poorer])


def test_agglomeration_and_spillover_are_the_stated_powers():
    va = np.array([[4.0, 1.0], [1.0, 3.0]])
    np.testing.assert_allclose(production.agglomeration(va, 0.5), (va / va.mean(axis=0)) ** 0.5, rtol=1e-13)
    np.testing.assert_allclose(production.spillover(np.array([0.3, 0.15]), 0.2, 0.5), [1.5**0.5, 0.75**0.5])


def test_manufacturing_excludes_the_non_manufacturing_part_of_energy():
    m = small_model(seed=1)
    f = m.firms
    iva = np.bincount(f.region, weights=f.weight * f.value_added, minlength=4) / 100
    ei = np.bincount(f.region, weights=f.weight * f.value_added * (f.sector == SECTORS.index("energy_intensive")),
                     minlength=4) / 100
    share = m.params["production.nonmanufacturing_share_energy"]
    np.testing.assert_allclose(production.manufacturing_va(f, m.params, 4), iva - share * ei, rtol=1e-13)


# --- mechanism steps on a model (public ``step`` functions) ---------------------------------
def test_labour_market_step_pays_wages_and_updates_them_as_stated():
    m = small_model(seed=2)
    m.run_for(1)
    w, t, P = m.world, m.talent, m.params
    wage0, demand0 = w.wage.copy(), w.labour_demand * 1.1
    w.labour_demand = demand0
    w.employment = np.minimum(demand0, (1 - P["labour.natural_unemployment"]) * w.labour_supply)
    labour_market.step(m)
    np.testing.assert_allclose(w.employment_rate, w.employment / w.labour_supply, rtol=1e-13)
    want = labour_market.wage_curve(wage0, demand0, w.labour_supply, 1.0 - w.employment_rate,
                                    P["labour.natural_unemployment"], P["labour.demand_elasticity"],
                                    P["labour.wage_adjustment"], P["labour.wage_curve"])
    np.testing.assert_allclose(w.wage, want, rtol=1e-13)
    paid = np.where(t.employed, wage0[t.region, t.skill] * t.ability, 0.0)
    np.testing.assert_allclose(t.wage, paid, rtol=1e-13)


def test_carbon_step_moves_the_grid_and_firm_efficiency():
    from model import energy
    m = small_model(seed=2, scenario={"name": "t", "years": [2012, 2020]})
    m.run_for(7)
    m.start_year()
    d0, p0 = m.firms.direct_intensity.copy(), m.firms.power_use.copy()
    carbon.step(m)
    P, f = m.params, m.firms
    np.testing.assert_allclose(m.world.grid, m.world.grid_2012 * energy.grid_factor(m.world.energy, 2020), rtol=1e-13)
    eff = energy.efficiency_rate(2020, P.by("energy.efficiency_gain_2012_2020", SECTORS),
                                 P.by("energy.efficiency_gain_2021_2035", SECTORS), m.world.energy.efficiency_pace)[f.sector]
    elec = P.by("energy.electrification_rate", SECTORS)[f.sector]
    np.testing.assert_allclose(f.direct_intensity, d0 * (1 - elec) * (1 - eff), rtol=1e-13)
    moved = elec * d0 * P["energy.electrification_co2_ratio"] / m.world.grid_2012[f.region]
    np.testing.assert_allclose(f.power_use, p0 * (1 - P.by("energy.power_efficiency_gain", SECTORS)[f.sector]) + moved,
                               rtol=1e-12)


def test_entry_and_investment_spend_industrys_draw_on_the_pool():
    m = small_model(seed=3)
    m.run_for(2)
    m.start_year()
    w, f, P = m.world, m.firms, m.params
    k_before = (f.weight * f.capital).sum()
    capital.step(m)
    invest = m.year_stats["investment"].sum() * 100  # million yuan
    f = m.firms
    np.testing.assert_allclose((f.weight * f.capital).sum(), k_before * (1 - P["capital.depreciation"]) + invest,
                               rtol=1e-9)
    assert 0 < invest <= P["capital.industry_draw_cap"] * (
        P["capital.savings_rate"] + P["capital.foreign_share"]) * w.gdp.sum() * 100 * (1 + 1e-12)


def test_labour_market_step_pays_the_wage_top_up_and_books_its_cost():
    m = small_model(seed=4, scenario={"name": "t", "levers": {"talent_incentive": [
        {"region": "northeast", "skill": "high", "wage_topup": 0.2, "from": 2013}]}})
    m.run_for(1)
    w, t = m.world, m.talent
    wage0, cost0 = w.wage.copy(), m.year_stats["policy_cost"].copy()
    labour_market.step(m)
    ne = m.regions.index("northeast")
    topped = (t.region == ne) & (t.skill == HIGH) & t.employed
    assert topped.any()
    np.testing.assert_allclose(t.wage[topped], 1.2 * wage0[ne, HIGH] * t.ability[topped], rtol=1e-13)
    bill = (0.2 * wage0[ne, HIGH] * t.ability[topped] * t.weight[topped]).sum() / 1e8
    assert m.year_stats["policy_cost"][ne] - cost0[ne] == pytest.approx(bill, rel=1e-9)


def _market_year(m):
    """Bring a model to the point of this year's production: the steps before it, public API only."""
    m.start_year()
    for step in (location.step, carbon.step, demand.step):
        step(m)


def test_production_books_output_from_the_hires_actually_made():
    m = small_model(seed=5)
    m.run_for(1)
    _market_year(m)
    m.world.labour_supply = m.world.labour_supply * 0.6  # scarce labour: hiring is rationed
    production.step(m)
    f, w, P = m.firms, m.world, m.params
    u = P["labour.natural_unemployment"]
    np.testing.assert_allclose(w.employment, np.minimum(w.labour_demand, (1 - u) * w.labour_supply), rtol=1e-13)
    assert (w.employment < w.labour_demand).any()
    s = f.sector
    tfp_eff = f.tfp * (w.region_tfp * w.agg)[f.region, s] * w.spill[f.region]
    lab = labour_market.composite_labour(f.labour_high, f.labour_general, w.omega_high_t[s], w.sigma_labour)
    v = w.access[f.region] * np.exp(f.quality) * tfp_eff * f.capital ** w.alpha[s] * lab ** (1 - w.alpha[s])
    revenue = np.exp(w.log_x[s]) * v ** w.rho[s]
    np.testing.assert_allclose(f.value_added, revenue / w.price[s], rtol=1e-9)


def test_demography_step_retires_at_the_retirement_age_and_adds_entrants():
    m = small_model(seed=6)
    t, P = m.talent, m.params
    ret = int(P["demography.retirement_age"])
    leaving = t.age + 1 >= ret
    expect_retired = np.bincount(t.region[leaving], weights=t.weight[leaving], minlength=m.data.n)
    n0 = len(t)
    m.start_year()
    demography.step(m)
    t = m.talent
    assert t.age.max() == ret - 1
    # exits = retirements at the exit age (2013: before the 2025 reform) + deaths at any age (demography.py)
    retired = m.year_stats["retirements"] - m.year_stats["talent_deaths"]
    assert np.all(retired <= expect_retired + 1e-6) and np.all(retired >= 0.97 * expect_retired)
    new = t.newcomer
    n_left = round(m.year_stats["retirements"].sum() / m.world.talent_weight)
    assert new.sum() == len(t) - (n0 - n_left)
    assert set(np.unique(t.age[new & (t.skill == HIGH)])) == {int(P["demography.entry_age_graduate"])}
    assert set(np.unique(t.age[new & (t.skill != HIGH)])) == {int(P["demography.entry_age_general"])}


def test_entrants_take_at_most_their_share_of_the_pool():
    def entrant_capital(share):
        from model.model import YEAR

        m = small_model(seed=7, params={"capital.entrant_pool_share": share})
        uid0 = m.firms.uid.copy()
        m.start_year()
        for step in YEAR[:YEAR.index(capital.step)]:  # this year's state up to entry and investment
            step(m)
        capital.step(m)
        new = ~np.isin(m.firms.uid, uid0)
        return (m.firms.weight * m.firms.capital)[new].sum(), new.sum()
    k_low, n_low = entrant_capital(0.001)
    k_half, n_half = entrant_capital(0.5)
    assert n_low == n_half > 0          # the same entrants (the same draws) ...
    assert k_low < k_half                # ... financed less when their share of the pool is smaller


def test_reference_price_is_last_price_unless_no_firm_covers_its_costs():
    price = np.array([1.0, 2.0])
    sector = np.array([0, 0, 1, 1])
    # sector 0: one firm covers its costs at 1.0 -> last year's price stands (the same object, no copy)
    assert production.reference_price(price, np.array([0.5, 1.5, 0.1, 0.2]), sector, 2) is price
    # sector 0: nobody covers at 1.0 -> the lowest-cost firm's limit price 1.2 / 0.9; sector 1 untouched
    out = production.reference_price(price, np.array([1.2, 3.0, 0.1, 2.5]), sector, 2)
    assert out[0] == pytest.approx(1.2 / (1.0 - production.SHUTDOWN_MARGIN)) and out[1] == 2.0
    assert price[0] == 1.0                                     # the clearing price itself is not overwritten
    # a sector without firms keeps its price
    assert np.all(production.reference_price(price, np.array([3.0, 3.0]), np.array([0, 0]), 2)[1:] == 2.0)


# ------------------------------------------------------------------ farm-labour reserve (issue 11, session 6)
def test_farm_log_decline_is_the_sourced_rate_then_the_later_one():
    """D_t = d1 min(t, T) + d2 max(t - T, 0): the NBS 2012-2020 rate for eight years, then the later rate."""
    assert labour_market.farm_log_decline(0, 0.05, 0.03, 8) == 0.0
    assert labour_market.farm_log_decline(5, 0.05, 0.03, 8) == pytest.approx(0.25, rel=1e-15)
    assert labour_market.farm_log_decline(8, 0.05, 0.03, 8) == pytest.approx(0.40, rel=1e-15)
    assert labour_market.farm_log_decline(12, 0.05, 0.03, 8) == pytest.approx(0.40 + 0.12, rel=1e-15)


def test_farm_employment_follows_the_national_path_and_releases_more_where_the_reserve_is_larger():
    """F_r,t = F_r,2012 exp(-theta_r x) with sum_r F_r,t = F_2012 exp(-D): the same x in every region."""
    f0 = np.array([60e6, 80e6, 90e6, 18e6])
    theta = np.array([0.7, 1.15, 1.3, 1.0])
    d = 0.0469 * 8
    f = labour_market.farm_employment(f0, theta, d)
    assert f.sum() == pytest.approx(f0.sum() * np.exp(-d), rel=1e-12)
    quick = labour_market.farm_employment(f0, theta, d, iterations=6)  # Newton: quadratic, a handful of steps
    assert quick.sum() == pytest.approx(f0.sum() * np.exp(-d), rel=1e-12)
    x = -np.log(f / f0) / theta
    np.testing.assert_allclose(x, x[0], rtol=1e-12)
    released = 1.0 - f / f0
    assert np.all(np.diff(released[np.argsort(theta)]) > 0), "a larger tilt releases a larger share"
    np.testing.assert_allclose(labour_market.farm_employment(f0, np.ones(4), d), f0 * np.exp(-d), rtol=1e-14)
    np.testing.assert_array_equal(labour_market.farm_employment(f0, theta, 0.0), f0)


def test_farm_reallocation_moves_the_release_to_the_non_farm_jobs_and_nets_to_zero():
    """mu (pi_r sum_j R_j - R_r), pi_r = max(O_rG - F_r, 0) / sum: the nation's non-farm sectors hire every
    released worker; 1 - mu of them locally."""
    other = np.array([200e6, 150e6, 150e6, 40e6])
    farm = np.array([50e6, 60e6, 70e6, 12e6])
    release = np.array([10e6, 20e6, 25e6, 5e6])
    got = labour_market.farm_reallocation(other, farm, release, 0.6)
    pi = (other - farm) / (other - farm).sum()
    np.testing.assert_allclose(got, 0.6 * (pi * release.sum() - release), rtol=1e-13)
    assert abs(got.sum()) < 1e-6 * release.sum()
    assert got[0] > 0 > got[2], "the east's non-farm jobs gain, the west's large reserve loses"
    np.testing.assert_array_equal(labour_market.farm_reallocation(other, farm, release, 0.0), np.zeros(4))


def test_farm_reserve_is_set_in_2012_and_enters_the_other_sectors_demand_for_general_labour():
    """2012: F_r = a_r E_r (general workers of the other sectors), theta_r = (a_r / a_nat)^kappa. Each year the
    other sectors' general demand is the labour bill's plus farm_reallocation of the year's release; high-skill
    demand is the bill's alone."""
    kappa = 1.5
    m = small_model(seed=2, params={"labour.farm_release_tilt": kappa, "labour.farm_release_pull": 0.7})
    w, P = m.world, m.params
    emp = (w.employment_rate * w.labour_supply).sum(axis=1)
    share = P.by("labour.farm_share_2012", m.regions)
    np.testing.assert_allclose(w.farm_2012, share * emp, rtol=1e-12)
    a_nat = w.farm_2012.sum() / emp.sum()
    np.testing.assert_allclose(w.farm_tilt, (share / a_nat) ** kappa, rtol=1e-12)
    m.run_for(3)
    d = labour_market.farm_log_decline(m.year - 2012, P["labour.farm_decline_2012_2020"],
                                       P["labour.farm_decline_after_2020"], 8)
    farm = labour_market.farm_employment(w.farm_2012, w.farm_tilt, d)
    got = labour_market.other_demand(m)
    np.testing.assert_allclose(w.farm_release, w.farm_2012 - farm, rtol=1e-12)
    assert w.farm_release.sum() == pytest.approx(w.farm_2012.sum() * (1 - np.exp(-d)), rel=1e-10)
    m.params = P.with_overrides({"labour.farm_release_pull": 0.0}, None)
    bill = labour_market.other_demand(m)
    np.testing.assert_array_equal(got[:, 0], bill[:, 0])
    want = bill[:, 1] + labour_market.farm_reallocation(bill[:, 1], farm, w.farm_2012 - farm, 0.7)
    np.testing.assert_allclose(got[:, 1], want, rtol=1e-12)
    assert np.abs(got[:, 1] - bill[:, 1]).max() > 1e5, "the release moves demand by more than rounding"


def test_farm_push_moves_general_workers_out_of_the_larger_reserves_only():
    """-phi (f_r - f_nat) on general workers' utility, f_r = F_r / S_rG; the high-skilled are not pushed."""
    farm = np.array([60e6, 75e6, 85e6, 20e6])
    supply = np.array([[45e6, 260e6], [21e6, 195e6], [21e6, 196e6], [8e6, 57e6]])
    got = migration.farm_push(farm, supply, 12.0)
    f = farm / supply[:, 1]
    np.testing.assert_allclose(got[:, 1], -12.0 * (f - farm.sum() / supply[:, 1].sum()), rtol=1e-13)
    np.testing.assert_array_equal(got[:, 0], np.zeros(4))
    assert got[0, 1] > 0 > got[2, 1], "the east (small reserve) pulls, the west (large reserve) pushes"
    np.testing.assert_array_equal(migration.farm_push(farm, supply, 0.0), np.zeros((4, 2)))


def test_migration_step_adds_the_farm_push_to_the_general_workers_amenity(monkeypatch):
    """migration.step passes amenity_2012 + talent.amenity + farm_push(F_r,t-1, S) to the choice probabilities."""
    m = small_model(seed=4)
    m.run_for(2)
    w, P = m.world, m.params
    seen = {}
    real = migration.choice_probabilities

    def spy(*args, **kw):
        seen["amenity"] = args[4].copy()
        return real(*args, **kw)

    monkeypatch.setattr(migration, "choice_probabilities", spy)
    want = (w.amenity_2012 + P.by("talent.amenity", m.regions)[:, None]
            + migration.farm_push(w.farm_2012 - w.farm_release, w.labour_supply.copy(), P["talent.farm_push"]))
    assert P["talent.farm_push"] > 0 and w.farm_release.sum() > 0
    m.step()
    np.testing.assert_allclose(seen["amenity"], want, rtol=1e-13, atol=1e-15)
