"""Issue 8 items 1 and 7, issue 9 item 5: market structure, sector demand and the labour market.

Unit tests of the equations (a one-line change to an equation fails one of them) and loose plausibility
tests of the baseline at scale small with a few seeds.
"""

from pathlib import Path

import numpy as np
import pytest

from conftest import small_model
from model import HIGH, SECTORS
from model.mechanisms import demand, labour_market, production
from model.scenario import load_scenario

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"


# --- CES skill substitution (labour_market.py) ---------------------------------------------------------
def test_ces_weights_reproduce_the_2012_cost_share_at_the_2012_premium():
    theta, sigma = np.array([0.1, 0.3, 0.5]), 1.8
    om = labour_market.ces_weights(theta, 1.6, sigma)
    _, share = labour_market.labour_unit_cost(1.6, 1.0, om, sigma)
    np.testing.assert_allclose(share, theta, rtol=1e-12)


def test_unit_cost_is_the_cost_of_one_composite_unit_and_tends_to_cobb_douglas():
    om, sigma, wh, wg = 0.4, 1.8, 2.0, 1.0
    c, s = labour_market.labour_unit_cost(wh, wg, om, sigma)
    h, g = s * c / wh, (1 - s) * c / wg  # cost-minimising inputs for one unit of the composite
    np.testing.assert_allclose(labour_market.composite_labour(h, g, om, sigma), 1.0, rtol=1e-12)
    # near sigma = 1 the unit cost is the Cobb-Douglas one with shares om^sigma/(...) -> om
    c1, s1 = labour_market.labour_unit_cost(wh, wg, om, 1.0 + 1e-7)
    np.testing.assert_allclose(s1, om, rtol=1e-5)
    np.testing.assert_allclose(c1, (wh / om) ** om * (wg / (1 - om)) ** (1 - om), rtol=1e-5)


def test_relative_wage_follows_katz_murphy():
    """ln(wH/wG) = ln(om/(1-om)) - (1/sigma) ln(H/G): the slope on relative supply is -1/sigma."""
    om, sigma = 0.45, 1.6
    ratios = []
    for hg in (0.2, 0.4):
        # wage ratio at which a cost-minimising employer chooses H/G = hg
        rel = (om / (1 - om)) * hg ** (-1 / sigma)
        _, s = labour_market.labour_unit_cost(rel, 1.0, om, sigma)
        ratios.append(s / (1 - s) / rel)  # H/G demanded at that wage ratio
    np.testing.assert_allclose(ratios, [0.2, 0.4], rtol=1e-12)


def test_skill_bias_shifts_the_weight_towards_high_skill():
    om = labour_market.skill_weight(np.array([0.4]), 0.033 * 10)
    np.testing.assert_allclose(np.log(om / (1 - om)), np.log(0.4 / 0.6) + 0.33, rtol=1e-12)


def test_wage_curve_moves_towards_the_marginal_product_wage_and_falls_with_slack():
    w0 = np.array([[100.0, 50.0]])
    supply = np.array([[100.0, 100.0]])
    # demand exactly at natural employment, no slack: wages stay
    same = labour_market.wage_curve(w0, 0.95 * supply, supply, np.full((1, 2), 0.05), 0.05, 1.5, 0.5, 0.1)
    np.testing.assert_allclose(same, w0, rtol=1e-12)
    # 20% excess demand: half of the log gap to w (1.2)^(1/1.5)
    up = labour_market.wage_curve(w0, 1.2 * 0.95 * supply, supply, np.full((1, 2), 0.05), 0.05, 1.5, 0.5, 0.1)
    np.testing.assert_allclose(np.log(up / w0), 0.5 * np.log(1.2) / 1.5, rtol=1e-12)
    # twice the natural unemployment rate lowers wages by 0.1 ln 2 on top
    slack = labour_market.wage_curve(w0, 0.95 * supply, supply, np.full((1, 2), 0.10), 0.05, 1.5, 0.5, 0.1)
    np.testing.assert_allclose(np.log(slack / w0), -0.1 * np.log(2.0), rtol=1e-12)
    # no clip: a fivefold demand gap moves the wage by the formula, not by a cap
    big = labour_market.wage_curve(w0, 5 * 0.95 * supply, supply, np.full((1, 2), 0.05), 0.05, 1.5, 1.0, 0.1)
    np.testing.assert_allclose(big / w0, 5 ** (1 / 1.5), rtol=1e-12)


# --- monopolistic competition (production.py) ---------------------------------------------------------
def test_markup_and_labour_exponent():
    rho = production.markup_rho(np.array([6.0]))
    np.testing.assert_allclose(1 / rho, 1.2)  # price = sigma/(sigma-1) x marginal cost
    np.testing.assert_allclose(production.labour_exponent(np.array([0.6]), rho), 0.4 * 5 / 6)


def test_benassy_aggregate_of_equal_firms_is_their_sum():
    v, weight, sector = np.full(6, 3.0), np.array([1.0, 2.0, 1.0, 4.0, 1.0, 1.0]), np.array([0, 0, 0, 1, 1, 1])
    rho = np.array([5 / 6, 0.75])
    log_q, log_n = production.ces_aggregate_log(np.log(v), weight, sector, rho, 2)
    np.testing.assert_allclose(np.exp(log_n), [4.0, 6.0])
    np.testing.assert_allclose(np.exp(log_q), [12.0, 18.0], rtol=1e-12)
    # unequal firms: the CES aggregate is below the sum (imperfect substitutes)
    log_q2, _ = production.ces_aggregate_log(np.log(np.array([1.0, 5.0])), np.ones(2), np.zeros(2, int), rho[:1], 1)
    assert np.exp(log_q2[0]) < 6.0


def test_firm_revenue_and_sector_clearing_are_consistent(rng):
    """Firms at their short-run optimum under the cleared X: revenue sums to P Q and Q = D P^-eta."""
    n, alpha, sigma, eta = 300, np.array([0.6]), np.array([6.0]), 1.0
    rho = production.markup_rho(sigma)
    beta = production.labour_exponent(alpha, rho)
    sector = np.zeros(n, int)
    weight = rng.uniform(1, 3, n)
    log_m1 = rng.normal(0, 0.5, n)  # ln M at X = 1 (no wedge, no charges)
    log_n1, _ = production.short_run(log_m1, np.full(n, 0.03), beta[sector])
    log_q1, log_n = production.ces_aggregate_log(log_n1 / rho[sector], weight, sector, rho, 1)
    e = (1 - alpha) / (1 - beta)
    log_d = log_q1 + 0.7
    lx, lq, lp = production.clear_sector(log_q1, log_n, log_d, e, sigma, eta)
    revenue = np.exp(log_n1 + lx[0] / (1 - beta[0]))
    v = (revenue / np.exp(lx[0])) ** (1 / rho[0])
    q_check, _ = production.ces_aggregate_log(np.log(v), weight, sector, rho, 1)
    np.testing.assert_allclose(q_check, lq, rtol=1e-10)
    np.testing.assert_allclose((weight * revenue).sum(), np.exp(lp + lq)[0], rtol=1e-10)


def test_firms_have_a_finite_optimal_size():
    """Profit (1 - beta) N(K) - c K is concave in K with an interior maximum, where alpha rho N / K = c."""
    alpha, rho = 0.6, 5 / 6
    beta = (1 - alpha) * rho
    k = np.geomspace(1, 1e5, 4001)
    log_n, _ = production.short_run(rho * alpha * np.log(k), np.full_like(k, 0.02), np.full_like(k, beta))
    net = np.exp(log_n)
    user = 0.15
    profit = (1 - beta) * net - user * k
    best = profit.argmax()
    assert 0 < best < len(k) - 1
    mrpk = production.marginal_return_capital(net, k, alpha, rho, beta)
    np.testing.assert_allclose(mrpk[best], user, rtol=0.01)
    assert np.all(np.diff(mrpk) < 0)


def test_wedges_are_bounded_and_average_one(rng):
    w = production.draw_wedge(rng, 200_000, 0.4)
    assert w.max() <= 0.8 - 0.08 + 1e-12 and w.min() >= -0.8 - 0.08 - 1e-12
    assert abs(np.exp(w).mean() - 1.0) < 0.01


# --- sector and firm demand (demand.py) ---------------------------------------------------------------
def test_income_elasticity_declines_to_zero_at_saturation():
    e = demand.income_elasticity(np.array([0.7, 1.4]), np.log(1.76), np.array([1.76, 1e6]))
    np.testing.assert_allclose(e[0], 0.0, atol=1e-12)
    assert e[1] > 1.0
    np.testing.assert_allclose(demand.income_elasticity(np.array([0.7]), 0.0, np.array([1.76])), 0.7)
    assert demand.income_elasticity(np.array([0.7]), np.log(2.5), np.array([1.76]))[0] < 0


def test_firm_demand_shocks_are_persistent_and_smaller_for_large_firms(rng):
    n = 40_000
    revenue = np.where(np.arange(n) % 2 == 0, 1.0, 100.0)
    q = demand.firm_demand_shock(rng, np.zeros(n), np.zeros(n, int), revenue, 0.2, 0.85, 0.2)
    small, large = q[revenue == 1.0].std(), q[revenue == 100.0].std()
    np.testing.assert_allclose(large / small, 100 ** -0.2, rtol=0.05)
    q0 = np.ones(n)
    q1 = demand.firm_demand_shock(rng, q0, np.zeros(n, int), np.ones(n), 0.0, 0.85, 0.2)
    np.testing.assert_allclose(q1, 0.85)


# --- the model ----------------------------------------------------------------------------------------
def test_2012_firms_reproduce_data_value_added_and_profit_share():
    m = small_model(n_firms=2000, n_talent=3000)
    f, w, P = m.firms, m.world, m.params
    # revenue at the 2012 shifters equals each firm's data value added; the mean profit share is the target
    assert np.all(w.price == 1.0)
    share = (f.weight * f.profit).sum() / (f.weight * f.value_added).sum()
    np.testing.assert_allclose(share, P["production.profit_share_2012"], rtol=1e-6)
    m.run_for(1)
    nominal = m.recorder.series("industrial_va_nominal")[:2]
    real = m.recorder.series("industrial_va")[:2]
    assert nominal[0] == pytest.approx(real[0])
    assert m.recorder.series("college_wage_premium")[0] == pytest.approx(P["labour.high_skill_premium_2012"], rel=0.06)


def test_revenue_productivity_differs_within_cells():
    m = small_model(n_firms=2000, n_talent=3000)
    f, w = m.firms, m.world
    a = w.alpha[f.sector]
    lab = f.labour_high + f.labour_general
    tfpr = np.log(f.value_added) - a * np.log(f.capital) - (1 - a) * np.log(lab)
    cell = f.region.astype(int) * len(SECTORS) + f.sector
    sd = [tfpr[cell == c].std() for c in np.unique(cell) if (cell == c).sum() > 20]
    assert np.median(sd) > 0.3


@pytest.fixture(scope="module")
def baseline_runs():
    runs = []
    # scale small (20,000 firm agents), where issue 8 asks the stylised facts to hold: at 1,500 agents one agent is
    # 229 identical real firms and the four largest energy-intensive agents hold ~20% of the sector, so a single
    # exit moves sector output by 5-10% (the energy-intensive plateau then passed in 5 of 8 seeds on main)
    for seed in (1, 2, 3):
        m = small_model(seed=seed, n_firms=20_000, n_talent=50_000, scenario=load_scenario(BASELINE))
        m.run()
        runs.append(m.recorder)
    return runs


def test_college_premium_stays_in_band(baseline_runs):
    for rec in baseline_runs:
        prem = rec.series("college_wage_premium")
        assert prem.min() > 1.4 and prem.max() < 1.9, prem.round(2)


def test_energy_intensive_output_peaks_before_2030_and_high_tech_rises(baseline_runs):
    for rec in baseline_runs:
        years = np.array(rec.years)
        ei = rec.series("energy_intensive_va")
        # saturation: real output plateaus from about 2020 and is below its pre-2030 peak by 2035. (A strict
        # peak year before 2030 is not met in every seed at 1,500 firm agents: the plateau is flat to +-3%.)
        assert ei[-1] < ei[years < 2030].max() and ei[years >= 2020].max() < 1.1 * ei[years == 2020][0], ei.round(0)
        ht = rec.series("high_tech_va") / rec.series("industrial_va")
        assert np.all(np.diff(ht[::5]) > 0), ht[::5].round(3)


def test_nominal_manufacturing_share_falls_below_the_real_one(baseline_runs):
    for rec in baseline_runs:
        nom, real = rec.series("manufacturing_share_gdp_nominal"), rec.series("manufacturing_share_gdp")
        assert nom[0] == pytest.approx(real[0])
        assert nom[-1] < real[-1]
        assert rec.series("industrial_deflator")[-1] > 0.4  # prices fall with productivity, no collapse
