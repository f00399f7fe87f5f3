"""Digital adoption: an irreversible choice with a cost, a productivity gain and a talent need.

A firm that has not gone digital adopts this year with probability 1 - exp(-h_i):

    h_i = h0 exp(diffusion (t - 2012)) (readiness_r + infra_r) (h_r / h_nat)^talent
          exp(affinity_i) / (1 - subsidy_r)

h0 = digital.base_hazard, diffusion = digital.diffusion_rate (falling cost, maturing technology),
readiness = digital.readiness, infra and subsidy from the digitalization lever; affinity_i is the
firm's own persistent taste. The hazard is proportional to the benefit-cost ratio, so a subsidy s
scales it by 1/(1 - s). Local high-skill talent is needed: this is why the Northeast lags (seed 000).

On adoption A_i <- A_i (1 + digital.productivity_gain); afterwards the firm carries a running cost of
digital.annual_cost per yuan of sales (reduced by the subsidy while it lasts).
"""

from __future__ import annotations

import numpy as np

from ..scenario import FIRST_YEAR
from ..world import Sim

PARAMETERS = ("digital.readiness", "digital.base_hazard", "digital.diffusion_rate", "digital.talent_elasticity",
              "digital.productivity_gain")  # digital.annual_cost is charged in production (and location)


def init(model: Sim) -> None:
    """2012: no firm is digital yet; each carries a persistent taste for it, N(0, 1)."""
    f = model.firms
    f.data["digital_affinity"] = model.rng.normal(0.0, 1.0, len(f))


def step(model: Sim) -> None:
    """Firms not yet digital adopt with probability 1 - exp(-h); adopters gain productivity."""
    P, f, pol, w = model.params, model.firms, model.policy, model.world
    rel_t = (w.h_share / w.h_nat)[f.region]
    ready = (P.by("digital.readiness", model.regions) + pol.digital_infrastructure)[f.region]
    h = hazard(P["digital.base_hazard"], P["digital.diffusion_rate"], model.year - FIRST_YEAR, ready,
               rel_t, P["digital.talent_elasticity"], f.digital_affinity, pol.digital_subsidy[f.region])
    adopt = ~f.digital & (model.rng.random(len(f)) < 1.0 - np.exp(-h))
    f.data["digital"] = f.digital | adopt
    f.data["tfp"] = np.where(adopt, f.tfp * (1.0 + P["digital.productivity_gain"]), f.tfp)


def hazard(h0: float, diffusion: float, years: int, readiness: np.ndarray, rel_talent: np.ndarray,
           talent_elasticity: float, affinity: np.ndarray, subsidy: np.ndarray) -> np.ndarray:
    return (h0 * np.exp(diffusion * years) * readiness * np.maximum(rel_talent, 1e-9) ** talent_elasticity
            * np.exp(affinity) / np.maximum(1.0 - subsidy, 0.05))
