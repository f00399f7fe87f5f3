"""Unit tests of the geography, land, location and chain equations (issue 9 items 1-4)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import small_model

from model.mechanisms import chains, geography, land, location
from model.regions import load_region_data

ACCESS_2012 = np.array([1.0, 0.93, 0.85, 0.86])


# ---------------------------------------------------------------- geography (item 4)
def test_freeness_and_internal_distance():
    assert geography.freeness(np.array([0.0]), 0.3, 4.0)[0] == pytest.approx(1.0)
    assert geography.freeness(np.array([1000.0]), 0.3, 4.0)[0] == pytest.approx(1.3 ** -4)
    assert geography.internal_distance_km(np.array([np.pi * 9e4]))[0] == pytest.approx(200.0)
    # Shanghai - Beijing is about 1,070 km
    assert geography.great_circle_km(31.23, 121.47, 39.90, 116.40) == pytest.approx(1068, abs=15)


def test_market_potential_sums_discounted_gdp():
    dist = np.array([[100.0, 1000.0], [1000.0, 100.0]])
    mp = geography.market_potential(np.array([10.0, 5.0]), 2.0, dist, np.array([100.0, 1000.0]), 0.3, 4.0)
    phi = lambda d: (1 + 0.3 * d / 1000) ** -4  # noqa: E731
    assert mp[0] == pytest.approx(10 * phi(100) + 5 * phi(1000) + 2 * phi(100))
    assert mp[1] == pytest.approx(10 * phi(1000) + 5 * phi(100) + 2 * phi(1000))


def test_access_index_and_logistics_path():
    rel0 = np.array([1.1, 1.0, 0.7, 0.7])
    a = geography.access_index(ACCESS_2012, rel0, rel0 * np.array([1.0, 1.0, 1.1, 1.0]), 0.5)
    assert a[2] == pytest.approx(0.85 * 1.1 ** 0.5) and a[0] == pytest.approx(1.0)
    pts = {2012: 0.18, 2024: 0.141, 2035: 0.125}
    assert geography.logistics_path(pts, 2012) == 0.18
    assert geography.logistics_path(pts, 2030) == pytest.approx(0.141 + (0.125 - 0.141) * 6 / 11)
    assert geography.logistics_path(pts, 2050) == 0.125


@pytest.fixture(scope="module")
def geo():
    d = load_region_data()
    g = geography.Geography.load(d, 129359.0)
    geography.reference(g, d.gdp_2012, 0.3, 4.0)
    return g, d


def test_access_unchanged_in_2012_and_no_windfall(geo):
    g, d = geo
    a12 = geography.access_for_year(g, ACCESS_2012, d.gdp_2012, 2012, 0.3, 4.0, 0.37)
    np.testing.assert_allclose(a12, ACCESS_2012, rtol=1e-12)
    a35 = geography.access_for_year(g, ACCESS_2012, d.gdp_2012, 2035, 0.3, 4.0, 0.37)
    gain = a35 / ACCESS_2012 - 1
    # falling trade costs help the interior a little, never the old 16-18% windfall
    assert gain[2] > 0.01 and gain[3] > 0.01 and gain[0] < 0
    assert np.all(np.abs(gain) < 0.06)
    # a region that grows gains access from its own market
    grown = d.gdp_2012 * np.array([1.0, 1.5, 1.0, 1.0])
    a_grown = geography.access_for_year(g, ACCESS_2012, grown, 2012, 0.3, 4.0, 0.37)
    assert a_grown[1] > ACCESS_2012[1]


def test_fitted_access_elasticity_matches_parameter(geo):
    g, _ = geo
    assert geography.fitted_elasticity(ACCESS_2012, g.rel_2012) == pytest.approx(0.37, abs=0.01)


def test_region_freeness_symmetric_and_inside_unit(geo):
    g, _ = geo
    phi = g.region_freeness(2012, 0.3, 4.0)
    np.testing.assert_allclose(phi, phi.T)
    assert np.all((phi > 0) & (phi < 1))
    assert np.all(g.region_freeness(2035, 0.3, 4.0) > phi)  # trade costs fall


# ---------------------------------------------------------------- land (item 2)
def test_land_price_and_user_cost():
    p = land.price_index(np.array([0.6, 0.2]), np.array([0.5, 0.2]), 0.5)
    assert p[0] == pytest.approx(1.2 ** 2) and p[1] == pytest.approx(1.0)
    u = land.user_cost(0.06, 0.1, np.array([1.25, 1.0]), 0.25, np.array([2.0, 1.0]))
    assert u[0] == pytest.approx(0.16 * 1.25 * 1.25) and u[1] == pytest.approx(0.16)
    with pytest.raises(ValueError):
        land.price_index(np.ones(2), np.ones(2), 0.0)


# ---------------------------------------------------------------- location (item 1)
def test_initial_match_puts_the_best_draw_on_the_present_region():
    rng = np.random.default_rng(0)
    region = rng.integers(0, 4, 5000).astype(np.int8)
    m = location.initial_match(rng, region, 4)
    assert np.all(np.argmax(m, axis=1) == region)
    # the best of four standard Gumbels has mean euler + ln 4
    assert m[np.arange(5000), region].mean() == pytest.approx(0.5772 + np.log(4), abs=0.05)


def test_horizon_discounts_a_decaying_gap():
    assert location.horizon(0.06, 0.04, 1.0) == pytest.approx(10.0)
    assert location.horizon(0.06, 0.04, 0.8) == pytest.approx(1 / 0.3)


def test_utilities_weigh_gain_cost_and_match():
    profit = np.array([[1.0, 1.3, 1.0]])
    match = np.array([[0.5, 0.0, 1.5]])
    v = location.utilities(profit, np.array([0]), np.array([1.0]), 10.0, 0.5, np.zeros((1, 3)), 2.0, match, 1.0)
    assert v[0][0] == 0.0
    assert v[1][0] == pytest.approx(10 * (2 * 0.3 - 0.5) + (0.0 - 0.5))
    assert v[2][0] == pytest.approx(10 * (0.0 - 0.5) + (1.5 - 0.5))


def test_relocation_rare_without_a_gain_and_follows_a_large_one():
    rng = np.random.default_rng(1)
    n = 20000
    cur = np.zeros(n, np.int8)
    match = location.initial_match(rng, cur, 4)
    flat = np.ones((n, 4))
    d0 = location.choose(rng, flat, cur, np.ones(n), 10.0, 0.63, np.zeros((n, 4)), 3.33, match, 1.0)
    assert (d0 != 0).mean() < 0.005
    better = flat.copy()
    better[:, 1] += 0.5
    d1 = location.choose(rng, better, cur, np.ones(n), 10.0, 0.63, np.zeros((n, 4)), 3.33, match, 1.0)
    assert (d1 == 1).mean() > 0.5


def test_expected_flows_and_anticipated_factors():
    p = np.array([[0.5, 0.5], [1.0, 0.0]])
    fl = location.expected_flows(p, np.array([0, 0]), np.array([0, 1]), np.array([10.0, 3.0]), 2)
    np.testing.assert_allclose(fl, [[-5.0, 5.0], [0.0, 0.0]])
    x_l, x_w = location.anticipated_factors(fl, np.array([100.0, 20.0]), np.ones(2), 0.25, 0.5, fl,
                                            np.array([1000.0, 100.0]), 0.5)
    assert x_l[0, 1] == pytest.approx(1 - 0.25 + 0.25 * 1.25 ** 2)
    assert x_l[0, 0] < 1.0 and x_l[1, 1] == pytest.approx(1.0)
    assert x_w[0, 1] == pytest.approx(1.05 ** 0.5)


def test_entry_choice_is_a_logit_with_persistent_matches():
    rng = np.random.default_rng(2)
    n_rs = np.array([[99.0], [99.0]])
    ret = np.array([[0.0], [0.1]])
    region, sector, match = location.entry_choice(rng, np.array([40000]), n_rs, ret, np.zeros((2, 1)), 10.0)
    assert match.shape == (40000, 2) and np.all(sector == 0)
    assert (region == 1).mean() == pytest.approx(np.e / (1 + np.e), abs=0.01)
    # the chosen region carries the better match on average
    assert match[np.arange(40000), region].mean() > match.mean() + 0.3


# ---------------------------------------------------------------- chains (item 3)
def test_supplier_access_and_local_share():
    phi = np.array([[0.8, 0.2], [0.2, 0.5]])
    va = np.array([[10.0, 1.0], [0.0, 4.0]])   # [region, input sector]
    bias = np.zeros((2, 2))
    sa = chains.supplier_access(va, phi, bias)
    assert sa[1, 0, 1] == pytest.approx(1 * 0.2 + 4 * 0.5)
    loc = chains.local_share(va, phi, bias)
    assert loc[1, 0, 1] == pytest.approx(2.0 / 2.2)
    loc_b = chains.local_share(va, phi, np.array([[0.0, 0.0], [1.0, 1.0]]))
    assert loc_b[1, 0, 1] == pytest.approx(4.0 / 4.2)


def test_input_price_and_chain_factor_neutral_in_2012():
    sa = np.random.default_rng(3).uniform(1, 2, (4, 4, 4))
    w = np.ones((4, 4))
    pi = chains.input_price(sa, sa, w, 5.0)
    np.testing.assert_allclose(pi, 1.0)
    io = np.full((4, 4), 0.1)
    np.testing.assert_allclose(chains.chain_factor(io, pi, np.full(4, 0.25)), 1.0)
    # better supplier access than the mean -> cheaper inputs -> chain factor above one
    sa2 = sa.copy()
    sa2[0] *= 1.2
    pi2 = chains.input_price(sa2, sa, w, 5.0)
    assert np.all(pi2[0] < 1.0) and np.all(pi2[1:] > 1.0)
    chi = chains.chain_factor(io, pi2, np.full(4, 0.25), 0.5)
    assert np.all(chi[0] > 1.0)
    assert chi[0, 0] == pytest.approx(1 - 0.5 * (0.1 * (pi2[0, 0] - 1)).sum() / 0.25)


def test_leader_share_and_procurement_share():
    va = np.array([1.0, 1.0, 1.0, 10.0, 1.0, 1.0])
    share = chains.leader_share(va, np.ones(6), np.array([0, 0, 0, 0, 1, 1]), np.zeros(6, np.int8), 0.8, 2, 1)
    assert share[0, 0] == pytest.approx(10 / 13) and share[1, 0] == 0.0
    io = np.array([[0.2, 0.0], [0.2, 0.4]])
    local = np.ones((1, 2, 2)) * np.array([0.5, 1.0])[None, None, :]
    ps = chains.procurement_share(io, local)
    assert ps[0, 0] == pytest.approx(0.75) and ps[0, 1] == pytest.approx(1.0)


# ---------------------------------------------------------------- in the model (loose plausibility)
def _by_region(m, metric):
    return np.column_stack([m.recorder.series(metric, r) for r in m.regions])


def test_relocation_is_rare_at_a_converged_scale():
    # issue 9: at most 1% of firms move across regions in any year. Checked at scale small: at tiny a
    # firm agent stands for ~170 real firms and relocation comes in lumps (README, "Scale and convergence").
    from model.api import build_model

    m = build_model(seed=11, scale="small")
    m.run()
    rate = m.recorder.series("relocation_rate")
    assert np.all(rate <= 0.01), rate.max()


def test_access_endogenous_in_a_tiny_run(tiny_run):
    m = tiny_run
    access = _by_region(m, "market_access")
    np.testing.assert_allclose(access[0], ACCESS_2012)
    assert np.all(np.abs(access[-1] / ACCESS_2012 - 1) < 0.08)   # no 16-18% windfall
    lp = _by_region(m, "local_procurement_share")
    assert np.all((lp > 0) & (lp < 1))


def test_match_column_and_chain_state_at_setup():
    m = small_model(seed=3)
    f, w = m.firms, m.world
    assert f.location_match.shape == (len(f), m.data.n)
    assert np.all(np.argmax(f.location_match, axis=1) == f.region)
    np.testing.assert_allclose(w.chain, 1.0)
    ne, eq = m.regions.index("northeast"), 2
    assert 0.2 < w.local_procurement[ne, eq] < 0.6


def test_chain_sourcing_lever_raises_local_procurement():
    base = small_model(seed=4)
    lever = small_model(seed=4, scenario={"name": "t", "levers": {"chain_sourcing": [
        {"region": "northeast", "support": 2.0}]}})
    ne = base.regions.index("northeast")
    assert np.all(lever.world.local_procurement[ne] > base.world.local_procurement[ne] + 0.05)
    others = [r for r in range(base.data.n) if r != ne]
    np.testing.assert_allclose(lever.world.local_procurement[others], base.world.local_procurement[others])


def test_congestion_penalises_a_region_that_outgrows_the_nation_and_adds_nothing_in_2012():
    from model.mechanisms import location
    s12 = np.array([0.57, 0.16, 0.18, 0.09])
    same = location.congestion(s12 * 1000.0, s12, 0.1)
    np.testing.assert_allclose(same, 1.0)                       # 2012 shares: no congestion anywhere
    grown = location.congestion(np.array([0.67, 0.14, 0.15, 0.04]) * 1000.0, s12, 0.1)
    assert grown[0] < 1.0 and grown[3] == 1.0                   # the east pays; the shrinking northeast keeps 2012 costs
    np.testing.assert_allclose(grown[0], (0.67 / 0.57) ** -0.1)
    np.testing.assert_allclose(location.congestion(np.array([6.7, 1.4, 1.5, 0.4]), s12, 0.0), 1.0)  # off


def test_congestion_enters_the_place_factor_of_a_region_that_outgrows_its_2012_share():
    m = small_model()
    w = m.world
    location.refresh_location_factors(m)
    agg0 = w.agg.copy()
    np.testing.assert_allclose(w.congestion, 1.0)              # 2012: no congestion
    w.va_rs_prev = w.va_rs_prev * np.array([1.5, 1.0, 1.0, 1.0])[:, None]   # the east grows alone
    location.refresh_location_factors(m)
    s0, s1 = w.iva_share_2012[0], w.va_rs_prev[0].sum() / w.va_rs_prev.sum()
    gc = m.params["location.congestion_elasticity"]
    assert gc > 0
    from model.mechanisms import production
    chain = w.chain if w.chain.size else 1.0
    ratio = w.agg / (production.agglomeration(w.va_rs_prev, m.params["production.agglomeration_elasticity"]) * chain)
    np.testing.assert_allclose(ratio[0], (s1 / s0) ** -gc, rtol=1e-9)   # the east pays for its larger share
    np.testing.assert_allclose(ratio[1:], 1.0, rtol=1e-12)              # the others fell behind: 2012 costs
    assert np.all(w.agg[0] < agg0[0] * 1.5 ** m.params["production.agglomeration_elasticity"])


def test_congestion_slows_the_concentration_of_value_added():
    from model.model import FlyingGeeseModel

    # One-sided congestion taxes every region whose industry outgrows its 2012 share, so what it must slow is the
    # total excess of regions over their 2012 shares (since the 2012 data fix both the east and the west outgrow
    # theirs; the east's own share can then rise with congestion, e.g. seed 1). Lower in each of three seeds, and
    # by at least half a point on average (session 5: per seed the cut is 0.3-1.3 points at small, so a
    # half-point floor in every seed tested seed noise, not the mechanism).
    def excess(gc: float, seed: int) -> float:
        m = FlyingGeeseModel(None, seed=seed, scale="small", params={"location.congestion_elasticity": gc})
        for _ in range(18):
            m.step()
        va = np.bincount(m.firms.region, weights=m.firms.weight * m.firms.value_added, minlength=4)
        return float(np.clip(va / va.sum() - m.world.iva_share_2012, 0.0, None).sum())
    cut = np.array([excess(0.0, seed) - excess(0.4, seed) for seed in (1, 2, 3)])
    assert np.all(cut > 0), cut
    assert cut.mean() > 0.005, cut


def test_review_probability_falls_with_size_above_the_median():
    # firms up to the median review at the base rate; a firm 100x the median at 100^-0.5 = 1/10 of it
    va = np.array([1.0, 2.0, 3.0, 300.0, 3.0])
    q = location.review_probability(va, 0.1, 0.5)
    assert q[:3] == pytest.approx([0.1, 0.1, 0.1])
    assert q[3] == pytest.approx(0.1 * 100.0 ** -0.5)
    assert np.all(location.review_probability(va, 0.1, 0.0) == 0.1)


def test_destination_sites_redistribute_movers_by_size_not_the_chance_of_moving():
    # 2 sectors x 3 regions of 2012 firm counts; firms in sector 0 at region 0 and sector 1 at region 2
    sites = np.array([[100.0, 10.0], [30.0, 60.0], [10.0, 30.0]])          # [region, sector]
    ls = location.log_destination_sites(sites, np.array([0, 2]), np.array([0, 1]))
    assert ls[0, 0] == 0.0 and ls[1, 2] == 0.0                          # nothing on the present region
    np.testing.assert_allclose(np.exp(ls[0, 1:]), 2 * np.array([30.0, 10.0]) / 40.0)   # M_r / sum_{r != c} M
    np.testing.assert_allclose(np.exp(ls[1, :2]), 2 * np.array([10.0, 60.0]) / 70.0)
    np.testing.assert_allclose(np.exp(ls).sum(axis=1), 3.0)              # the weights of the movers' options sum to R-1
    # in the choice: with no gain and equal matches, movers go in proportion to the destinations' sites,
    # and the chance of staying is what it would be with equal sites
    profit = np.zeros((2, 3))
    match = np.zeros((2, 3))
    args = (10.0, 0.5, np.zeros((2, 3)), 2.0, match, 1.0)
    p = location.probabilities(location.utilities(profit, np.array([0, 2]), np.ones(2), *args, log_sites=ls))
    p0 = location.probabilities(location.utilities(profit, np.array([0, 2]), np.ones(2), *args))
    np.testing.assert_allclose(p[:, [0, 2]].diagonal(), p0[:, [0, 2]].diagonal())
    np.testing.assert_allclose(p[0, 1] / p[0, 2], 3.0)
    np.testing.assert_allclose(p[1, 1] / p[1, 0], 6.0)


def test_firm_sites_are_the_2012_sector_counts_and_feed_the_relocation_choice():
    m = small_model()
    f, w = m.firms, m.world
    assert w.firm_sites_2012.shape == (m.data.n, 4)
    np.testing.assert_allclose(w.firm_sites_2012.sum(), f.weight.sum())
    for r, s in ((0, 1), (3, 1), (1, 3)):
        np.testing.assert_allclose(w.firm_sites_2012[r, s], f.weight[(f.region == r) & (f.sector == s)].sum())


def test_absorptive_capacity_is_talent_relative_to_2012():
    from model.mechanisms import labour_market
    h, ref = np.array([0.2, 0.1, 0.12]), np.array([1.2, 0.8, 1.0])
    np.testing.assert_allclose(labour_market.absorptive_capacity(h, 0.125, ref), (h / 0.125) / ref)
    np.testing.assert_allclose(labour_market.absorptive_capacity(h, 0.125, None), h / 0.125)   # the level form
    m = small_model()
    w = m.world
    np.testing.assert_allclose(w.h_rel_2012, w.h_share / w.h_nat)
    np.testing.assert_allclose(labour_market.absorptive_capacity(w.h_share, w.h_nat, w.h_rel_2012), 1.0)  # 2012: 1


def test_innovation_diffusion_uses_the_absorptive_capacity_index(monkeypatch):
    from model.mechanisms import innovation, labour_market
    m = small_model()
    seen = []
    real = labour_market.absorptive_capacity

    def spy(h, hn, ref):
        seen.append(ref)
        return real(h, hn, ref)
    monkeypatch.setattr(labour_market, "absorptive_capacity", spy)
    m.step()
    assert seen and seen[-1] is m.world.h_rel_2012


def test_province_geography_comes_from_the_models_region_data():
    # the provinces and their 2012 GDP are the model's own region data (not the packaged file read again), so a
    # region data file with other provincial figures reaches the market-potential weights
    import dataclasses

    d = load_region_data()
    first = d.provinces[d.names[0]][0]
    doubled = dataclasses.replace(d, gdp_2012_by_province={**d.gdp_2012_by_province,
                                                            first: 2 * d.gdp_2012_by_province[first]})
    order = [p for ps in d.provinces.values() for p in ps]
    assert geography.Geography.load(doubled, 1.0).gdp_2012[order.index(first)] == 2 * d.gdp_2012_by_province[first]
    assert geography.Geography.load(d, 1.0).gdp_2012[order.index(first)] == d.gdp_2012_by_province[first]
    assert geography.Geography.load(dataclasses.replace(d, gdp_2012_by_province=None), 1.0) is None
    assert geography.Geography.load(dataclasses.replace(d, provinces={**d.provinces, d.names[0]: ("Atlantis",)}),
                                    1.0) is None
