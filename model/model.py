"""The flying-geese model: a ``mesa.Model`` that owns the clock (one step = one year), the seeded rng
and the regions, and runs the mechanisms on array-backed firm and talent agent sets.

Order within a year t (state at the end of t-1 is known):

1. demography: ageing, retirement, young entrants and graduates
2. migration: talent reconsiders where to live (wages, jobs, amenities, policy)
3. exit: firms with sustained losses (or bad luck) leave; their capital is stranded
4. location: firms reconsider their region (flying geese)
5. entry and capital allocation: the national pool finances entrants and incumbents
6. R&D and innovation; 7. digital adoption
8. demand, production and labour markets: shares, hiring, rationing, wages
9. accounting: profits, emissions, the non-industrial economy, R&D; then the recorder

See ``model/ODD.md`` for the full description.
"""

from __future__ import annotations

from collections.abc import Mapping

import mesa
import numpy as np
from scipy.optimize import brentq

from . import SECTORS
from .agents import Firms, Talent
from .errors import InputError
from .mechanisms import (capital, carbon, demand, demography, digital, entry_exit, innovation,
                         labour_market, location, migration, production)
from .parameters import ParamSet, check_keys
from .policy import policy_for_year
from .recorder import Recorder
from .regions import RegionData, load_region_data
from .scenario import FIRST_YEAR, SCALES, Scenario, scenario_from_dict

HIGH, GENERAL = 0, 1
YI = 100.0  # million yuan per yi yuan


class FlyingGeeseModel(mesa.Model):
    """One replicate of one scenario.

    Args:
        scenario: a validated ``Scenario``, a mapping in the scenario-file schema, or None (no policy).
        params: extra parameter overrides by dotted name, applied after the scenario's own.
        seed: an int or ``numpy.random.SeedSequence``; the same seed gives the same bytes.
        scale: tiny | small | medium | full (default: the scenario's).
        n_firms, n_talent: explicit agent counts (override the scale preset).
        region_data: regional data (default: the packaged 2012 file).
    """

    def __init__(self, scenario: Scenario | Mapping | None = None, *, params: Mapping[str, float] | None = None,
                 seed: int | np.random.SeedSequence = 0, scale: str | None = None, n_firms: int | None = None,
                 n_talent: int | None = None, region_data: RegionData | None = None):
        super().__init__(rng=np.random.default_rng(seed))
        if scenario is None:
            scenario = {"name": "no-policy"}
        if not isinstance(scenario, Scenario):
            scenario = scenario_from_dict(dict(scenario), "<scenario>")
        self.config = scenario  # mesa reserves `self.scenario`
        self.data = region_data or load_region_data()
        self.regions = self.data.names
        self.params = ParamSet.defaults().with_overrides(scenario.params, "<scenario>").with_overrides(
            dict(params or {}), "<params>")
        check_keys(self.params, self.regions)
        scale = scale or scenario.scale
        if scale not in SCALES:
            raise InputError("<model>", "scale", scale, f"one of {list(SCALES)}")
        nf, nt = SCALES[scale]
        self.n_firms0 = int(n_firms or nf)
        self.n_talent0 = int(n_talent or nt)
        if self.n_firms0 < 40 or self.n_talent0 < 100:
            raise InputError("<model>", "n_firms/n_talent", (self.n_firms0, self.n_talent0),
                             "at least 40 firm agents and 100 talent agents")
        self.first_year, self.last_year = scenario.years
        self.year = FIRST_YEAR
        self._setup()
        self.recorder = Recorder(self.regions, FIRST_YEAR, self.last_year)
        self.recorder.record(self)

    # ------------------------------------------------------------------ set-up from 2012 data
    def _setup(self) -> None:
        P, d, rng = self.params, self.data, self.rng
        R, S = d.n, len(SECTORS)
        self.alpha = P.by("production.capital_share", SECTORS)
        self.theta = P.by("production.high_skill_labour_share", SECTORS)
        self.a_exp, self.bh_exp, self.bg_exp = production.exponents(self.alpha, self.theta)
        self.access_2012 = P.by("demand.market_access", self.regions)
        self.access = self.access_2012.copy()
        self.land = P.by("location.land_cost", self.regions)
        self.friction = P.by("location.friction", self.regions)
        self.user_cost = (P["capital.interest_rate"] + P["capital.depreciation"]) * self.land
        self.capital_share_2012: np.ndarray | None = None  # set once firms exist (land congestion)

        # Industrial value added by region and sector: fit the tilted mix to both margins (RAS).
        iva = P["demand.industrial_va_2012"] * P.by("demand.industrial_va_share_2012", self.regions)
        sector_share = P.by("demand.sector_share_2012", SECTORS)
        mix = np.column_stack([P.by(f"demand.sector_tilt_{s}", self.regions) for s in SECTORS])
        mix = mix * sector_share[None, :] + 1e-12
        for _ in range(500):  # regional totals are fitted last: they are the sourced margin
            mix *= (iva.sum() * sector_share / mix.sum(axis=0))[None, :]
            mix *= (iva / mix.sum(axis=1))[:, None]
        va_rs = mix  # yi yuan

        # Talent: the workforce, placed by 2012 population.
        hs = P.by("labour.high_skill_share_2012", self.regions)
        nt = self.n_talent0
        t_region = rng.choice(R, size=nt, p=d.population_2012 / d.population_2012.sum()).astype(np.int8)
        t_skill = np.where(rng.random(nt) < hs[t_region], HIGH, GENERAL).astype(np.int8)
        ret_age = int(P["demography.retirement_age"])
        t_age = demography.initial_ages(rng, nt, ret_age)
        home = t_region.copy()
        east = self.regions.index("east") if "east" in self.regions else 0
        others = np.array([r for r in range(R) if r != east])
        migrant = (t_region == east) & (rng.random(nt) < P["talent.migrant_share_east"])
        if len(others):
            p_o = d.population_2012[others] / d.population_2012[others].sum()
            home[migrant] = rng.choice(others, size=int(migrant.sum()), p=p_o)
        sig = P["labour.ability_sigma"]
        ability = rng.lognormal(-0.5 * sig**2, sig, nt) if sig > 0 else np.ones(nt)
        # the data counts employed persons; the workforce also holds the frictionally unemployed
        workforce_2012 = P["labour.workforce_2012"] * 1e6 / (1.0 - P["labour.natural_unemployment"])
        self.talent_weight = workforce_2012 / nt
        self.talent = Talent(uid=np.arange(nt), region=t_region, home=home, skill=t_skill, age=t_age,
                             employed=np.zeros(nt, bool), wage=np.zeros(nt), ability=ability,
                             newcomer=np.zeros(nt, bool), weight=np.full(nt, self.talent_weight))
        supply = labour_market.pool(t_region, t_skill, self.talent.weight, R)
        self.labour_supply = supply
        self.pop_ratio = supply.sum(axis=1) / (d.population_2012 * 1e6)  # workforce per resident
        hs_real = supply[:, HIGH] / supply.sum(axis=1)
        # General workers earn the private-unit average wage (data file); the high-skilled earn the
        # college premium on top, which puts them near the non-private (SOE and public) average.
        prem = P["labour.high_skill_premium_2012"]
        wage_general = d.wage_private_2012
        self.wage = np.column_stack([prem * wage_general, wage_general])  # [region, skill]

        # Firms: agents spread over cells by value added; sizes lognormal inside a cell.
        nf = self.n_firms0
        self.firm_weight = d.firms_2012 / nf
        p_cell = (va_rs / va_rs.sum()).ravel()
        cell = rng.choice(R * S, size=nf, p=p_cell)
        f_region, f_sector = (cell // S).astype(np.int8), (cell % S).astype(np.int8)
        size = rng.lognormal(0.0, P["production.firm_size_sigma"], nf)
        cell_size = np.bincount(cell, weights=size, minlength=R * S)
        va = va_rs.ravel()[cell] * YI * size / (cell_size[cell] * self.firm_weight)  # million yuan per firm
        m_target = P["production.profit_share_2012"]
        a, bh, bg = self.a_exp[f_sector], self.bh_exp[f_sector], self.bg_exp[f_sector]
        if np.any(self.alpha <= m_target):
            raise InputError("<parameters>", "production.capital_share", self.alpha.tolist(),
                             f"every capital share must exceed production.profit_share_2012 = {m_target}")
        # 2012 is a spatial equilibrium at price 1: capital earns the same net return rho0 in every
        # region and sector (so neither investors nor movers gain by reallocating), which gives each
        # cell its profit share m = alpha rho0 / ((1 + f) u + rho0); rho0 is set so the value-added
        # weighted mean of m is production.profit_share_2012. TFP is backed out from a representative
        # firm's inputs, then spread lognormally across firms.
        fr0 = 1.0 + self.friction[f_region]
        cost_k = fr0 * self.user_cost[f_region]
        rho0 = brentq(lambda r: np.average(a * r / (cost_k + r), weights=va) - m_target, 1e-6, 10.0)
        m = a * rho0 / (cost_k + rho0)
        wh, wg = self.wage[f_region, HIGH], self.wage[f_region, GENERAL]
        q0 = self.access[f_region] / fr0
        y = va / self.access[f_region]
        h_rep, g_rep = production.labour_demand(y, q0, wh, wg, bh, bg)
        k_rep = (a - m) * va / cost_k
        tfp_eff = y / production.output(1.0, k_rep, h_rep, g_rep, a, bh, bg)
        sig_a = P["production.tfp_sigma"]
        tfp_eff = tfp_eff * np.exp(sig_a * rng.normal(0.0, 1.0, nf) - 0.5 * sig_a**2)
        k = y / production.output_per_capital(tfp_eff, q0, wh, wg, a, bh, bg)
        # TFP noise must not change a cell's capital (and so its return): rescale to the representative total
        k_cell = np.bincount(cell, weights=k, minlength=R * S)
        k_rep_cell = np.bincount(cell, weights=k_rep, minlength=R * S)
        k_fix = np.where(k_cell > 0, k_rep_cell / np.maximum(k_cell, 1e-300), 1.0)[cell]
        k = k * k_fix
        tfp_eff = tfp_eff * k_fix ** (-a)  # keeps each firm's output at its data value
        lab_h, lab_g = production.labour_demand(y, q0, wh, wg, bh, bg)
        profit0 = a * va - fr0 * self.user_cost[f_region] * k
        self.price = np.ones(S)
        k_total = np.sum(self.firm_weight * k)
        self.gross_return_2012 = np.sum(self.firm_weight * (profit0 + fr0 * self.user_cost[f_region] * k)) / k_total
        eps_d = P.by("demand.income_elasticity", SECTORS) @ sector_share
        g1 = demand.growth_path(d.gdp_growth, P["demand.gdp_growth_2035"], FIRST_YEAR + 1)
        pool0 = (P["capital.savings_rate"] + P["capital.foreign_share"]) * d.gdp_2012.sum() * YI
        self.industry_omega = (P["capital.depreciation"] + eps_d * g1) * k_total / pool0
        self.va_rs_prev = va_rs.copy()
        self.h_share = hs_real
        self.h_nat = supply[:, HIGH].sum() / supply.sum()
        agg = production.agglomeration(va_rs, P["production.agglomeration_elasticity"])
        spill = production.spillover(self.h_share, self.h_nat, P["production.spillover_elasticity"])
        tfp_own = tfp_eff / (agg[f_region, f_sector] * spill[f_region])
        # What stays with the place (infrastructure, institutions, supplier networks) is separated from
        # what moves with the firm: the cell's geometric-mean TFP is regional, the rest is the firm's own.
        log_z = np.bincount(cell, weights=np.log(tfp_own), minlength=R * S) / np.maximum(
            np.bincount(cell, minlength=R * S), 1)
        self.region_tfp = np.exp(log_z).reshape(R, S)
        tfp_own = tfp_own / self.region_tfp[f_region, f_sector]

        # Carbon: industrial share of each region's CO2 over its firms by relative sector intensity.
        rel = P.by("carbon.relative_intensity", SECTORS)[f_sector]
        elec = P.by("carbon.electricity_share", SECTORS)[f_sector]
        base = np.bincount(f_region, weights=self.firm_weight * va * rel, minlength=R)
        self.grid_2012 = P["carbon.industrial_share_of_co2"] * d.co2_2012 * 1000.0 / base  # kt per million yuan
        direct = self.grid_2012[f_region] * rel * (1 - elec)
        power = rel * elec

        # R&D: who performs (intercept solved for the 2012 share) and the spending scale.
        rel_size = va / np.median(va)
        def p_perform(b0: float) -> np.ndarray:
            return innovation.performer_probability(innovation.performer_logit(
                b0, 0.0, 0, P["innovation.performer_talent_effect"], (self.h_share / self.h_nat)[f_region],
                rel_size, np.zeros(nf), P["innovation.performer_size_effect"]))

        self.rd_b0 = brentq(lambda b: p_perform(b).mean() - P["innovation.performer_share_2012"], -40, 40)
        p_active = p_perform(self.rd_b0)
        active = rng.random(nf) < p_active
        rho = P.by("innovation.rd_share_of_value_added", SECTORS)[f_sector]
        raw = active * rho * va
        self.rd_scale = d.rd_enterprises_2012 * YI / max((raw * self.firm_weight).sum(), 1e-9)
        rd_spend = raw * self.rd_scale
        rd_stock = rd_spend / (P["innovation.rd_depreciation"] + 0.08)

        self.firms = Firms(uid=np.arange(nf), region=f_region, sector=f_sector, tfp=tfp_own, tfp_shock=np.zeros(nf),
                           capital=k, intangible=rd_spend,
                           labour_high=lab_h, labour_general=lab_g, direct_intensity=direct, power_use=power,
                           digital=np.zeros(nf, bool), digital_affinity=rng.normal(0.0, 1.0, nf),
                           rd_active=active, rd_stock=rd_stock, age=rng.integers(1, 30, nf).astype(np.int16),
                           value_added=va, profit=profit0, loss_years=np.zeros(nf, np.int16),
                           weight=np.full(nf, self.firm_weight))
        self.rd_spend = rd_spend
        # the operating return at which firms just replace capital and keep up with demand (capital.py)
        self.hurdle = float(np.sum(profit0) / np.sum(k))

        # Aggregates and the non-industrial economy in 2012.
        self.sector_demand_trend = np.bincount(f_sector, weights=self.firm_weight * va, minlength=S)
        self.iva_r = np.bincount(f_region, weights=self.firm_weight * va, minlength=R) / YI
        self.services = d.gdp_2012 - self.iva_r
        if np.any(self.services <= 0):
            raise InputError("<parameters>", "demand.industrial_va_share_2012", self.iva_r.round(1).tolist(),
                             "industrial value added must stay below each region's GDP")
        self.gdp = d.gdp_2012.copy()
        self.gdp_prev = self.gdp.copy()
        self.population = d.population_2012 * 1e6
        attraction = demand.services_attraction(self.population, self.iva_r, self.h_share,
                                                P["demand.services_income_elasticity"],
                                                P["demand.services_talent_elasticity"])
        self.services_base = (self.services / self.services.sum()) / (attraction / attraction.sum())
        ind_h = np.bincount(f_region, weights=self.firm_weight * lab_h, minlength=R)
        ind_g = np.bincount(f_region, weights=self.firm_weight * lab_g, minlength=R)
        u = P["labour.natural_unemployment"]
        other = np.maximum((1 - u) * supply - np.column_stack([ind_h, ind_g]), 0.05 * supply)
        self.services_labour_share = other * self.wage / (self.services[:, None] * YI * 1e6)
        self.nonind_co2_intensity = (1 - P["carbon.industrial_share_of_co2"]) * d.co2_2012 / self.services
        self.public_rd = P["innovation.public_rd_2012"] * supply[:, HIGH] / supply[:, HIGH].sum()
        employment = np.minimum(other + np.column_stack([ind_h, ind_g]), (1 - u) * supply)
        self.employment_rate = employment / supply
        # Spatial equilibrium of 2012: amenities (cost of living, climate, public services) offset the
        # regional gaps in expected wages, so migration comes from home ties, shocks and talent.amenity.
        value = np.log(self.wage * self.employment_rate)
        self.amenity_2012 = -P["talent.wage_weight"] * (value - value.mean(axis=0, keepdims=True))
        t = self.talent
        t.data["employed"] = labour_market.assign_jobs(rng, t.region.astype(np.int64) * 2 + t.skill,
                                                       self.employment_rate)
        t.data["wage"] = np.where(t.employed, self.wage[t.region, t.skill] * t.ability, 0.0)
        self.policy = policy_for_year(self.config, FIRST_YEAR, self.regions)
        self.grid = self.grid_2012.copy()
        self.emissions_firm = va * carbon.intensity(direct, power, self.grid, f_region)
        self.carbon_cost = np.zeros(R)
        self.flows_firms = np.zeros((S, R, R))
        self.flows_jobs = np.zeros((S, R, R))
        self.flows_talent = np.zeros((2, R, R))
        self.year_stats: dict[str, np.ndarray] = {}
        self.ledger: dict[str, object] = {}
        self._snapshot: dict[str, np.ndarray] | None = None
        self._reset_year_stats()

    def _reset_year_stats(self) -> None:
        R = self.data.n
        z = lambda: np.zeros(R)  # noqa: E731
        self.year_stats = {"investment": z(), "stranded": z(), "entries": z(), "exits": z(),
                           "reloc_in": z(), "reloc_out": z(), "talent_in_high": z(), "talent_out_high": z(),
                           "talent_in": z(), "talent_out": z(), "talent_entries": z(), "retirements": z(),
                           "policy_cost": z()}
        self.flows_firms[:] = 0
        self.flows_jobs[:] = 0
        self.flows_talent[:] = 0
        self.moved_capital_in = np.zeros(R)
        self.moved_capital_out = np.zeros(R)

    # ------------------------------------------------------------------ one year
    def step(self) -> None:
        self.year += 1
        self._reset_year_stats()
        self.policy = policy_for_year(self.config, self.year, self.regions)
        self.access = demand.market_access(self.access_2012, self.params["demand.access_convergence"],
                                           self.year - FIRST_YEAR)
        before = self._snapshot if self._snapshot is not None else self._ledger_snapshot()
        self._demography()
        self._migration()
        self._exit()
        self._relocation()
        self._entry_and_investment()
        self._innovation()
        self._digital()
        self._produce_and_hire()
        self._check_ledgers(before)
        self.recorder.record(self)

    def run(self) -> Recorder:
        """Run from 2012 to the scenario's last year; returns the recorder."""
        self.run_for(self.last_year - self.year)
        return self.recorder

    # --- 1. demography
    def _demography(self) -> None:
        P, rng, t = self.params, self.rng, self.talent
        R = self.data.n
        t.data["age"] += 1
        t.data["newcomer"][:] = False
        retire = t.age >= int(P["demography.retirement_age"])
        self.year_stats["retirements"] = np.bincount(t.region[retire], weights=t.weight[retire], minlength=R)
        t.keep(~retire)
        general, grads = demography.entrants(self.year, P["demography.cohort_2012"], P["demography.cohort_growth"],
                                             self.data.graduates_2012, P["talent.graduate_growth"])
        where = labour_market.pool(t.region, t.skill, t.weight, R).sum(axis=1)
        n_gen = demography.stochastic_round(rng, general * 1e6 * where / where.sum() / self.talent_weight)
        n_grad = demography.stochastic_round(rng, grads * 1e6 * P.by("talent.graduate_share", self.regions)
                                             / self.talent_weight)
        region = np.concatenate([np.repeat(np.arange(R), n_gen), np.repeat(np.arange(R), n_grad)]).astype(np.int8)
        skill = np.concatenate([np.full(n_gen.sum(), GENERAL), np.full(n_grad.sum(), HIGH)]).astype(np.int8)
        age = np.concatenate([np.full(n_gen.sum(), 20), np.full(n_grad.sum(), 22)]).astype(np.int16)
        n = len(region)
        sig = P["labour.ability_sigma"]
        t.append(uid=t.new_ids(n), region=region, home=region.copy(), skill=skill, age=age,
                 employed=np.zeros(n, bool), wage=np.zeros(n), ability=rng.lognormal(-0.5 * sig**2, sig, n)
                 if sig > 0 else np.ones(n), newcomer=np.ones(n, bool), weight=np.full(n, self.talent_weight))
        self.year_stats["talent_entries"] = np.bincount(region, minlength=R) * self.talent_weight

    # --- 2. migration
    def _migration(self) -> None:
        P, rng, t, pol = self.params, self.rng, self.talent, self.policy
        R = self.data.n
        mob_skill = np.array([P["talent.mobility_high"], P["talent.mobility_general"]])
        mob_age = np.array([P["talent.mobility_young"], 1.0, P["talent.mobility_old"]])
        grp = migration.age_group(t.age)
        p_review = np.minimum(P["talent.review_rate"] * mob_skill[t.skill] * mob_age[grp], 1.0)
        review = t.newcomer | (rng.random(len(t)) < p_review)
        idx = np.flatnonzero(review)
        amenity = self.amenity_2012 + P.by("talent.amenity", self.regions)[:, None]
        probs = migration.choice_probabilities(self.wage, self.employment_rate, pol.wage_topup, pol.moving_cost_cut,
                                               amenity, labour_market.pool(t.region, t.skill, t.weight, R).sum(axis=1),
                                               P["talent.wage_weight"],
                                               P["talent.home_bias"], P["talent.moving_cost"])
        cells = migration.cell_index(t.region[idx], t.home[idx], t.skill[idx], grp[idx], R)
        dest = migration.choose(rng, cells, probs)
        origin = t.region[idx]
        moved = dest != origin
        w = t.weight[idx][moved]
        o, dst, sk = origin[moved], dest[moved], t.skill[idx][moved]
        np.add.at(self.flows_talent, (sk, o, dst), w)
        self.year_stats["talent_out"] = np.bincount(o, weights=w, minlength=R)
        self.year_stats["talent_in"] = np.bincount(dst, weights=w, minlength=R)
        hi = sk == HIGH
        self.year_stats["talent_out_high"] = np.bincount(o[hi], weights=w[hi], minlength=R)
        self.year_stats["talent_in_high"] = np.bincount(dst[hi], weights=w[hi], minlength=R)
        t.data["region"][idx] = dest
        # The year's talent pool is now fixed: shares used by relocation, R&D, digital and production.
        self.labour_supply = labour_market.pool(t.region, t.skill, t.weight, R)
        self.h_share = self.labour_supply[:, HIGH] / np.maximum(self.labour_supply.sum(axis=1), 1e-9)
        self.h_nat = self.labour_supply[:, HIGH].sum() / self.labour_supply.sum()

    # --- 3. exit
    def _exit(self) -> None:
        P, f = self.params, self.firms
        R = self.data.n
        out = entry_exit.exits(self.rng, f.loss_years, P["entry_exit.exit_hazard"], P["entry_exit.exit_after_losses"],
                               int(P["entry_exit.loss_years_to_exit"]))
        delta = P["capital.depreciation"]
        self.year_stats["stranded"] = np.bincount(f.region[out], weights=(f.weight * f.capital * (1 - delta))[out],
                                                  minlength=R) / YI
        self.year_stats["exits"] = np.bincount(f.region[out], weights=f.weight[out], minlength=R)
        f.keep(~out)

    # --- what a firm would earn where: shared by location choice and production
    def _charges_everywhere(self, sector: np.ndarray, digital_on: np.ndarray, direct: np.ndarray,
                            power: np.ndarray) -> np.ndarray:
        """[firm, region] carbon and digital running costs per yuan of value added, as if produced in each region."""
        P, pol = self.params, self.policy
        out = digital_on[:, None] * (P["digital.annual_cost"] * (1.0 - pol.digital_subsidy))[None, :]
        if pol.carbon_price > 0:
            price = pol.effective_carbon_price()[sector]
            out = out + 1e-3 * price[:, None] * (direct[:, None] + power[:, None] * self.grid[None, :])
        return out

    def _profit_everywhere(self, idx: np.ndarray) -> np.ndarray:
        """[firm, region] profit (million yuan) firm ``idx`` would make producing in each region this year.

        Y/K = exp((ln A_i + ln Z agg spill + (1 - a) ln q_ir + wage term) / a). Without per-firm charges
        (no carbon price on the sector, not digital) q depends on (region, sector) only, so the region
        part is computed once per cell and only firm-specific charges take the slow path.
        """
        f, pol = self.firms, self.policy
        s = f.sector[idx]
        a_s = self.a_exp
        a = a_s[s][:, None]
        fr_r = 1.0 + self.friction * (1.0 - pol.friction_cut)
        place = (np.log(self.region_tfp * self.agg) + np.log(self.spill)[:, None]
                 + production.log_wage_term(self.wage[:, HIGH], self.wage[:, GENERAL], self.bh_exp, self.bg_exp))
        gross_rs = self.access[:, None] * self.price[None, :]                     # [r, s]
        cell_opk = np.exp((place + (1.0 - a_s) * np.log(gross_rs / fr_r[:, None])) / a_s)
        k = f.capital[idx][:, None]
        # profit_ir = K_i (A_i^(1/a) x [a gross opk]_rs - (1 + f_r) u_r): one table per cell, two products per firm
        per_k = (a_s * gross_rs * cell_opk).T                                     # [s, r]
        own = np.exp(np.log(f.tfp[idx]) / a_s[s])[:, None]
        profit = k * (own * per_k[s] - (fr_r * self.user_cost)[None, :])
        charged = f.digital[idx] | (pol.effective_carbon_price()[s] > 0)
        if charged.any():
            c = np.flatnonzero(charged)
            sc, ac = s[c], a[c]
            t = self._charges_everywhere(sc, f.digital[idx][c], f.direct_intensity[idx][c], f.power_use[idx][c])
            gross = np.maximum(self.access[None, :] * (self.price[sc][:, None] - t), 0.0)
            with np.errstate(divide="ignore"):
                log_q = np.log(gross / fr_r[None, :])
            yc = k[c] * np.exp((np.log(f.tfp[idx][c])[:, None] + place[:, sc].T + (1.0 - ac) * log_q) / ac)
            profit[c] = ac * gross * yc - fr_r[None, :] * self.user_cost[None, :] * k[c]
        return profit

    def _refresh_location_factors(self) -> None:
        P = self.params
        self.agg = production.agglomeration(self.va_rs_prev, P["production.agglomeration_elasticity"])
        self.spill = production.spillover(self.h_share, self.h_nat, P["production.spillover_elasticity"])

    def _update_land_cost(self) -> None:
        """Industrial land gets dearer where industry concentrates (a congestion force against herding):
        land_r,t = land_r,2012 (capital share_r,t / capital share_r,2012)^location.land_congestion."""
        P, f = self.params, self.firms
        k_r = np.bincount(f.region, weights=f.weight * f.capital, minlength=self.data.n)
        share = k_r / max(k_r.sum(), 1e-12)
        if self.capital_share_2012 is None:
            self.capital_share_2012 = share
        rel = np.maximum(share, 1e-6) / np.maximum(self.capital_share_2012, 1e-6)
        land = self.land * rel ** P["location.land_congestion"]
        self.user_cost = (P["capital.interest_rate"] + P["capital.depreciation"]) * land

    # --- 4. relocation
    def _relocation(self) -> None:
        P, f, pol = self.params, self.firms, self.policy
        R = self.data.n
        self._update_land_cost()
        self._refresh_location_factors()
        review = (self.rng.random(len(f)) < P["location.review_rate"]) & (f.age >= 1)
        idx = np.flatnonzero(review)
        if len(idx) == 0:
            return
        profit = self._profit_everywhere(idx)
        sub = pol.relocation_subsidy[:, f.sector[idx]].T
        horizon = 1.0 / (P["capital.interest_rate"] + P["entry_exit.exit_hazard"])
        dest = location.choose(self.rng, profit, f.region[idx], f.value_added[idx],
                               P["location.profit_sensitivity"], P["location.relocation_cost"], sub, horizon)
        moved = dest != f.region[idx]
        mi = idx[moved]
        o, dst, s = f.region[mi], dest[moved], f.sector[mi]
        w = f.weight[mi]
        np.add.at(self.flows_firms, (s, o, dst), w)
        np.add.at(self.flows_jobs, (s, o, dst), w * (f.labour_high[mi] + f.labour_general[mi]))
        self.year_stats["reloc_out"] = np.bincount(o, weights=w, minlength=R)
        self.year_stats["reloc_in"] = np.bincount(dst, weights=w, minlength=R)
        delta = P["capital.depreciation"]
        self.moved_capital_out = np.bincount(o, weights=w * f.capital[mi] * (1 - delta), minlength=R) / YI
        self.moved_capital_in = np.bincount(dst, weights=w * f.capital[mi] * (1 - delta), minlength=R) / YI
        # The destination's subsidy pays its share of the sunk cost of moving.
        paid_sub = sub[moved, dst] * P["location.relocation_cost"] * f.value_added[mi]
        self.year_stats["policy_cost"] += np.bincount(dst, weights=w * paid_sub, minlength=R) / YI
        f.data["region"][mi] = dst

    # --- 5. entry and capital allocation
    def _entry_and_investment(self) -> None:
        P, f, rng, pol = self.params, self.firms, self.rng, self.policy
        R, S = self.data.n, len(SECTORS)
        delta = P["capital.depreciation"]
        cell = f.region.astype(np.int64) * S + f.sector
        k_rs = np.bincount(cell, weights=f.weight * f.capital, minlength=R * S)
        pi_rs = np.bincount(cell, weights=f.weight * f.profit, minlength=R * S)
        ret = pi_rs / np.maximum(k_rs, 1e-9)
        emis_rs = np.bincount(cell, weights=f.weight * f.value_added * carbon.intensity(
            f.direct_intensity, f.power_use, self.grid, f.region), minlength=R * S)
        va_cell = np.bincount(cell, weights=f.weight * f.value_added, minlength=R * S)
        int_nat = emis_rs.sum() / max(va_cell.sum(), 1e-9)
        int_rs = np.where(va_cell > 0, emis_rs / np.maximum(va_cell, 1e-9), int_nat)
        fr_all = 1.0 + self.friction * (1.0 - pol.friction_cut)
        premium = capital.carbon_premium(P["capital.carbon_risk_premium"], int_rs, int_nat, pol.carbon_price)
        rho = ret - premium
        pool = (P["capital.savings_rate"] + P["capital.foreign_share"]) * self.gdp.sum() * YI  # million yuan
        gross = (np.sum(f.weight * (f.profit + fr_all[f.region] * self.user_cost[f.region] * f.capital))
                 / max(np.sum(f.weight * f.capital), 1e-9))
        pool = capital.industry_draw(pool, self.industry_omega, gross, self.gross_return_2012,
                                     P["capital.industry_return_elasticity"])

        # Entrants: Poisson per sector, regions by logit, financed first (at most a share of the pool).
        n_s = np.bincount(f.sector, minlength=S)
        k_s = np.bincount(f.sector, weights=f.weight * f.capital, minlength=S)
        net_s = np.bincount(f.sector, weights=f.weight * f.profit, minlength=S) / np.maximum(k_s, 1e-9)
        counts = rng.poisson(P["entry_exit.entry_rate"] * entry_exit.sector_entry_weights(
            n_s, net_s, P["entry_exit.sector_return_sensitivity"]))
        n_rs = np.bincount(cell, weights=f.weight, minlength=R * S).reshape(R, S)
        # a subsidy on a share s of the entry cost saves s x the user cost of that capital every year
        subsidy_return = pol.relocation_subsidy * self.user_cost[:, None]
        by_rs = entry_exit.entry_regions(rng, counts, n_rs, rho.reshape(R, S), subsidy_return,
                                         P["entry_exit.profit_sensitivity"])
        e_cell = np.repeat(np.arange(R * S), by_rs.ravel())
        n_cell = np.bincount(cell, minlength=R * S)
        log_k = np.bincount(cell, weights=np.log(f.capital), minlength=R * S) / np.maximum(n_cell, 1)
        fallback = np.exp(np.log(f.capital).mean()) if len(f) else 1.0
        med_k = np.where(n_cell > 0, np.exp(log_k), fallback)  # geometric mean: the median of a lognormal
        need = P["entry_exit.entrant_size"] * med_k[e_cell]
        budget = P["capital.entrant_pool_share"] * pool
        e_k = need * min(1.0, budget / max(float(np.sum(need)) * self.firm_weight, 1e-9))

        # Incumbents: desired investment from expected excess return, financed internally then externally.
        g = demand.growth_path(self.data.gdp_growth, P["demand.gdp_growth_2035"], self.year)
        g_s = P.by("demand.income_elasticity", SECTORS)[f.sector] * g
        excess = f.profit / np.maximum(f.capital, 1e-9) - premium[cell] - self.hurdle
        rate = capital.desired_rate(excess, delta, g_s, P["capital.adjustment_cost"], P["capital.max_investment_rate"])
        internal = capital.internal_funds(f.profit, f.intangible, f.capital, delta)
        inv = capital.finance(rate * f.capital, internal, P["capital.external_finance"] * f.capital, f.weight,
                              pool - float(np.sum(e_k)) * self.firm_weight)
        f.data["capital"] = f.capital * (1 - delta) + inv
        f.data["age"] += 1
        inv_r = np.bincount(f.region, weights=f.weight * inv, minlength=R)

        e_region = (e_cell // S).astype(np.int8)
        f.append(**self._entrant_columns(cell, n_cell, e_cell, e_k))
        self.year_stats["entries"] = np.bincount(e_region, minlength=R) * self.firm_weight
        self.year_stats["investment"] = (inv_r + np.bincount(e_region, weights=e_k * self.firm_weight,
                                                             minlength=R)) / YI

    def _entrant_columns(self, cell: np.ndarray, n_cell: np.ndarray, e_cell: np.ndarray,
                         e_k: np.ndarray) -> dict[str, np.ndarray]:
        """New firms' columns: technology copied from an incumbent (entry_exit.py), staffing from their
        cell's incumbents, capital as financed."""
        P, f, rng = self.params, self.firms, self.rng
        R, S = self.data.n, len(SECTORS)
        ne = len(e_cell)
        has = n_cell > 0

        def cell_mean(values: np.ndarray, per: np.ndarray | None = None) -> np.ndarray:
            total = np.bincount(cell, weights=values, minlength=R * S)
            return total / np.maximum(n_cell if per is None else np.bincount(cell, weights=per, minlength=R * S),
                                      1e-9)

        h_per_k = cell_mean(f.labour_high, per=f.capital)
        g_per_k = cell_mean(f.labour_general, per=f.capital)
        e_sector = (e_cell % S).astype(np.int8)
        e_region = (e_cell // S).astype(np.int8)
        # own permanent log TFP of a random incumbent of the cell (of the sector if the cell is empty)
        parent = entry_exit.anchor_incumbents(rng, cell, e_cell, f.sector.astype(np.int64), e_sector.astype(np.int64))
        log_perm = np.log(f.tfp) - f.tfp_shock
        base = np.where(parent >= 0, log_perm[np.maximum(parent, 0)], log_perm.mean() if len(f) else 0.0)
        log_a = entry_exit.entrant_log_tfp(base, P["entry_exit.entrant_tfp_gap"], P["entry_exit.entrant_tfp_sigma"],
                                           rng.normal(0.0, 1.0, ne))
        rel = P.by("carbon.relative_intensity", SECTORS)[e_sector]
        elec = P.by("carbon.electricity_share", SECTORS)[e_sector]
        direct = np.where(has[e_cell], cell_mean(f.direct_intensity)[e_cell], self.grid[e_region] * rel * (1 - elec))
        power = np.where(has[e_cell], cell_mean(f.power_use)[e_cell], rel * elec)
        return dict(uid=f.new_ids(ne), region=e_region, sector=e_sector, tfp=np.exp(log_a), tfp_shock=np.zeros(ne),
                    capital=e_k, intangible=np.zeros(ne),
                    labour_high=h_per_k[e_cell] * e_k, labour_general=g_per_k[e_cell] * e_k,
                    direct_intensity=direct, power_use=power, digital=np.zeros(ne, bool),
                    digital_affinity=rng.normal(0.0, 1.0, ne), rd_active=np.zeros(ne, bool), rd_stock=np.zeros(ne),
                    age=np.zeros(ne, np.int16), value_added=np.zeros(ne), profit=np.zeros(ne),
                    loss_years=np.zeros(ne, np.int16), weight=np.full(ne, self.firm_weight))

    # --- 6. R&D, innovation, imitation, productivity shocks (innovation.py)
    def _innovation(self) -> None:
        P, f, pol, rng = self.params, self.firms, self.policy, self.rng
        R, S = self.data.n, len(SECTORS)
        n = len(f)
        rel_t = (self.h_share / self.h_nat)[f.region]
        med = np.median(f.value_added[f.value_added > 0]) if np.any(f.value_added > 0) else 1.0
        rel_size = np.where(f.value_added > 0, f.value_added / med, 0.1)
        sub = pol.rd_subsidy[f.region]
        logit = innovation.performer_logit(self.rd_b0, P["innovation.performer_trend"], self.year - FIRST_YEAR,
                                           P["innovation.performer_talent_effect"], rel_t, rel_size, sub,
                                           P["innovation.performer_size_effect"])
        active = rng.random(n) < innovation.performer_probability(logit)
        rho = P.by("innovation.rd_share_of_value_added", SECTORS)[f.sector]
        # R&D is financed from cash flow: a performer spends its sector-typical intensity, at most what its
        # operating profit covers after the subsidy (Himmelberg and Petersen 1994; Hall 2002)
        target = rho * self.rd_scale * f.value_added
        spend = active * innovation.affordable(target, f.profit, sub) * (1.0 + sub)
        f.data["rd_active"] = active
        f.data["rd_stock"] = f.rd_stock * (1 - P["innovation.rd_depreciation"]) + spend
        f.data["intangible"] = (1.0 - sub) * spend  # the firm's own share: an expense (digital adds to it)
        self.rd_spend = spend
        self.year_stats["policy_cost"] += np.bincount(f.region, weights=f.weight * spend * sub, minlength=R) / YI
        tt = np.minimum(P.by("innovation.tech_transfer_rate", self.regions) + pol.tech_transfer, 1.0)
        public = P["innovation.public_research_weight"] * tt * self.public_rd / np.maximum(self.iva_r, 1e-9)
        p = innovation.success_probability(P["innovation.success_rate"], f.rd_stock, f.value_added,
                                           public[f.region] * f.rd_active, rel_t)
        success = rng.random(n) < p
        gain = np.zeros(n)
        gain[success] = P["innovation.success_tfp_gain"] * rng.lognormal(-0.125, 0.5, int(success.sum()))
        self.innovations = np.bincount(f.region, weights=f.weight * success, minlength=R)
        # permanent part: innovation, then imitation of the sector frontier
        log_perm = np.log(f.tfp) - f.tfp_shock + gain
        frontier = innovation.sector_frontier(log_perm, f.sector, S, P["innovation.frontier_quantile"])
        q = innovation.imitation_probability(P["innovation.imitation_rate"], rel_t,
                                             P["innovation.imitation_talent_elasticity"], f.digital,
                                             P["innovation.imitation_digital_boost"])
        copied = rng.random(n) < q
        log_perm = innovation.imitate(log_perm, frontier[f.sector], copied, P["innovation.imitation_catch_up"])
        # transitory part: AR(1) with size-dependent innovations
        sd = innovation.shock_sd(P["innovation.shock_sd"], rel_size, P["innovation.shock_size_elasticity"])
        u = innovation.ar1(f.tfp_shock, P["innovation.shock_persistence"], sd, rng.laplace(0.0, np.sqrt(0.5), n))
        f.data["tfp_shock"] = u
        f.data["tfp"] = np.exp(log_perm + u) * (1.0 + P["production.tfp_drift"])

    # --- 7. digital adoption (digital.py)
    def _digital(self) -> None:
        P, f, pol, rng = self.params, self.firms, self.policy, self.rng
        R, S = self.data.n, len(SECTORS)
        n = len(f)
        ready_r = digital.readiness(P.by("digital.readiness", self.regions), pol.digital_infrastructure,
                                    self.h_share / self.h_nat, P["digital.talent_elasticity"])
        ready = ready_r[f.region]
        cell = f.region.astype(np.int64) * S + f.sector
        peers = (np.bincount(cell, weights=f.weight * f.digital, minlength=R * S)
                 / np.maximum(np.bincount(cell, weights=f.weight, minlength=R * S), 1e-12))[cell]
        sub = pol.digital_subsidy[f.region]
        sig = P["digital.gain_dispersion"]
        taste = np.exp(sig * f.digital_affinity - 0.5 * sig**2)
        sales = f.value_added
        gain = P["digital.productivity_gain"]
        dpi = digital.profit_gain(sales, self.a_exp[f.sector], gain, taste)
        cost = digital.adoption_cost(P["digital.adoption_cost"], sales, P["digital.diffusion_rate"],
                                     self.year - FIRST_YEAR, P["digital.peer_effect"], peers, ready)
        p_ok = digital.success_probability(P["digital.success_rate"], ready)
        horizon = 1.0 / (P["capital.interest_rate"] + P["entry_exit.exit_hazard"])
        npv = digital.net_present_value(p_ok, horizon, dpi, P["digital.annual_cost"] * sales, cost, sub)
        review = rng.random(n) < P["digital.review_rate"]
        works = rng.random(n) < p_ok
        tries = review & ~f.digital & (sales > 0) & (npv > 0)
        adopt = tries & works
        f.data["intangible"] = f.intangible + tries * (1.0 - sub) * cost
        self.year_stats["policy_cost"] += np.bincount(f.region, weights=f.weight * tries * sub * cost,
                                                      minlength=R) / YI
        f.data["digital"] = f.digital | adopt
        f.data["tfp"] = np.where(adopt, f.tfp * (1.0 + gain), f.tfp)

    # --- 8-9. demand, production, labour market, accounts
    def _produce_and_hire(self) -> None:
        P, f, t, pol, rng = self.params, self.firms, self.talent, self.policy, self.rng
        R, S = self.data.n, len(SECTORS)
        u = P["labour.natural_unemployment"]
        g = demand.growth_path(self.data.gdp_growth, P["demand.gdp_growth_2035"], self.year)
        eps = P.by("demand.income_elasticity", SECTORS)
        self.sector_demand_trend = self.sector_demand_trend * (1.0 + eps * g)
        sector_demand = self.sector_demand_trend * (1.0 + pol.demand_shock)

        # Talent side of the region (fixed since migration).
        supply = self.labour_supply
        self.population = supply.sum(axis=1) / self.pop_ratio

        # Firms supply at the sector price that clears each market (production.py, demand.py).
        self.grid = self.grid_2012 * carbon.grid_factor(self.year, P["carbon.nonfossil_share_2012"],
                                                        P["carbon.nonfossil_share_2031"])
        f.data["direct_intensity"] = f.direct_intensity * (1.0 - P["carbon.efficiency_gain"])
        a, bh, bg = self.a_exp[f.sector], self.bh_exp[f.sector], self.bg_exp[f.sector]
        cell = f.region.astype(np.intp) * S + f.sector  # flat (region, sector) index for per-cell tables
        log_tfp_eff = np.log(f.tfp) + np.log(self.region_tfp * self.agg).ravel()[cell] + np.log(self.spill)[f.region]
        access = self.access[f.region]
        fr = (1.0 + self.friction * (1.0 - pol.friction_cut))[f.region]
        wh, wg = self.wage[f.region, HIGH], self.wage[f.region, GENERAL]
        wage_term = production.log_wage_term(self.wage[:, HIGH], self.wage[:, GENERAL], self.bh_exp, self.bg_exp)
        intens = carbon.intensity(f.direct_intensity, f.power_use, self.grid, f.region)
        carbon_per_yuan = carbon.cost_per_yuan(pol.effective_carbon_price(), f.sector, intens)
        charges = carbon_per_yuan + f.digital * (P["digital.annual_cost"] * (1.0 - pol.digital_subsidy))[f.region]
        expo = (1.0 - a) / a
        # a_i Y_i(p) = scale_i (a_i (p - t_i))^expo_i
        log_opk1 = production.log_output_per_capital(log_tfp_eff, 0.0, wage_term.ravel()[cell], a)
        scale = f.weight * access * f.capital * np.exp(log_opk1 - expo * np.log(fr))
        eta = P["demand.price_elasticity"]
        self.price = demand.clear_prices(f.sector.astype(np.int64), scale, access, access * charges, expo,
                                         sector_demand, eta, self.price)
        p = self.price[f.sector]
        q = np.maximum(access * (p - charges) / fr, 0.0)
        with np.errstate(divide="ignore"):
            y_plan = f.capital * np.exp(log_opk1 + expo * np.log(q))  # q = 0 -> no output
        need_h, need_g = production.labour_demand(y_plan, q, wh, wg, bh, bg)

        # Labour demand: industry plus the rest of the economy, then clearing and rationing.
        ind = np.column_stack([np.bincount(f.region, weights=f.weight * need_h, minlength=R),
                               np.bincount(f.region, weights=f.weight * need_g, minlength=R)])
        services = self._services(g)
        other = self.services_labour_share * services[:, None] * YI * 1e6 / self.wage
        total = ind + other
        employment, ration = labour_market.clear(total, supply, u)
        r_h, r_g = ration[f.region, HIGH], ration[f.region, GENERAL]
        hire_h, hire_g = need_h * r_h, need_g * r_g
        # with labour rationed by r, Cobb-Douglas output scales by r_H^bH r_G^bG (one factor per cell)
        cut = ration[:, HIGH, None] ** self.bh_exp[None, :] * ration[:, GENERAL, None] ** self.bg_exp[None, :]
        y = y_plan * cut.ravel()[cell]
        va = access * y
        self.services = services  # demand-determined; labour shortages ration industry's hiring

        # Accounts.
        labour_cost = (wh * hire_h + wg * hire_g) / 1e6
        capital_cost = self.user_cost[f.region] * f.capital
        # Operating profit (before R&D and the one-off cost of a move): what loss streaks, exit and
        # investors look at; R&D and relocation are investments the firm chose, not signs of failure.
        profit = p * va - fr * (labour_cost + capital_cost) - charges * va
        self.carbon_cost = np.bincount(f.region, weights=f.weight * carbon_per_yuan * va, minlength=R) / YI
        self.year_stats["policy_cost"] += np.bincount(
            f.region, weights=f.weight * f.digital * P["digital.annual_cost"] * pol.digital_subsidy[f.region] * va,
            minlength=R) / YI
        f.data["labour_high"], f.data["labour_general"] = hire_h, hire_g
        f.data["value_added"], f.data["profit"] = va, profit
        # the loss streak behind exit counts net losses: after carbon, R&D and digital adoption costs
        f.data["loss_years"] = np.where(profit - f.intangible < 0, f.loss_years + 1, 0).astype(np.int16)
        self.emissions_firm = va * intens  # kt per real firm

        # Wages for next year, employment this year, and who holds a job.
        self.employment_rate = employment / np.maximum(supply, 1e-9)
        t_cell = t.region.astype(np.int64) * 2 + t.skill
        t.data["employed"] = labour_market.assign_jobs(rng, t_cell, self.employment_rate)
        paid = self.wage * (1.0 + pol.wage_topup)
        t.data["wage"] = np.where(t.employed, paid.ravel()[t_cell] * t.ability, 0.0)
        if pol.wage_topup.any():
            topup_bill = (self.wage * pol.wage_topup).ravel()[t_cell] * t.ability * t.employed * t.weight
            self.year_stats["policy_cost"] += np.bincount(t.region, weights=topup_bill, minlength=R) / 1e8
        self.wage = labour_market.update_wages(self.wage, total, supply, u, P["labour.wage_adjustment"])

        # Regional aggregates.
        self.va_rs_prev = np.bincount(cell, weights=f.weight * va, minlength=R * S).reshape(R, S) / YI
        self.iva_r = self.va_rs_prev.sum(axis=1)
        self.gdp_prev = self.gdp
        self.gdp = self.iva_r + self.services
        growth_pub = 1.0 + P["innovation.public_rd_growth_elasticity"] * g
        self.public_rd = self.public_rd.sum() * growth_pub * supply[:, HIGH] / supply[:, HIGH].sum()

    def _services(self, g: float) -> np.ndarray:
        """Non-industrial output by region (yi yuan) this year."""
        P = self.params
        eps = P.by("demand.income_elasticity", SECTORS)
        iva_s = self.va_rs_prev.sum(axis=0)
        ind_share = self.iva_r.sum() / (self.iva_r.sum() + self.services.sum())
        e_ind = (iva_s * eps).sum() / max(iva_s.sum(), 1e-9)
        e_n = demand.services_elasticity(ind_share, e_ind)
        national = self.services.sum() * (1.0 + e_n * g)
        pull = self.services_base * demand.services_attraction(
            self.population, self.iva_r, self.h_share, P["demand.services_income_elasticity"],
            P["demand.services_talent_elasticity"])
        return national * pull / pull.sum()

    def talent_totals(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """([region, skill] headcount, [region] employed, [region] wage bill in yuan) at the end of the year."""
        t, R = self.talent, self.data.n
        return (self.labour_supply, np.bincount(t.region, weights=t.weight * t.employed, minlength=R),
                np.bincount(t.region, weights=t.weight * t.wage, minlength=R))

    # ------------------------------------------------------------------ invariants
    def _ledger_snapshot(self) -> dict[str, np.ndarray]:
        f, t = self.firms, self.talent
        R = self.data.n
        return {
            "talent": np.bincount(t.region, weights=t.weight, minlength=R),
            "firms": np.bincount(f.region, weights=f.weight, minlength=R),
            "capital": np.bincount(f.region, weights=f.weight * f.capital, minlength=R) / YI,
        }

    def _check_ledgers(self, before: dict[str, np.ndarray]) -> None:
        """Talent, firm and capital ledgers must balance by region every year; no NaN or inf."""
        after = self._ledger_snapshot()
        self._snapshot = after
        ys = self.year_stats
        delta = self.params["capital.depreciation"]
        expect = {
            "talent": before["talent"] + ys["talent_entries"] - ys["retirements"] + ys["talent_in"] - ys["talent_out"],
            "firms": before["firms"] + ys["entries"] - ys["exits"] + ys["reloc_in"] - ys["reloc_out"],
            "capital": before["capital"] * (1 - delta) + ys["investment"] - ys["stranded"] + self.moved_capital_in - self.moved_capital_out,
        }
        self.ledger = {"year": self.year, "before": before, "after": after, "expected": expect}
        for name in expect:
            if not np.allclose(after[name], expect[name], rtol=1e-9, atol=1e-6 * max(1.0, after[name].max())):
                raise RuntimeError(f"{name} ledger does not balance in {self.year}: {after[name]} != {expect[name]}")
        for name, arr in (("firms", self.firms), ("talent", self.talent)):
            for col, v in arr.data.items():
                if v.dtype.kind == "f" and not np.all(np.isfinite(v)):
                    raise RuntimeError(f"{name}.{col} has NaN or inf in {self.year}")
