"""Digital adoption: an investment decision with a sunk cost, an uncertain payoff and a talent need.

Each year a share digital.review_rate of the firms that are not yet digital consider going digital
(attention is scarce: Hall and Khan 2003 on technology adoption as a decision under uncertainty).
Firm i in region r, sector s weighs the expected present value of the gain against the cost, both net of
the digitalization lever's subsidy sub_r:

    readiness_ir = (digital.readiness_r + infra_r) (h_r / h_nat)^xi         digital infrastructure x talent
    p^succ_i   = 1 - exp(-digital.success_rate x readiness_ir)              the project works
    dPi_i      = alpha_s S_i ((1 + g)^(1/alpha_s) - 1) exp(sigma_g z_i - sigma_g^2/2)   extra operating
                 profit of a TFP gain g with capital fixed and labour flexible; z_i = digital_affinity,
                 sigma_g = digital.gain_dispersion (firms differ in what digital tools do for them)
    NPV_i      = p^succ_i H (dPi_i - (1 - sub_r) c S_i) - (1 - sub_r) C_i,     H = 1 / (r + exit hazard)
    C_i        = digital.adoption_cost S_i exp(-digital.diffusion_rate (t - 2012)) (1 - peer a_rs) / readiness_ir

c = digital.annual_cost (running cost per yuan of sales, paid every year once digital), g =
digital.productivity_gain, a_rs the digital share of the firm's cell last year and peer =
digital.peer_effect (peers' adoption lowers the cost: shared suppliers, skills and know-how; Comin and
Hobijn 2010 on diffusion). The firm adopts if NPV_i > 0. It pays (1 - sub_r) C_i now (an intangible
expense: it lowers this year's net profit and retained earnings); the government pays sub_r C_i. With
probability p^succ_i it becomes digital and A_i <- A_i (1 + g); otherwise the cost is sunk and it may try
again. Low local talent and weak digital infrastructure raise the cost and lower the success rate: this
is why the Northeast lags (seed 000). Because firms adopt only when it pays, a subsidy cannot lower a
firm's own output.
"""

from __future__ import annotations

import numpy as np

from .. import SECTORS, YI
from ..scenario import FIRST_YEAR
from ..world import Sim

PARAMETERS = ("digital.readiness", "digital.talent_elasticity", "digital.productivity_gain", "digital.annual_cost",
              "digital.adoption_cost", "digital.diffusion_rate", "digital.review_rate", "digital.success_rate",
              "digital.peer_effect", "digital.gain_dispersion", "capital.interest_rate", "entry_exit.exit_hazard")


def init(model: Sim) -> None:
    """2012: no firm is digital yet; each carries a persistent taste for it, N(0, 1)."""
    f = model.firms
    f.data["digital_affinity"] = model.rng.normal(0.0, 1.0, len(f))


def step(model: Sim) -> None:
    """Firms not yet digital that review the question adopt when the expected PV pays; some projects fail."""
    P, f, pol, rng, w = model.params, model.firms, model.policy, model.rng, model.world
    R, S = model.data.n, len(SECTORS)
    n = len(f)
    review = rng.random(n) < P["digital.review_rate"]
    works_draw = rng.random(n)
    ready_r = readiness(P.by("digital.readiness", model.regions), pol.digital_infrastructure, w.h_share / w.h_nat,
                        P["digital.talent_elasticity"])
    cell = f.cell  # flat (region, sector) index for per-cell tables (cached while region and sector stay)
    peers_rs = (np.bincount(cell, weights=f.weight * f.digital, minlength=R * S)
                / np.maximum(f.weight_by_cell(R), 1e-12))  # bincount of weight by cell, cached (agents.py)
    # only firms that review the question and are not digital yet need the numbers
    i = np.flatnonzero(review & ~f.digital & (f.value_added > 0))
    region = f.region[i]
    ready = ready_r[region]
    sub = pol.digital_subsidy[region]
    sig = P["digital.gain_dispersion"]
    taste = np.exp(sig * f.digital_affinity[i] - 0.5 * sig**2)
    sales = f.value_added[i]
    gain = P["digital.productivity_gain"]
    extra = profit_gain(sales, w.alpha[f.sector[i]], gain, taste)
    cost = adoption_cost(P["digital.adoption_cost"], sales, P["digital.diffusion_rate"], model.year - FIRST_YEAR,
                         P["digital.peer_effect"], peers_rs[cell[i]], ready)
    p_ok = success_probability(P["digital.success_rate"], ready)
    horizon = 1.0 / (P["capital.interest_rate"] + P["entry_exit.exit_hazard"])
    npv = net_present_value(p_ok, horizon, extra, P["digital.annual_cost"] * sales, cost, sub)
    tries = npv > 0
    i, cost, sub, p_ok = i[tries], cost[tries], sub[tries], p_ok[tries]
    adopt = i[works_draw[i] < p_ok]
    f.data["intangible"] = f.intangible.copy()
    f.data["intangible"][i] += (1.0 - sub) * cost
    model.year_stats["policy_cost"] += np.bincount(f.region[i], weights=f.weight[i] * sub * cost, minlength=R) / YI
    dig = f.digital.copy()
    dig[adopt] = True
    f.data["digital"] = dig
    tfp = f.tfp.copy()
    tfp[adopt] *= 1.0 + gain
    f.data["tfp"] = tfp

def readiness(base: np.ndarray, infrastructure: np.ndarray, rel_talent: np.ndarray,
              talent_elasticity: float) -> np.ndarray:
    return np.maximum(base + infrastructure, 1e-6) * np.maximum(rel_talent, 1e-9) ** talent_elasticity


def success_probability(rate: float, ready: np.ndarray) -> np.ndarray:
    return 1.0 - np.exp(-rate * ready)


def profit_gain(sales: np.ndarray, alpha: np.ndarray, gain: float, taste: np.ndarray) -> np.ndarray:
    """Extra operating profit per year from a TFP gain ``gain`` (capital fixed, labour flexible)."""
    return alpha * sales * ((1.0 + gain) ** (1.0 / alpha) - 1.0) * taste


def adoption_cost(base: float, sales: np.ndarray, decline: float, years: int, peer_effect: float,
                  peer_share: np.ndarray, ready: np.ndarray) -> np.ndarray:
    """One-off cost of a digital project (million yuan) before any subsidy."""
    return (base * sales * np.exp(-decline * years) * (1.0 - peer_effect * np.clip(peer_share, 0.0, 1.0))
            / np.maximum(ready, 1e-6))


def net_present_value(p_success: np.ndarray, horizon: float, profit_gain: np.ndarray, running_cost: np.ndarray,
                      cost: np.ndarray, subsidy: np.ndarray) -> np.ndarray:
    """Expected PV of going digital, net of the firm's share of the costs."""
    return p_success * horizon * (profit_gain - (1.0 - subsidy) * running_cost) - (1.0 - subsidy) * cost
