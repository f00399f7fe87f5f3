"""Carbon: firms' emissions and carbon costs, the ETS (coverage, intensity-based allocation), abatement,
non-industrial emissions and stranded assets. Equations of the power mix, efficiency, the abatement cost
curve and end uses are in ``energy.py``; this module applies them each year (``update`` before production,
``account`` after it).

Per firm i (region r, sector s), money in million yuan, CO2 in kt:

    g_r,t    = g_r,2012 G_r,t                          electricity CO2 per unit of power use (G: energy.grid_factor)
    d_i, p_i                                           direct and electricity intensity after efficiency and
                                                       electrification (energy.intensity_update), every year
    a_i      = max(a_i,t-1, a*_s(P cov_s,t))           abatement share of direct CO2 (irreversible, MAC curve)
    d^eff_i  = d_i (1 - a_i)
    e_i      = VA_i (d^eff_i + p_i g_r,t)              emissions
    b_s,t    = free x mean_s(d^eff)                    intensity benchmark (VA-weighted, national, covered sector)
    c_i      = 1e-3 [P cov_s (d^eff_i - b_s) + pi P^pow (1 - free) p_i g_r,t]     carbon charge per yuan of VA
    K^ab*_i  = 1e-3 C_s(a_i) d_i VA_i,t-1 / (interest + depreciation)              abatement capital needed
    I^ab_i   = max(K^ab*_i - (1 - delta) K^ab_i, 0);   K^ab_i <- (1 - delta) K^ab_i + I^ab_i
    profit_i -= (interest + depreciation) K^ab_i       abatement cost in operating profit

P is the carbon price, cov_s,t the covered share of sector s this year, P^pow the price on power when
power is covered, pi = energy.power_pass_through. Under intensity-based allocation a firm's free
allowances follow its output, not its own emissions, so it abates against the full price P while
paying only P (d^eff - b) per unit on average: (1 - free) P d on the sector's mean. Abatement capital
is in the capital ledger (investment, depreciation, stranding and moves), next to productive capital.

In 2012 the industrial share carbon.industrial_share_of_co2 of each region's sourced CO2 is spread over
its firms by carbon.relative_intensity and split into direct and electricity parts by
carbon.electricity_share, so the 2012 regional totals equal the data file. The rest is non-industrial,
split into buildings, transport and other (energy.buildings_share_2012, energy.transport_share_2012),
each with its own drivers (energy.end_use). Capital of firms that exit is stranded; the part of it held
by firms whose loss streak the carbon charge caused (profit < 0 <= profit + carbon charge) is recorded
as stranded by carbon.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import SECTORS
from . import energy

if TYPE_CHECKING:
    from ..model import FlyingGeeseModel

YI = 100.0


def intensity(direct: np.ndarray, power_use: np.ndarray, grid: np.ndarray, region: np.ndarray) -> np.ndarray:
    """kt CO2 per million yuan of value added (direct already net of abatement)."""
    return direct + power_use * grid[region]


def charge_per_yuan(price_s: np.ndarray, covered_s: np.ndarray, direct_eff: np.ndarray, benchmark_s: np.ndarray,
                    power_use: np.ndarray, grid: np.ndarray, power_price_net: float) -> np.ndarray:
    """Carbon charge per yuan of VA; broadcasts ([firm] or [firm, region] grids)."""
    own = price_s * covered_s * (direct_eff - benchmark_s)
    return 1e-3 * (own + power_price_net * power_use * grid)


def cost_per_yuan(price_by_sector: np.ndarray, sector: np.ndarray, intens: np.ndarray) -> np.ndarray:
    """Carbon cost per yuan at a flat effective price: 1e-3 x price (yuan/t) x intensity (kt per million yuan)."""
    return 1e-3 * price_by_sector[sector] * intens


def benchmarks(direct_eff: np.ndarray, sector: np.ndarray, weight: np.ndarray, free: float) -> np.ndarray:
    """[sector] intensity benchmark: free x the sector's VA-weighted mean direct intensity."""
    S = len(SECTORS)
    num = np.bincount(sector, weights=weight * direct_eff, minlength=S)
    den = np.bincount(sector, weights=weight, minlength=S)
    return free * num / np.maximum(den, 1e-12)


# ---------------------------------------------------------------------------------------------- model hooks
def setup(m: FlyingGeeseModel, va: np.ndarray, f_region: np.ndarray, f_sector: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2012: regional intensity scales from sourced CO2; returns the firms' (direct, power) intensities."""
    P, d = m.params, m.data
    R = d.n
    m.energy = energy.load_energy_data(m.regions)
    rel = P.by("carbon.relative_intensity", SECTORS)[f_sector]
    elec = P.by("carbon.electricity_share", SECTORS)[f_sector]
    base = np.bincount(f_region, weights=m.firm_weight * va * rel, minlength=R)
    m.grid_2012 = P["carbon.industrial_share_of_co2"] * d.co2_2012 * 1000.0 / base  # kt per million yuan
    m.grid = m.grid_2012.copy()
    m.grid_factor = np.ones(R)
    m.power_abatement = 0.0
    m.intensity_index = np.ones(len(SECTORS))  # cumulative efficiency x (1 - electrification), for new cells
    nonind = (1 - P["carbon.industrial_share_of_co2"]) * d.co2_2012
    b, tr = P["energy.buildings_share_2012"], P["energy.transport_share_2012"]
    m.nonind_2012 = {"buildings": b * nonind, "transport": tr * nonind, "other": (1 - b - tr) * nonind}
    m.nonind_co2 = dict(m.nonind_2012)
    m.abatement_cost = np.zeros(R)
    m.abatement_investment = np.zeros(R)
    m.stranded_carbon = np.zeros(R)
    return m.grid_2012[f_region] * rel * (1 - elec), rel * elec


def setup_nonindustrial(m: FlyingGeeseModel) -> None:
    """2012 drivers of non-industrial emissions (after population, GDP and services exist)."""
    m.nonind_drivers_2012 = (m.population.copy(), m.gdp / m.population, m.services.copy())


def update(m: FlyingGeeseModel) -> None:
    """Before production: the grid, efficiency and electrification, and abatement choices with their capital."""
    P, f, pol, year = m.params, m.firms, m.policy, m.year
    R = m.data.n
    # Power: the policy path, and abatement beyond it for the price above the ETS price it embodies.
    excess = max(pol.power_carbon_price() - energy.reference_price(m.energy, year), 0.0)
    m.power_abatement = float(energy.abatement_share(np.array(excess), P["energy.power_mac_max_share"],
                                                     P["energy.power_mac_half_cost"]))
    m.grid_factor = energy.grid_factor(m.energy, year, m.power_abatement)
    m.grid = m.grid_2012 * m.grid_factor
    # Efficiency and electrification.
    eff = energy.efficiency_rate(year, P.by("energy.efficiency_gain_2012_2020", SECTORS),
                                 P.by("energy.efficiency_gain_2021_2035", SECTORS))
    elec = P.by("energy.electrification_rate", SECTORS)
    m.intensity_index = m.intensity_index * (1 - eff) * (1 - elec)
    eff_p = P.by("energy.power_efficiency_gain", SECTORS)
    d, p = energy.intensity_update(f.direct_intensity, f.power_use, eff[f.sector], eff_p[f.sector], elec[f.sector],
                                   P["energy.electrification_co2_ratio"], m.grid_2012[f.region])
    f.data["direct_intensity"], f.data["power_use"] = d, p
    # Abatement from the sector's cost curve at the marginal price; capital installed stays.
    amax = P.by("energy.mac_max_share", SECTORS)[f.sector]
    half = P.by("energy.mac_half_cost", SECTORS)[f.sector]
    target = energy.abatement_share(pol.marginal_carbon_price()[f.sector], amax, half)
    f.data["abatement"] = np.maximum(f.abatement, target)
    ucost = P["capital.interest_rate"] + P["capital.depreciation"]
    k_need = 1e-3 * energy.abatement_cost(f.abatement, amax, half) * d * f.value_added / ucost
    k_dep = f.abatement_capital * (1 - P["capital.depreciation"])
    invest = np.maximum(k_need - k_dep, 0.0)
    f.data["abatement_capital"] = k_dep + invest
    m.abatement_investment = np.bincount(f.region, weights=f.weight * invest, minlength=R) / YI
    m.year_stats["investment"] = m.year_stats["investment"] + m.abatement_investment


def direct_effective(m: FlyingGeeseModel) -> np.ndarray:
    return m.firms.direct_intensity * (1.0 - m.firms.abatement)


def firm_charges(m: FlyingGeeseModel) -> tuple[np.ndarray, np.ndarray]:
    """(carbon charge per yuan of VA, emission intensity) for every firm this year."""
    f, pol, P = m.firms, m.policy, m.params
    d_eff = direct_effective(m)
    m.benchmark = benchmarks(d_eff, f.sector, f.weight * np.maximum(f.value_added, 0.0), pol.free_allocation)
    m.power_price_net = P["energy.power_pass_through"] * pol.power_carbon_price() * (1 - pol.free_allocation)
    c = charge_per_yuan(pol.carbon_price, pol.carbon_covered[f.sector], d_eff, m.benchmark[f.sector],
                        f.power_use, m.grid[f.region], m.power_price_net)
    return c, intensity(d_eff, f.power_use, m.grid, f.region)


def charges_everywhere(m: FlyingGeeseModel, sector: np.ndarray, direct_eff: np.ndarray, power: np.ndarray) -> np.ndarray:
    """[firm, region] carbon charge per yuan of VA as if the firm produced in each region."""
    pol = m.policy
    bench = getattr(m, "benchmark", np.zeros(len(SECTORS)))
    net = getattr(m, "power_price_net", 0.0)
    return charge_per_yuan(pol.carbon_price, pol.carbon_covered[sector][:, None], direct_eff[:, None],
                           bench[sector][:, None], power[:, None], m.grid[None, :], net)


def charged(m: FlyingGeeseModel, sector: np.ndarray) -> np.ndarray:
    """Firms whose carbon charge is not zero this year (covered sector, or covered power passed through)."""
    pol = m.policy
    power_on = getattr(m, "power_price_net", 0.0) > 0
    return (pol.carbon_covered[sector] * pol.carbon_price > 0) | power_on


def abatement_cost_firm(m: FlyingGeeseModel) -> np.ndarray:
    """Million yuan per firm this year: the user cost of its abatement capital."""
    P = m.params
    return (P["capital.interest_rate"] + P["capital.depreciation"]) * m.firms.abatement_capital


def account(m: FlyingGeeseModel, va: np.ndarray, carbon_per_yuan: np.ndarray, intens: np.ndarray) -> None:
    """After production: emissions, carbon and abatement costs by region."""
    f, P = m.firms, m.params
    R = m.data.n
    m.emissions_firm = va * intens
    f.data["carbon_charge"] = carbon_per_yuan * va + abatement_cost_firm(m)
    m.carbon_cost = np.bincount(f.region, weights=f.weight * carbon_per_yuan * va, minlength=R) / YI
    m.abatement_cost = np.bincount(f.region, weights=f.weight * abatement_cost_firm(m), minlength=R) / YI


def nonindustrial(m: FlyingGeeseModel) -> dict[str, np.ndarray]:
    """[region] Mt CO2 of buildings, transport and other non-industrial activity this year (after GDP)."""
    P, year = m.params, m.year
    pop0, inc0, serv0 = m.nonind_drivers_2012
    pop_r = m.population / pop0
    inc_r = (m.gdp / m.population) / inc0
    n = year - energy.FIRST
    sb = energy.electric_share_buildings(year, P["energy.buildings_electric_share_2012"],
                                         P["energy.buildings_electrification_rate"])
    st = energy.electric_share_transport(year, P["energy.transport_electric_share_2012"], P["energy.transport_ev_top"],
                                         P["energy.transport_ev_midyear"], P["energy.transport_ev_speed"])
    base = m.nonind_2012
    return {
        "buildings": energy.end_use(base["buildings"], pop_r, inc_r, P["energy.buildings_income_elasticity"],
                                    P["energy.buildings_efficiency_gain"], n, sb, m.grid_factor),
        "transport": energy.end_use(base["transport"], pop_r, inc_r, P["energy.transport_income_elasticity"],
                                    P["energy.transport_efficiency_gain"], n, st, m.grid_factor),
        "other": base["other"] * (m.services / serv0) * (1 - P["energy.other_efficiency_gain"]) ** n,
    }


def exit_stranding(m: FlyingGeeseModel, out: np.ndarray) -> None:
    """Capital stranded by carbon-driven exits: loss-streak exits that would have been profitable without carbon."""
    f, P = m.firms, m.params
    R = m.data.n
    loss_exit = out & (f.loss_years >= int(P["entry_exit.loss_years_to_exit"]))
    by_carbon = loss_exit & (f.profit < 0) & (f.profit + f.carbon_charge >= 0)
    k = (f.capital + f.abatement_capital) * (1 - P["capital.depreciation"])
    m.stranded_carbon = np.bincount(f.region[by_carbon], weights=(f.weight * k)[by_carbon], minlength=R) / YI
