"""Production: output from capital, two kinds of labour and TFP.

Per real firm i in region r and sector s (money in million 2012 yuan, labour in persons):

    Y_i      = A_i^eff K_i^alpha_s H_i^bH_s G_i^bG_s         real output; value added is a_r Y_i
    A_i^eff  = A_i Z_rs agg_rs spill_r                       A_i own TFP (moves with the firm, incl. digital
                                                             and innovation gains); Z_rs the place's TFP
    agg_rs   = (VA_rs / mean_r' VA_r's)^gamma                sector-region agglomeration
    spill_r  = (h_r / h_nat)^chi                             knowledge spillover from local talent
    bH_s     = theta_s (1 - alpha_s),  bG_s = (1 - theta_s)(1 - alpha_s)     constant returns

Capital is fixed within the year (putty-clay); firms are price takers and hire labour until its
marginal revenue equals its cost. With the net price a firm gets per unit of output

    q_i = (p_s a_r - tau_i) / (1 + f_r (1 - cut_r))

(p_s the sector price, a_r market access, tau_i carbon and digital running costs per unit,
f_r the business-environment friction on factor costs), the first-order conditions give

    Y_i / K_i = [A_i^eff q_i^(1-alpha) (bH / wH_r)^bH (bG / wG_r)^bG]^(1/alpha)
    H_i = bH q_i Y_i / wH_r,   G_i = bG q_i Y_i / wG_r
    profit_i = alpha (p_s a_r - tau_i) Y_i - (1 + f_r (1 - cut_r)) u_r K_i      operating profit

with u_r = (interest + depreciation) x land_r the user cost of capital (land_r rises with the region's
share of industrial capital, location.py). The model books profit from
the hires actually made (after rationing); operating profit is before R&D and the one-off cost of a
move, and it is what loss streaks, exit and investors look at. In 2012 TFP is backed out
from each firm's data: a spatial equilibrium at p = 1 where capital earns the same net return rho0 in
every cell, so a cell's profit share is m_rs = alpha_s rho0 / ((1 + f_r) u_r + rho0), with rho0 set
so the mean share is production.profit_share_2012. The cell's geometric-mean TFP is Z_rs (stays with
the place); the rest is the firm's own. Supply rises with the price
with elasticity (1 - alpha)/alpha; a firm whose net price is not positive produces nothing.

Parameters: production.capital_share (alpha), production.high_skill_labour_share (theta),
production.agglomeration_elasticity (gamma), production.spillover_elasticity (chi),
production.tfp_drift, demand.market_access (a), location.land_cost, location.friction,
capital.interest_rate, capital.depreciation.
"""

from __future__ import annotations

import numpy as np

MILLION = 1e6


def exponents(alpha: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sector exponents (alpha, bH, bG) with constant returns."""
    return alpha, theta * (1.0 - alpha), (1.0 - theta) * (1.0 - alpha)


def agglomeration(va_rs: np.ndarray, gamma: float) -> np.ndarray:
    """[region, sector] agglomeration factor from last year's sector value added by region."""
    mean = np.maximum(va_rs.mean(axis=0, keepdims=True), 1e-12)
    return (np.maximum(va_rs, 1e-12) / mean) ** gamma


def spillover(high_share: np.ndarray, national_share: float, chi: float) -> np.ndarray:
    """[region] knowledge spillover factor from the local high-skill share."""
    return (np.maximum(high_share, 1e-9) / max(national_share, 1e-9)) ** chi


def output_per_capital(tfp_eff: np.ndarray, net_price: np.ndarray, wage_high: np.ndarray,
                       wage_general: np.ndarray, a: np.ndarray, bh: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """Profit-maximising Y/K given the net price and wages (yuan per year per person)."""
    q = np.maximum(net_price, 0.0)
    wh, wg = wage_high / MILLION, wage_general / MILLION
    return (tfp_eff * q ** (1.0 - a) * (bh / wh) ** bh * (bg / wg) ** bg) ** (1.0 / a)


def log_wage_term(wage_high: np.ndarray, wage_general: np.ndarray, bh: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """[region, sector] bH ln(bH/wH) + bG ln(bG/wG): the wage part of ln(Y/K), computed once per cell."""
    wh, wg = wage_high[:, None] / MILLION, wage_general[:, None] / MILLION
    return bh * np.log(bh / wh) + bg * np.log(bg / wg)


def log_output_per_capital(log_tfp_eff: np.ndarray, log_net_price: np.ndarray, wage_term: np.ndarray,
                           a: np.ndarray) -> np.ndarray:
    """ln(Y/K) from the first-order conditions, the fast form of ``output_per_capital`` for many firms."""
    return (log_tfp_eff + (1.0 - a) * log_net_price + wage_term) / a


def labour_demand(output: np.ndarray, net_price: np.ndarray, wage_high: np.ndarray, wage_general: np.ndarray,
                  bh: np.ndarray, bg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """High-skill and general labour (persons) from the first-order conditions."""
    q = np.maximum(net_price, 0.0)
    return bh * q * output * MILLION / wage_high, bg * q * output * MILLION / wage_general


def output(tfp_eff: np.ndarray, capital: np.ndarray, high: np.ndarray, general: np.ndarray,
           a: np.ndarray, bh: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """Output with the inputs actually hired (after rationing)."""
    return tfp_eff * np.maximum(capital, 0.0) ** a * np.maximum(high, 0.0) ** bh * np.maximum(general, 0.0) ** bg
