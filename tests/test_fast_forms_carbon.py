"""Fast forms of the carbon and energy accounts give the same bits as the plain forms they replace (written out here
as they were before): abatement cost, intensity updates, firms' carbon charges and the capital stranded by exit.

The golden master (tests/test_golden_master.py) covers whole runs; these pin the building blocks one by one,
including inputs the shipped scenarios never reach (signed zeros, NaN, infinities, levers on, odd tables)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import same_bits
from model import energy
from model.mechanisms import carbon


def test_carbon_tables_gathered_inside_give_the_per_firm_numbers():
    rng = np.random.default_rng(3)
    n, sector, region = 5000, rng.integers(0, 4, 5000), rng.integers(0, 4, 5000)
    direct, power, a = rng.random(n) * 3, rng.random(n), rng.random(n) * 0.5
    eff, eff_p, elec, grid = rng.random(4) * 0.05, rng.random(4) * 0.03, rng.random(4) * 0.02, rng.random(4) + 0.1
    for e in (elec, np.full(4, 0.01)):  # a table with one value: gathered as a scalar
        got = energy.intensity_update(direct, power, eff, eff_p, e, 0.6, grid, sector=sector, region=region)
        want = energy.intensity_update(direct, power, eff[sector], eff_p[sector], e[sector], 0.6, grid[region])
        assert all(same_bits(g, w) for g, w in zip(got, want))
    for amax in (np.array([0.3, 0.2, 0.0, 0.4]), np.array([0.3, 0.2, 0.1, 0.4]), np.full(4, 0.3)):
        half = np.array([100.0, 200.0, 150.0, 80.0])
        got = energy.abatement_cost(a, amax, half, sector=sector)
        want = energy.abatement_cost(a, amax[sector], half[sector])
        assert same_bits(got, want)


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
    assert same_bits(got, want)
    got = carbon.abatement_cost_by_sector(a, target, target_s, max_share, half, sector, scale=1e-3)
    assert same_bits(got, 1e-3 * want)


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
        assert same_bits(x, z)


def test_intensity_update_by_blocks_is_the_per_firm_update(high_carbon_model):
    f = high_carbon_model.firms
    rng = np.random.default_rng(6)
    eff, eff_p = rng.uniform(0, 0.05, 4), np.full(4, 0.015)
    elec = np.array([0.006, 0.01, 0.0, 0.01])
    grid = rng.uniform(0.2, 1.0, high_carbon_model.data.n)
    want = energy.intensity_update(f.direct_intensity, f.power_use, eff[f.sector], eff_p[f.sector], elec[f.sector],
                                   0.6, grid[f.region])
    got = energy.intensity_update(f.direct_intensity, f.power_use, eff, eff_p, elec, 0.6, grid, firms=f)
    assert same_bits(got[0], want[0]) and same_bits(got[1], want[1])


def test_firm_charges_are_charge_per_yuan_and_intensity(high_carbon_model):
    f, w, pol = high_carbon_model.firms, high_carbon_model.world, high_carbon_model.policy
    assert pol.carbon_price > 0
    d_eff = carbon.direct_effective(f)
    want_c = carbon.charge_per_yuan(pol.carbon_price, pol.carbon_covered[f.sector], d_eff, w.benchmark[f.sector],
                                    f.power_use, w.grid[f.region], w.power_price_net)
    want_i = carbon.intensity(d_eff, f.power_use, w.grid, f.region)
    c, i = carbon.firm_charges(high_carbon_model)
    assert same_bits(c, want_c) and same_bits(i, want_i)


def test_exit_stranding_on_the_leavers_is_the_mask_form(high_carbon_model):
    f, P = high_carbon_model.firms, high_carbon_model.params
    rng = np.random.default_rng(2)
    out = rng.random(len(f)) < 0.3
    # the plain form (before): masks over every firm
    loss_exit = out & (f.loss_years >= int(P["entry_exit.loss_years_to_exit"]))
    by_carbon = loss_exit & (f.profit < 0) & (f.profit + f.carbon_charge >= 0)
    k = (f.capital + f.abatement_capital) * (1 - P["capital.depreciation"])
    want = (np.bincount(f.region[by_carbon], weights=(f.weight * k)[by_carbon], minlength=high_carbon_model.data.n)
            / carbon.YI)
    saved = high_carbon_model.world.stranded_carbon
    try:
        carbon.exit_stranding(high_carbon_model, out)
        a = high_carbon_model.world.stranded_carbon
        carbon.exit_stranding(high_carbon_model, out, np.flatnonzero(out))
        b = high_carbon_model.world.stranded_carbon
    finally:
        high_carbon_model.world.stranded_carbon = saved
    assert same_bits(a, want) and same_bits(b, want)
