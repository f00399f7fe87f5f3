"""R&D and innovation.

Whether to do R&D (firm i, logit, re-decided each year):

    P(active) = logistic(b0 + trend (t - 2012) + talent ln(h_r / h_nat) + size ln(S_i / median S) + 2 sub_r)

b0 is solved at start so that innovation.performer_share_2012 of firms do R&D; size =
innovation.performer_size_effect (large firms are far likelier to do R&D). Spending and stock:

    R_i = active * rho_s * kappa * S_i * (1 + sub_r)     rho_s = innovation.rd_share_of_value_added
    firm pays (1 - sub_r) R_i;  K^R_i = (1 - delta_R) K^R_i + R_i

kappa is set at start so that enterprise R&D equals the 2012 figure in the data file (7,842.2 yi yuan).
Success is stochastic (one draw per firm):

    p_i = 1 - exp(-phi (K^R_i / S_i + tt_r PR_r / IVA_r) (h_r / h_nat)^0.5)
    on success: A_i <- A_i exp(g x lognormal(-1/8, 1/2))

phi = innovation.success_rate, g = innovation.success_tfp_gain, tt_r = tech-transfer rate
(innovation.tech_transfer_rate plus the rd_support lever; Liaoning ~10%, seed 001), PR_r public R&D
(government institutes and universities, shared by high-skill talent, growing with GDP).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit

from .. import HIGH, SECTORS, YI
from ..scenario import FIRST_YEAR
from ..world import Sim

PARAMETERS = ("innovation.performer_talent_effect", "innovation.performer_size_effect",
              "innovation.performer_share_2012", "innovation.performer_trend", "innovation.rd_share_of_value_added",
              "innovation.rd_depreciation", "innovation.public_rd_2012", "innovation.tech_transfer_rate",
              "innovation.public_research_weight", "innovation.success_rate", "innovation.success_tfp_gain",
              "production.tfp_drift", "innovation.rd_stock_growth_2012", "innovation.performer_subsidy_effect",
              "innovation.success_gain_sigma", "innovation.success_talent_elasticity",
              "innovation.entrant_relative_size")


def init(model: Sim) -> None:
    """2012: who performs R&D (intercept solved for the 2012 share), the spending scale, the stocks,
    and public R&D shared by high-skill talent."""
    P, d, rng, w, f = model.params, model.data, model.rng, model.world, model.firms
    nf = len(f)
    va = f.value_added
    rel_size = va / np.median(va)

    def p_perform(b0: float) -> np.ndarray:
        return performer_probability(performer_logit(
            b0, 0.0, 0, P["innovation.performer_talent_effect"], (w.h_share / w.h_nat)[f.region],
            rel_size, np.zeros(nf), P["innovation.performer_size_effect"], P["innovation.performer_subsidy_effect"]))

    w.rd_b0 = brentq(lambda b: p_perform(b).mean() - P["innovation.performer_share_2012"], -40, 40)
    active = rng.random(nf) < p_perform(w.rd_b0)
    rho = P.by("innovation.rd_share_of_value_added", SECTORS)[f.sector]
    raw = active * rho * va
    w.rd_scale = d.rd_enterprises_2012 * YI / max((raw * w.firm_weight).sum(), 1e-9)
    w.rd_spend = raw * w.rd_scale
    f.data["rd_active"] = active
    f.data["rd_stock"] = w.rd_spend / (P["innovation.rd_depreciation"] + P["innovation.rd_stock_growth_2012"])
    supply = w.labour_supply
    w.public_rd = P["innovation.public_rd_2012"] * supply[:, HIGH] / supply[:, HIGH].sum()
    w.innovations = np.zeros(d.n)


def step(model: Sim) -> None:
    """Who does R&D this year, spending and stocks, and who succeeds (a TFP gain)."""
    P, f, pol, rng, w = model.params, model.firms, model.policy, model.rng, model.world
    R = model.data.n
    rel_t = (w.h_share / w.h_nat)[f.region]
    med = np.median(f.value_added[f.value_added > 0]) if np.any(f.value_added > 0) else 1.0
    rel_size = np.where(f.value_added > 0, f.value_added / med, P["innovation.entrant_relative_size"])
    sub = pol.rd_subsidy[f.region]
    logit = performer_logit(w.rd_b0, P["innovation.performer_trend"], model.year - FIRST_YEAR,
                            P["innovation.performer_talent_effect"], rel_t, rel_size, sub,
                            P["innovation.performer_size_effect"], P["innovation.performer_subsidy_effect"])
    active = rng.random(len(f)) < performer_probability(logit)
    rho = P.by("innovation.rd_share_of_value_added", SECTORS)[f.sector]
    spend = active * rho * w.rd_scale * f.value_added * (1.0 + sub)
    f.data["rd_active"] = active
    f.data["rd_stock"] = f.rd_stock * (1 - P["innovation.rd_depreciation"]) + spend
    w.rd_spend = spend
    model.year_stats["policy_cost"] += np.bincount(f.region, weights=f.weight * spend * sub, minlength=R) / YI
    tt = np.minimum(P.by("innovation.tech_transfer_rate", model.regions) + pol.tech_transfer, 1.0)
    public = P["innovation.public_research_weight"] * tt * w.public_rd / np.maximum(w.iva_r, 1e-9)
    p = success_probability(P["innovation.success_rate"], f.rd_stock, f.value_added,
                            public[f.region] * f.rd_active, rel_t, P["innovation.success_talent_elasticity"])
    success = rng.random(len(f)) < p
    gain = np.zeros(len(f))
    sig = P["innovation.success_gain_sigma"]
    gain[success] = P["innovation.success_tfp_gain"] * rng.lognormal(-0.5 * sig**2, sig, int(success.sum()))
    f.data["tfp"] = f.tfp * np.exp(gain) * (1.0 + P["production.tfp_drift"])
    w.innovations = np.bincount(f.region, weights=f.weight * success, minlength=R)


def performer_logit(b0: float, trend: float, years: int, talent_effect: float, rel_talent: np.ndarray,
                    rel_size: np.ndarray, subsidy: np.ndarray, size_effect: float, subsidy_effect: float) -> np.ndarray:
    return (b0 + trend * years + talent_effect * np.log(np.maximum(rel_talent, 1e-9))
            + size_effect * np.log(np.maximum(rel_size, 1e-9)) + subsidy_effect * subsidy)


def performer_probability(logit: np.ndarray) -> np.ndarray:
    return expit(logit)


def success_probability(phi: float, rd_stock: np.ndarray, sales: np.ndarray, public_term: np.ndarray,
                        rel_talent: np.ndarray, talent_elasticity: float) -> np.ndarray:
    x = rd_stock / np.maximum(sales, 1e-9) + public_term
    return 1.0 - np.exp(-phi * x * np.maximum(rel_talent, 1e-9) ** talent_elasticity)
