"""Policy levers resolved for one year into arrays the mechanisms read.

Several entries for the same region add up (capped at 1 for shares). Each lever acts only through
the mechanism it names:

* talent_incentive -> migration utility (wage top-up, moving-cost cut)
* digitalization   -> digital adoption hazard (subsidy on cost, readiness)
* carbon_price     -> firm unit cost net of intensity-based free allocation, abatement (carbon and
  energy modules), the grid's carbon cost and abatement (power coverage), capital's carbon-risk premium
* rd_support       -> whether firms do R&D and how much (subsidy), innovation success (tech transfer)
* relocation_subsidy -> firm location choice (share of the sunk cost of moving) and entry
  (the user cost saved on the subsidised share of entry capital)
* business_environment -> firm factor costs (friction), hence supply, returns and location
* chain_sourcing   -> local-sourcing home bias of the region's buyers (chains.py): local procurement
  and supplier access
* shocks           -> national sector demand
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import SECTORS, SKILLS
from .scenario import Scenario


@dataclass(frozen=True)
class Policy:
    year: int
    wage_topup: np.ndarray          # [region, skill] share of wage
    moving_cost_cut: np.ndarray     # [region, skill] share of moving cost
    digital_subsidy: np.ndarray     # [region] share of adoption cost
    digital_infrastructure: np.ndarray  # [region] readiness index points
    carbon_price: float             # yuan per tonne CO2 (headline)
    carbon_covered: np.ndarray      # [sector] share of the sector's direct CO2 covered this year (0 = not)
    power_covered: float            # share of power generation covered this year
    free_allocation: float          # benchmark as a share of the sector's mean intensity
    rd_subsidy: np.ndarray          # [region] share of R&D cost
    tech_transfer: np.ndarray       # [region] added transfer rate
    relocation_subsidy: np.ndarray  # [region, sector] share of relocation/entry cost
    friction_cut: np.ndarray        # [region] share of friction removed
    demand_shock: np.ndarray        # [sector] relative change
    chain_local_sourcing: np.ndarray = field(default_factory=lambda: np.zeros(0))  # [region] added home bias

    def effective_carbon_price(self) -> np.ndarray:
        """Average price per tonne paid, by sector: zero where not covered, net of free allocation."""
        return self.carbon_price * self.carbon_covered * (1.0 - self.free_allocation)

    def marginal_carbon_price(self) -> np.ndarray:
        """[sector] price on one more tonne (intensity-based allocation does not depend on own emissions)."""
        return self.carbon_price * self.carbon_covered

    def risk_carbon_price(self) -> float:
        """Headline price financiers look at: zero while nothing is covered (zero coverage = no price)."""
        return self.carbon_price if (self.carbon_covered.any() or self.power_covered > 0) else 0.0

    def power_carbon_price(self) -> float:
        """Price on the power sector's emissions this year (yuan/t)."""
        return self.carbon_price * self.power_covered


def policy_for_year(scenario: Scenario, year: int, regions: tuple[str, ...]) -> Policy:
    nr, ns, nk = len(regions), len(SECTORS), len(SKILLS)
    r_of = {r: i for i, r in enumerate(regions)}
    s_of = {s: i for i, s in enumerate(SECTORS)}
    lv = scenario.levers

    topup, cut = np.zeros((nr, nk)), np.zeros((nr, nk))
    for e in lv.talent_incentive:
        if e.active(year):
            skills = range(nk) if e.skill == "all" else [SKILLS.index(e.skill)]
            for k in skills:
                topup[r_of[e.region], k] += e.wage_topup
                cut[r_of[e.region], k] += e.moving_cost_cut

    dsub, infra = np.zeros(nr), np.zeros(nr)
    for e in lv.digitalization:
        if e.active(year):
            dsub[r_of[e.region]] += e.adoption_subsidy
            infra[r_of[e.region]] += e.infrastructure

    rsub, tt = np.zeros(nr), np.zeros(nr)
    for e in lv.rd_support:
        if e.active(year):
            rsub[r_of[e.region]] += e.subsidy
            tt[r_of[e.region]] += e.tech_transfer

    reloc = np.zeros((nr, ns))
    for e in lv.relocation_subsidy:
        if e.active(year):
            for s in e.sectors:
                reloc[r_of[e.region], s_of[s]] += e.subsidy

    fcut = np.zeros(nr)
    for e in lv.business_environment:
        if e.active(year):
            fcut[r_of[e.region]] += e.friction_cut

    chain = np.zeros(nr)
    for e in lv.chain_sourcing:
        if e.active(year):
            chain[r_of[e.region]] += e.support

    shock = np.zeros(ns)
    for sh in scenario.shocks:
        if sh.year == year:
            shock[s_of[sh.sector]] += sh.size

    cp = lv.carbon_price
    covered, power = np.zeros(ns), 0.0
    if cp is not None:
        for sector, cov in cp.covered().items():
            if cov.start <= year:
                if sector == "power":
                    power = cov.share
                else:
                    covered[s_of[sector]] = cov.share
    cap = lambda a: np.clip(a, 0.0, 1.0)  # noqa: E731 - shares from stacked entries
    return Policy(
        year=year,
        wage_topup=cap(topup), moving_cost_cut=cap(cut),
        digital_subsidy=cap(dsub), digital_infrastructure=infra,
        carbon_price=cp.price(year) if cp is not None else 0.0,
        carbon_covered=covered, power_covered=power,
        free_allocation=cp.free_share(year) if cp is not None else 0.0,
        rd_subsidy=cap(rsub), tech_transfer=cap(tt),
        relocation_subsidy=cap(reloc), friction_cut=cap(fcut),
        demand_shock=np.maximum(shock, -0.9),
        chain_local_sourcing=chain,
    )
