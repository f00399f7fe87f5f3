"""Fiscal accounting of the levers (issue 11): every lever books what it costs the public purse.

The levers that pay firms or workers directly book their cost where they act (wage top-ups in
labour_market, R&D subsidies in innovation, digital subsidies in production, relocation subsidies in
location). The three that acted for free until issue 11 are booked here, once a year after
production, into the year's ``policy_cost`` ledger [region, yi yuan, 2012 prices]:

    business environment:   C_be,r = cut_r * f_r * sum_{i in r} w_i VA_i
    digital infrastructure: C_in,r = infra_r * fiscal.infrastructure_cost * GDP_r
    tech transfer:          C_tt,r = tt_r * fiscal.tech_transfer_cost * RD_r
    entry side of the relocation subsidy:  C_en,r = sum_{entrants i in r} w_i sub_{r,s(i)} K_i

cut_r is the business_environment lever's share of the friction f_r removed; the friction is a wedge on
factor costs, and factor costs are close to value added VA (wages plus capital income), so C_be is the
subsidy that would save firms the same costs (the reform booked at its subsidy equivalent: no free
lunch). infra_r is the digitalization lever's readiness points; tt_r the rd_support lever's added
transfer rate, costed as a share of the region's R&D spending RD_r (firms + public). The
relocation_subsidy lever also pays a share sub_rs of an entrant's capital K_i (its location choice counts
it as sub x the user cost saved every year); the state pays that share once, in the entry year
(entrants are the firms of age 0 at the end of the year; movers' subsidies are booked in location).
"""

from __future__ import annotations

import numpy as np

from .. import YI
from ..world import Sim

PARAMETERS = ("fiscal.infrastructure_cost", "fiscal.tech_transfer_cost")


def init(model: Sim) -> None:
    """2012: nothing to set up (no levers act before they start)."""


def step(model: Sim) -> None:
    """Book this year's cost of the business environment, digital infrastructure and tech transfer."""
    P, f, w, pol = model.params, model.firms, model.world, model.policy
    R = model.data.n
    if pol.relocation_subsidy.any():
        new = f.age == 0
        model.year_stats["policy_cost"] += entry_subsidy_cost(f.region[new], f.sector[new], f.weight[new],
                                                              f.capital[new], pol.relocation_subsidy)
    if not (pol.friction_cut.any() or pol.digital_infrastructure.any() or pol.tech_transfer.any()):
        return
    # weight x values by ``f.weighted`` (agents.py: the same bits; the values themselves at weight 1.0), summed only
    va = f.sum_by_region(f.weighted(f.value_added)) / YI
    rd = f.sum_by_region(f.weighted(w.rd_spend)) / YI + w.public_rd
    model.year_stats["policy_cost"] += lever_costs(pol.friction_cut, w.friction, va, pol.digital_infrastructure,
                                                   P["fiscal.infrastructure_cost"], w.gdp, pol.tech_transfer,
                                                   P["fiscal.tech_transfer_cost"], rd)


def lever_costs(cut: np.ndarray, friction: np.ndarray, va: np.ndarray, infra: np.ndarray, infra_cost: float,
                gdp: np.ndarray, tt: np.ndarray, tt_cost: float, rd: np.ndarray) -> np.ndarray:
    """[region] yi yuan: business environment + digital infrastructure + tech transfer (see module doc)."""
    return cut * friction * va + infra * infra_cost * gdp + tt * tt_cost * rd


def entry_subsidy_cost(region: np.ndarray, sector: np.ndarray, weight: np.ndarray, capital: np.ndarray,
                       subsidy: np.ndarray) -> np.ndarray:
    """[region] yi yuan: the subsidised share of this year's entrants' capital (capital in million yuan per firm)."""
    return np.bincount(region, weights=weight * capital * subsidy[region, sector], minlength=subsidy.shape[0]) / YI
