"""2012 regional split of R&D: the provincial R&D of the NBS/MOST/MOF 2012 S&T expenditure communique summed
into the model's regions, enterprise R&D anchored by region and by sector at once (innovation.scale_2012_cells)."""

import numpy as np
import pytest

from conftest import small_model
from model import SECTORS
from model.mechanisms import innovation
from model.regions import load_region_data


def test_provincial_rd_sums_into_the_regions_of_the_data_file():
    d = load_region_data()
    got = dict(zip(d.names, d.rd_2012_by_region))
    # Liaoning 390.9 + Jilin 109.8 + Heilongjiang 146.0; the 10 eastern, 6 central, 12 western provinces
    assert got == pytest.approx({"east": 6786.5, "central": 1510.8, "west": 1240.3, "northeast": 646.7}, abs=1e-6)


def test_2012_regional_rd_shares_match_the_communique_and_sectors_keep_their_split():
    d = load_region_data()
    m = small_model(n_firms=2000, n_talent=5000)
    f, w, P = m.firms, m.world, m.params
    firm = np.bincount(f.region, weights=f.weight * w.rd_spend, minlength=d.n) / 100  # yi yuan
    total = firm + w.public_rd
    np.testing.assert_allclose(total / total.sum(), d.rd_2012_by_region / d.rd_2012_by_region.sum(), rtol=1e-9)
    assert firm.sum() == pytest.approx(d.rd_enterprises_2012, rel=1e-9)
    # the sector split is the one the sourced intensities rho_s imply (as before the regional anchor)
    rho = P.by("innovation.rd_share_of_value_added", SECTORS)
    raw = np.bincount(f.sector, weights=f.weight * f.rd_active * rho[f.sector] * f.value_added, minlength=len(SECTORS))
    by_sector = np.bincount(f.sector, weights=f.weight * w.rd_spend, minlength=len(SECTORS))
    np.testing.assert_allclose(by_sector / by_sector.sum(), raw / raw.sum(), rtol=1e-9)
    # no 2012 performer spends more than its operating profit covers
    assert np.all(w.rd_spend <= np.maximum(f.profit, 0.0) * (1 + 1e-12))
    # NE R&D intensity relative to the 31-province sum (the model's GDP basis): 1.28% / 1.77% = 0.725
    ne = d.index("northeast")
    ratio = (total[ne] / d.gdp_2012[ne]) / (total.sum() / d.gdp_2012.sum())
    assert ratio == pytest.approx(0.725, abs=0.002)
    # later years use the regional scale: a firm's budget is rho_s kappa_rs (region and sector)
    assert w.rd_scale.shape == (d.n, len(SECTORS))
    assert w.rd_scale[d.index("east")].min() > w.rd_scale[ne].max()


def test_region_goal_is_the_data_share_of_all_rd_less_public():
    goal = innovation.region_goal_2012(np.array([60.0, 30.0, 10.0]), np.array([10.0, 5.0, 5.0]), 80.0)
    np.testing.assert_allclose(goal, [0.6 * 100 - 10, 0.3 * 100 - 5, 0.1 * 100 - 5])
    # public R&D alone above the region's data share (public_rd_2012 far above the data): a floor, no error
    np.testing.assert_allclose(innovation.region_goal_2012(np.array([90.0, 10.0]), np.array([1.0, 15.0]), 80.0),
                               [0.9 * 96 - 1, 0.05 * 0.1 * 80])


def test_scale_2012_cells_matches_both_margins_with_every_performer_affordable():
    rng = np.random.default_rng(3)
    n = 400
    region, sector = rng.integers(0, 3, n), rng.integers(0, 2, n)
    raw = rng.lognormal(0.0, 1.0, n) * (rng.random(n) < 0.6)
    profit = raw * rng.uniform(1.0, 8.0, n)  # some performers are capped at kappa ~ 2
    weight = rng.uniform(1.0, 3.0, n)
    goal = np.array([4.0, 3.0, 3.0])
    total = 2.0 * float((weight * raw).sum())
    k = innovation.scale_2012_cells(raw, profit, weight, total, sector, 2, region, goal)
    spend = weight * np.minimum(raw * k[region, sector], np.maximum(profit, 0.0))
    np.testing.assert_allclose(np.bincount(region, spend, 3), goal / goal.sum() * total, rtol=1e-9)
    sector_raw = np.bincount(sector, weight * raw, 2)
    np.testing.assert_allclose(np.bincount(sector, spend, 2), sector_raw / sector_raw.sum() * total, rtol=1e-9)
    assert np.any(raw * k[region, sector] > profit)  # the cap binds somewhere: the test is not the uncapped case
    # with no cap binding and the data's region margins equal to the budgets' own, kappa is kappa_0 everywhere
    free = innovation.scale_2012_cells(raw, np.full(n, 1e9), weight, total, sector, 2, region,
                                       np.bincount(region, weight * raw, 3))
    np.testing.assert_allclose(free, 2.0, rtol=1e-9)
