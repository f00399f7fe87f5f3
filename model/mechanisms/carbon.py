"""Carbon: firms' emissions and carbon costs, the ETS (coverage, intensity-based allocation), abatement,
non-industrial emissions and stranded assets. Equations of the power mix, efficiency, the abatement cost
curve and end uses are in ``model/energy.py``; this module applies them each year (``step`` before production,
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

import numpy as np

from .. import CARBON_COST_UNIT, KT_PER_MT, SECTORS, YI
from ..agents import Firms
from ..numeric import lookup  # small-table gathers
from ..parameters import ParamSet
from ..world import Sim, World
from .. import energy

PARAMETERS = ("carbon.relative_intensity", "carbon.electricity_share", "carbon.industrial_share_of_co2",
              "energy.efficiency_gain_2012_2020", "energy.efficiency_gain_2021_2035", "energy.power_efficiency_gain",
              "energy.electrification_rate", "energy.electrification_co2_ratio", "energy.mac_max_share",
              "energy.mac_half_cost", "energy.power_mac_max_share", "energy.power_mac_half_cost",
              "energy.power_pass_through", "energy.buildings_share_2012", "energy.transport_share_2012",
              "energy.buildings_income_elasticity", "energy.buildings_efficiency_gain",
              "energy.buildings_electric_share_2012", "energy.buildings_electrification_rate",
              "energy.transport_income_elasticity", "energy.transport_efficiency_gain",
              "energy.transport_electric_share_2012", "energy.transport_ev_top", "energy.transport_ev_midyear",
              "energy.transport_ev_speed", "energy.other_efficiency_gain", "capital.interest_rate",
              "capital.depreciation", "entry_exit.loss_years_to_exit")


def init(model: Sim) -> None:
    """2012: the industrial share of each region's sourced CO2 spread over its firms by relative sector
    intensity (direct and electricity parts), the regional intensity scale that implies, the power mix,
    and the non-industrial split with its drivers. Needs services, GDP and population (demand.init)."""
    P, d, w, f = model.params, model.data, model.world, model.firms
    R = d.n
    w.energy = energy.load_energy_data(model.regions)
    rel = P.by("carbon.relative_intensity", SECTORS)[f.sector]
    elec = P.by("carbon.electricity_share", SECTORS)[f.sector]
    base = f.sum_by_region(w.firm_weight * f.value_added * rel)
    w.grid_2012 = P["carbon.industrial_share_of_co2"] * d.co2_2012 * KT_PER_MT / base  # kt per million yuan
    f.data["direct_intensity"] = w.grid_2012[f.region] * rel * (1 - elec)
    f.data["power_use"] = rel * elec
    w.grid = w.grid_2012.copy()
    w.grid_factor = np.ones(R)
    w.power_abatement = 0.0
    w.intensity_index = np.ones(len(SECTORS))
    w.emissions_firm = f.value_added * intensity(f.direct_intensity, f.power_use, w.grid, f.region)
    w.co2_industry = f.sum_by_region(f.weighted(w.emissions_firm)) / KT_PER_MT  # weight x emissions
    nonind = (1 - P["carbon.industrial_share_of_co2"]) * d.co2_2012
    b, tr = P["energy.buildings_share_2012"], P["energy.transport_share_2012"]
    w.nonind_2012 = {"buildings": b * nonind, "transport": tr * nonind, "other": (1 - b - tr) * nonind}
    w.nonind_drivers_2012 = (w.population.copy(), w.gdp / w.population, w.services.copy())
    w.benchmark = np.zeros(len(SECTORS))
    w.power_price_net = 0.0
    w.carbon_cost = np.zeros(R)
    w.abatement_cost = np.zeros(R)
    w.stranded_carbon = np.zeros(R)


def step(model: Sim) -> None:
    """Before production: the grid (policy path and power abatement), efficiency and electrification,
    abatement chosen from the cost curve, its capital (investment in the ledger), and this year's
    benchmarks and power pass-through."""
    P, f, w, pol, year = model.params, model.firms, model.world, model.policy, model.year
    R = model.data.n
    excess = max(pol.power_carbon_price() - energy.reference_price(w.energy, year), 0.0)
    w.power_abatement = float(energy.abatement_share(np.array(excess), P["energy.power_mac_max_share"],
                                                     P["energy.power_mac_half_cost"]))
    w.grid_factor = energy.grid_factor(w.energy, year, w.power_abatement)
    w.grid = w.grid_2012 * w.grid_factor
    eff = energy.efficiency_rate(year, P.by("energy.efficiency_gain_2012_2020", SECTORS),
                                 P.by("energy.efficiency_gain_2021_2035", SECTORS), w.energy.efficiency_pace)
    eff_p = P.by("energy.power_efficiency_gain", SECTORS)
    elec = P.by("energy.electrification_rate", SECTORS)
    w.intensity_index = w.intensity_index * (1 - eff) * (1 - elec)
    # per-sector rates and the per-region grid are passed as tables (gathered inside: the same bits)
    # (applied by the firms' sorted cell blocks: Firms.combine_sector / combine_region, the same numbers per firm)
    d, p = energy.intensity_update(f.direct_intensity, f.power_use, eff, eff_p, elec,
                                   P["energy.electrification_co2_ratio"], w.grid_2012, firms=f)
    f.data["direct_intensity"], f.data["power_use"] = d, p
    # Abatement from the sector's cost curve at the marginal price; capital installed stays.
    amax_s, half_s = P.by("energy.mac_max_share", SECTORS), P.by("energy.mac_half_cost", SECTORS)
    # the target share depends on the sector only: computed per sector and gathered (the same bits)
    target_s = energy.abatement_share(pol.marginal_carbon_price(), amax_s, half_s)
    target = f.gather_sector(target_s)
    f.data["abatement"] = np.maximum(f.abatement, target)
    ucost = P["capital.interest_rate"] + P["capital.depreciation"]
    # CARBON_COST_UNIT x cost x d x VA / user cost; the products and the investment formed in place (the same
    # operations in the same order, in this step's own temporaries)
    k_need = abatement_cost_by_sector(f.abatement, target, target_s, amax_s, half_s, f.sector,
                                      scale=CARBON_COST_UNIT, gather_sector=f.gather_sector)  # a fresh array
    k_need *= d
    k_need *= f.value_added
    k_need /= ucost
    k_dep = f.abatement_capital * (1 - P["capital.depreciation"])
    invest = np.subtract(k_need, k_dep, out=k_need)
    np.maximum(invest, 0.0, out=invest)
    k_dep += invest
    f.data["abatement_capital"] = k_dep
    model.year_stats["investment"] += f.sum_by_region(f.weighted(invest)) / YI  # weight x invest (Firms.weighted)
    # This year's allocation benchmarks (last year's output weights) and the power sector's pass-through.
    w.benchmark = benchmarks(direct_effective(f), f.sector, f.weighted(np.maximum(f.value_added, 0.0)),
                             pol.free_allocation, by_sector=f.sum_by_sector)
    w.power_price_net = P["energy.power_pass_through"] * pol.power_carbon_price() * (1 - pol.free_allocation)


def abatement_cost_by_sector(a: np.ndarray, target: np.ndarray, target_s: np.ndarray, max_share: np.ndarray,
                             half_cost: np.ndarray, sector: np.ndarray, scale: float | None = None,
                             gather_sector=None) -> np.ndarray:
    """``energy.abatement_cost(a, max_share, half_cost, sector=sector)``, bit for bit, for shares ``a`` that are
    mostly their sector's target ``target_s`` (``target``: gathered per firm): every firm's share is the larger
    of its own and this year's target, and the target does not fall while the carbon price does not. The cost
    is formed once per sector (the same operations on the same numbers) and gathered by ``sector``, then per
    firm only for the rows whose share is not the target (a NaN share is not; +0 == -0, whose costs are both
    +0). ``scale``: ``scale x cost`` instead (formed per sector and on the other rows: the same products).
    ``gather_sector``: gathers a [sector] table per firm (``Firms.gather_sector``: take's values; default take)."""
    table = energy.abatement_cost(np.asarray(target_s, dtype=np.float64), max_share, half_cost,
                                  sector=np.arange(len(target_s)))
    table = table if scale is None else scale * table
    out = lookup(table, sector) if gather_sector is None else gather_sector(table)
    odd = np.flatnonzero(a != target)
    if len(odd):
        cost = energy.abatement_cost(a.take(odd), max_share, half_cost, sector=sector.take(odd))
        out[odd] = cost if scale is None else scale * cost
    return out


# ---------------------------------------------------------------------- used by other mechanisms
def direct_effective(f: Firms) -> np.ndarray:
    """kt CO2 per million yuan: direct intensity net of abatement (read-only; computed once while both columns
    stay unchanged: location, capital, carbon and production all read it)."""
    return f.derived("direct_effective", ("direct_intensity", "abatement"), _direct_effective)


def _direct_effective(f: Firms) -> np.ndarray:
    out = np.subtract(1.0, f.abatement)
    out *= f.direct_intensity  # in place: (1 - a) d is d (1 - a), an IEEE product commutes
    return out


def firm_charges(model: Sim) -> tuple[np.ndarray, np.ndarray]:
    """(carbon charge per yuan of VA, emission intensity) for every firm this year (production.step).

    ``charge_per_yuan`` and ``intensity`` with the [sector] and [region] tables applied by the firms' sorted cell
    blocks (Firms.combine_sector / combine_region: each block's entry as a scalar, the same operation on the same
    numbers per firm, no gathered arrays); price x covered share formed per sector."""
    f, w, pol = model.firms, model.world, model.policy
    d_eff = direct_effective(f)
    own = f.combine_sector(np.subtract, d_eff, w.benchmark)  # (d - b_s) (P cov_s)
    f.combine_sector(np.multiply, own, pol.carbon_price * np.asarray(pol.carbon_covered), out=own)
    c = w.power_price_net * f.power_use  # (P_pow p) g_r + own, x CARBON_COST_UNIT
    f.combine_region(np.multiply, c, w.grid, out=c)
    c += own
    c *= CARBON_COST_UNIT
    intens = f.combine_region(np.multiply, f.power_use, w.grid)  # p g_r + d
    intens += d_eff
    return c, intens


def charges_everywhere(model: Sim, sector: np.ndarray, direct_eff: np.ndarray, power: np.ndarray) -> np.ndarray:
    """[firm, region] carbon charge per yuan of VA as if the firm produced in each region (location)."""
    pol, w = model.policy, model.world
    return charge_per_yuan(pol.carbon_price, pol.carbon_covered[sector][:, None], direct_eff[:, None],
                           w.benchmark[sector][:, None], power[:, None], w.grid[None, :], w.power_price_net)


def charged(model: Sim, sector: np.ndarray) -> np.ndarray:
    """Firms whose carbon charge is not zero this year (covered sector, or covered power passed through)."""
    pol = model.policy
    return (pol.carbon_covered[sector] * pol.carbon_price > 0) | (model.world.power_price_net > 0)


def abatement_cost_firm(model: Sim) -> np.ndarray:
    """Million yuan per firm this year: the user cost of its abatement capital (in operating profit)."""
    P = model.params
    return (P["capital.interest_rate"] + P["capital.depreciation"]) * model.firms.abatement_capital


def account(model: Sim, va: np.ndarray, carbon_per_yuan: np.ndarray, intens: np.ndarray,
            abate: np.ndarray | None = None) -> None:
    """After production: emissions, the carbon charge per firm, carbon and abatement bills by region.
    ``abate``: ``abatement_cost_firm(model)`` if the caller has it (production.step)."""
    f, w = model.firms, model.world
    R = model.data.n
    w.emissions_firm = va * intens
    w.co2_industry = f.sum_by_region(f.weighted(w.emissions_firm)) / KT_PER_MT  # weight x emissions
    if abate is None:
        abate = abatement_cost_firm(model)
    charge = carbon_per_yuan * va
    # (weight x c) x VA by region: with every weight exactly 1.0 (Firms.constant("weight")) that is c x VA, the product
    # just formed (1 x c is c, IEEE), so it is summed without a second pass; otherwise as written
    unit = f.constant("weight") == 1.0
    w.carbon_cost = f.sum_by_region(charge if unit else f.weighted(carbon_per_yuan) * va) / YI
    charge += abate  # in place: c x VA + abatement cost
    f.data["carbon_charge"] = charge
    w.abatement_cost = f.sum_by_region(f.weighted(abate)) / YI


def exit_stranding(model: Sim, out: np.ndarray, gone: np.ndarray | None = None) -> None:
    """Capital stranded by carbon-driven exits: loss-streak exits that would have been profitable without carbon.
    ``gone``: ``np.flatnonzero(out)`` if the caller has it. The tests and products are formed on the leavers' rows
    only (the same elementwise numbers, summed in the same row order)."""
    f, P = model.firms, model.params
    R = model.data.n
    if gone is None:
        gone = np.flatnonzero(out)
    profit = f.profit.take(gone)
    by_carbon = ((f.loss_years.take(gone) >= int(P["entry_exit.loss_years_to_exit"])) & (profit < 0)
                 & (profit + f.carbon_charge.take(gone) >= 0))
    rows = gone[by_carbon]
    k = (f.capital.take(rows) + f.abatement_capital.take(rows)) * (1 - P["capital.depreciation"])
    model.world.stranded_carbon = np.bincount(f.region.take(rows), weights=f.weight.take(rows) * k,
                                              minlength=R) / YI


# ---------------------------------------------------------------------- emissions (metrics)
def industrial_co2(firms: Firms, w: World) -> np.ndarray:
    """[region] industrial CO2 (Mt) of this year's production (summed once, in ``account``)."""
    return w.co2_industry


def nonindustrial_co2(w: World, P: ParamSet, year: int) -> dict[str, np.ndarray]:
    """[region] Mt CO2 of buildings, transport and other non-industrial activity this year."""
    pop0, inc0, serv0 = w.nonind_drivers_2012
    pop_r = w.population / pop0
    inc_r = (w.gdp / w.population) / inc0
    n = year - energy.FIRST
    sb = energy.electric_share_buildings(year, P["energy.buildings_electric_share_2012"],
                                         P["energy.buildings_electrification_rate"])
    st = energy.electric_share_transport(year, P["energy.transport_electric_share_2012"], P["energy.transport_ev_top"],
                                         P["energy.transport_ev_midyear"], P["energy.transport_ev_speed"])
    base = w.nonind_2012
    return {
        "buildings": energy.end_use(base["buildings"], pop_r, inc_r, P["energy.buildings_income_elasticity"],
                                    P["energy.buildings_efficiency_gain"], n, sb, w.grid_factor),
        "transport": energy.end_use(base["transport"], pop_r, inc_r, P["energy.transport_income_elasticity"],
                                    P["energy.transport_efficiency_gain"], n, st, w.grid_factor),
        "other": base["other"] * (w.services / serv0) * (1 - P["energy.other_efficiency_gain"]) ** n,
    }


def emissions(firms: Firms, w: World, P: ParamSet, year: int) -> np.ndarray:
    """[region] CO2 emissions (Mt): industrial plus buildings, transport and other."""
    return industrial_co2(firms, w) + sum(nonindustrial_co2(w, P, year).values())


# ---------------------------------------------------------------------- equations
def intensity(direct: np.ndarray, power_use: np.ndarray, grid: np.ndarray, region: np.ndarray | None = None
              ) -> np.ndarray:
    """kt CO2 per million yuan of value added (direct already net of abatement): direct + power_use x grid of the
    firm's region (``region``: the index that gathers the [region] ``grid``; None: ``grid`` is already per firm)."""
    out = np.multiply(power_use, grid if region is None else lookup(grid, region))
    out += direct  # an IEEE sum commutes: direct + power_use x grid
    return out


def charge_per_yuan(price: float, covered_s: np.ndarray, direct_eff: np.ndarray, benchmark_s: np.ndarray,
                    power_use: np.ndarray, grid: np.ndarray, power_price_net: float) -> np.ndarray:
    """Carbon charge per yuan of VA (yuan/t x kt per million yuan x CARBON_COST_UNIT); broadcasts over [firm(, region)]."""
    own = (direct_eff - benchmark_s) * (price * covered_s)
    # formed in place in the power term, whose shape is the full [firm(, region)] one (sums and products commute)
    total = power_price_net * power_use * grid
    in_place = isinstance(total, np.ndarray) and total.shape == np.broadcast_shapes(total.shape, np.shape(own))
    total = np.add(total, own, out=total if in_place else None)
    total *= CARBON_COST_UNIT
    return total


def benchmarks(direct_eff: np.ndarray, sector: np.ndarray, weight: np.ndarray, free: float,
               by_sector=None) -> np.ndarray:
    """[sector] intensity benchmark: free x the sector's output-weighted mean direct intensity. ``by_sector``:
    the sum by sector (default a bincount of ``sector``; the model passes the firms' slice sums)."""
    S = len(SECTORS)
    by_sector = by_sector or (lambda x: np.bincount(sector, weights=x, minlength=S))
    num = by_sector(weight * direct_eff)
    den = by_sector(weight)
    return free * num / np.maximum(den, 1e-12)
