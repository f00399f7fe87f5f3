"""The world: the regional state that mechanisms share, in one documented dataclass.

Agents live in ``model.firms`` and ``model.talent`` (array-backed columns, ``agents.py``); everything
that is not an agent column and that more than one mechanism reads or writes lives here, one field per
quantity with its unit. Each field names the mechanism that sets it (``set by``); a mechanism reads
what others set and writes only its own fields (plus agent columns and the year's ledger).

Indices: [region] in the data file's order, [sector] in ``model.SECTORS`` order, [skill] in
``model.SKILLS`` order (0 = high, 1 = general). Money is real 2012 yuan: "yi yuan" = 1e8 yuan,
"million yuan" = 1e6 yuan. Fields marked 2012 are fixed at set-up; the others move every year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from .agents import Firms, Talent
from .parameters import ParamSet
from .policy import Policy
from .regions import RegionData


def _empty() -> Any:
    return field(default_factory=lambda: np.zeros(0))


@dataclass
class World:
    """Shared regional state. Filled by the mechanisms' ``init`` (2012) and updated by their ``step``."""

    # --- technology (production.init; 2012, fixed)
    alpha: np.ndarray = _empty()          # [sector] output elasticity of capital, 1
    theta: np.ndarray = _empty()          # [sector] high-skill share of the labour elasticity, 1
    sigma_goods: np.ndarray = _empty()    # [sector] elasticity of substitution between varieties sigma_s, 1
    rho: np.ndarray = _empty()            # [sector] (sigma - 1)/sigma: revenue R = X v^rho, 1
    beta: np.ndarray = _empty()           # [sector] (1 - alpha) rho: labour's share of net revenue, 1
    sigma_labour: float = 0.0             # elasticity of substitution high-skill / general labour, 1
    omega_high: np.ndarray = _empty()     # [sector] CES weight of high-skill labour in 2012, 1
    omega_high_t: np.ndarray = _empty()   # [sector] CES weight of high-skill labour this year (skill bias), 1
    region_tfp: np.ndarray = _empty()     # [region, sector] TFP that stays with the place (Z_rs), 1
    firm_weight: float = 0.0              # weight of a firm agent, real firms per agent
    # --- place (location.init / location.step)
    access_2012: np.ndarray = _empty()    # [region] market access a_r in 2012 (price-1 revenue per unit), 1
    access: np.ndarray = _empty()         # [region] market access this year, 1
    land: np.ndarray = _empty()           # [region] land cost index in 2012, 1
    friction: np.ndarray = _empty()       # [region] business-environment friction f_r on factor costs, 1
    user_cost: np.ndarray = _empty()      # [region] user cost of capital u_r, yuan per yuan of capital per year
    capital_share_2012: np.ndarray | None = None  # [region] share of industrial capital in 2012 (land use), 1
    land_price: np.ndarray = _empty()     # [region] industrial land price relative to 2012 (land.py), 1
    geo: Any = None                       # geography.Geography: provinces, distances, logistics path (None: access fixed)
    agg: np.ndarray = _empty()            # [region, sector] agglomeration factor this year, times the chain factor, 1
    congestion: np.ndarray = _empty()     # [region] congestion factor max(s_r/s_r,2012, 1)^(-gamma_c) (location.py), 1
    iva_share_2012: np.ndarray = _empty() # [region] 2012 share of national industrial value added (congestion reference), 1
    firm_sites_2012: np.ndarray = _empty()  # [region, sector] 2012 firm count: a region's sites for movers (location.py), firms
    # --- industrial chains (chains.init / chains.step)
    io: np.ndarray = _empty()             # [input sector k, buyer sector s] input-output coefficients (2012), 1
    va_ratio: np.ndarray = _empty()       # [sector] value added per yuan of gross output (2012), 1
    supplier_access_2012: np.ndarray = _empty()  # [region, sector, input sector] supplier access in 2012, yi yuan
    chain: np.ndarray = _empty()          # [region, sector] chain factor on place productivity this year, 1
    local_procurement: np.ndarray = _empty()  # [region, sector] share of intermediate inputs bought locally, 1
    spill: np.ndarray = _empty()          # [region] talent spillover factor this year, 1
    # --- labour (demography.init, labour_market.init/step, migration.step)
    talent_weight: float = 0.0            # weight of a talent agent, people per agent
    labour_supply: np.ndarray = _empty()  # [region, skill] working-age people after migration, persons
    h_share: np.ndarray = _empty()        # [region] high-skill share of the workforce, 1
    h_nat: float = 0.0                    # national high-skill share of the workforce, 1
    h_rel_2012: np.ndarray = _empty()     # [region] 2012 h_r / h_nat: reference of the absorptive-capacity index (labour_market.py), 1
    population: np.ndarray = _empty()     # [region] resident population: labour force + demog (migration.step), persons
    wage: np.ndarray = _empty()           # [region, skill] wage for next hires, yuan per year
    labour_demand: np.ndarray = _empty()  # [region, skill] industry + other sectors this year, persons
    employment: np.ndarray = _empty()     # [region, skill] employed this year, persons
    employment_rate: np.ndarray = _empty()  # [region, skill] employed / working-age people, 1
    services_labour_share: np.ndarray = _empty()  # [region] labour share nu_r of non-industrial output (2012), 1
    omega_services: np.ndarray = _empty()  # [region] CES weight of high-skill labour in other sectors (2012), 1
    farm_2012: np.ndarray = _empty()      # [region] farm (primary-sector) employment in 2012 (labour_market.init_employment), persons
    farm_tilt: np.ndarray = _empty()      # [region] release tilt theta_r = (a_r / a_nat)^kappa of the farm reserve (2012), 1
    farm_release: np.ndarray = _empty()   # [region] farm workers released since 2012 this year, F_r,2012 - F_r,t, persons
    omega_services_t: np.ndarray = _empty()  # [region] the same this year (skill bias), 1
    amenity_2012: np.ndarray = _empty()   # [region, skill] Rosen-Roback amenity A0_rk (migration.init), utils
    places: np.ndarray = _empty()         # [region] 2012 workforce: opportunities in the migration logit (migration.init), persons
    # --- people (demography.init/step, housing.init/step)
    demog: Any = None                     # demography.Population: dependants[region, age, sex], students, rates, persons
    housing_price: np.ndarray = _empty()  # [region] housing price index p_r (2012 = 1), 1
    cost_of_living: np.ndarray = _empty()  # [region] local price index P_r = p_r^s_h (2012 = 1), 1
    # --- demand and the economy (production.step, demand.init/step)
    price: np.ndarray = _empty()          # [sector] sector price index P_s relative to non-industrial output, 1 (= 1 in 2012)
    price_prev: np.ndarray = _empty()     # [sector] last year's sector price index, 1
    log_x: np.ndarray = _empty()          # [sector] ln of the revenue shifter X_s = P_s (Q_s / N_s)^(1/sigma), 1 (production.step)
    income_index: float = 1.0             # national real GDP on the data path relative to 2012 (demand.step), 1
    income_elasticity: np.ndarray = _empty()  # [sector] this year's income elasticity of sector demand e_s(x), 1
    sector_demand_trend: np.ndarray = _empty()  # [sector] trend real demand, million yuan per year
    sector_demand: np.ndarray = _empty()  # [sector] this year's demand after shocks, million yuan per year
    growth: float = 0.0                   # national real GDP growth this year g_t, 1/year
    va_rs_prev: np.ndarray = _empty()     # [region, sector] industrial value added last year, yi yuan
    iva_r: np.ndarray = _empty()          # [region] industrial value added, yi yuan
    services: np.ndarray = _empty()       # [region] non-industrial output, yi yuan
    services_base: np.ndarray = _empty()  # [region] calibrated base of the services pull (2012), 1
    services_gap_2012: np.ndarray = _empty()  # [region] 2012 non-industrial output per head / national, q_r, 1
    services_productivity: np.ndarray = _empty()  # [region] convergence factor C_r,t of non-industrial output per worker, 1
    gdp: np.ndarray = _empty()            # [region] GDP this year, yi yuan
    gdp_prev: np.ndarray = _empty()       # [region] GDP last year, yi yuan
    # --- capital (capital.init)
    gross_return_2012: float = 0.0        # gross return on industrial capital in 2012, 1/year
    industry_omega: float = 0.0           # industry's share of the investable pool at the 2012 return, 1
    # --- R&D (innovation.init/step, demand.step)
    rd_b0: float = 0.0                    # intercept of the R&D performer logit (2012), 1
    rd_scale: Any = 0.0                   # [region, sector] scale kappa_rs of enterprise R&D spending (2012), 1
    digital_talent_2012: np.ndarray = _empty()  # [region] h_r / h_nat in 2012 (digital.init), 1
    rd_spend: np.ndarray = _empty()       # [firm] R&D spending this year, million yuan per real firm
    public_rd: np.ndarray = _empty()      # [region] public R&D (institutes, universities), yi yuan
    innovations: np.ndarray = _empty()    # [region] firms with a successful innovation this year, firms
    # --- carbon and energy (carbon.init/step/account, called from production.step)
    energy: Any = None                    # energy.EnergyData: sourced power mix, gas share, heat rate (carbon.init)
    grid_2012: np.ndarray = _empty()      # [region] grid carbon intensity in 2012, kt CO2 per million yuan
    grid: np.ndarray = _empty()           # [region] grid carbon intensity this year, kt CO2 per million yuan
    grid_factor: np.ndarray = _empty()    # [region] grid CO2 per kWh relative to the region's 2012 factor, 1
    power_abatement: float = 0.0          # share of grid CO2 the power sector abates beyond the policy path, 1
    intensity_index: np.ndarray = _empty()  # [sector] cumulative efficiency x (1 - electrification) since 2012, 1
    benchmark: np.ndarray = _empty()      # [sector] free-allocation benchmark, kt CO2 per million yuan
    power_price_net: float = 0.0          # power's carbon cost passed to industry, yuan per t of grid CO2
    emissions_firm: np.ndarray = _empty()  # [firm] industrial emissions, kt CO2 per real firm
    co2_industry: np.ndarray = _empty()   # [region] industrial CO2 this year, Mt
    nonind_2012: dict = field(default_factory=dict)  # buildings/transport/other -> [region] CO2 in 2012, Mt
    nonind_drivers_2012: tuple = ()       # ([region] population, GDP per head, non-industrial output) in 2012
    carbon_cost: np.ndarray = _empty()    # [region] carbon cost paid by firms this year (net of allocation), yi yuan
    abatement_cost: np.ndarray = _empty()  # [region] user cost of firms' abatement capital this year, yi yuan
    stranded_carbon: np.ndarray = _empty()  # [region] capital stranded by carbon-driven exits this year, yi yuan
    # --- stylised facts (metrics.YearView.facts, facts.py): last year's firm panel
    facts_panel: Any = None               # facts.FactsState: firm ids, value added, TFPR deviations


class Sim(Protocol):
    """What a mechanism sees of the model (``model.FlyingGeeseModel`` satisfies it)."""

    params: ParamSet
    rng: np.random.Generator
    stream_key: int  # root key of the keyed per-agent streams (streams.py)
    data: RegionData
    regions: tuple[str, ...]
    year: int
    policy: Policy
    world: World
    firms: Firms
    talent: Talent
    n_firms0: int
    n_talent0: int
    year_stats: dict[str, np.ndarray]   # the year's ledger flows by region (see FlyingGeeseModel)
    flows: dict[str, np.ndarray]        # the year's origin -> destination matrices
