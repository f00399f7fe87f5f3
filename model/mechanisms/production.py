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


# ---------------------------------------------------------------- CES labour and monopolistic competition
def ces_weights(cost_share_high: np.ndarray, premium: float | np.ndarray, sigma: float) -> np.ndarray:
    """CES distribution weight omega_H (omega_G = 1 - omega_H) that gives the 2012 high-skill cost share
    ``cost_share_high`` at the 2012 wage premium wH/wG with B = 1:
    omega_H / omega_G = (s / (1 - s))^(1/sigma) premium^((sigma - 1)/sigma)."""
    s = np.asarray(cost_share_high, dtype=float)
    rel = (s / (1.0 - s)) ** (1.0 / sigma) * np.asarray(premium, dtype=float) ** ((sigma - 1.0) / sigma)
    return rel / (1.0 + rel)


def skill_weight(omega_2012: np.ndarray, shift: float) -> np.ndarray:
    """Skill-biased technical change as a shift of the CES weight (Katz & Murphy 1992; Acemoglu & Autor 2011):
    ln(omega_H / omega_G)_t = ln(omega_H / omega_G)_2012 + shift, shift = delta (t - 2012)."""
    rel = np.asarray(omega_2012, dtype=float) / (1.0 - np.asarray(omega_2012, dtype=float)) * np.exp(shift)
    return rel / (1.0 + rel)


def labour_unit_cost(wage_high: np.ndarray, wage_general: np.ndarray, omega_high: np.ndarray,
                     sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Unit cost of the CES labour composite and the high-skill cost share.

    c_L = [omega_H^sigma wH^(1 - sigma) + omega_G^sigma wG^(1 - sigma)]^(1/(1 - sigma)),
    s_H = omega_H^sigma wH^(1 - sigma) / c_L^(1 - sigma). Same units as the wages.
    """
    oh = np.asarray(omega_high, dtype=float)
    th = oh**sigma * np.asarray(wage_high, dtype=float) ** (1.0 - sigma)
    tg = (1.0 - oh) ** sigma * np.asarray(wage_general, dtype=float) ** (1.0 - sigma)
    c1 = th + tg
    return c1 ** (1.0 / (1.0 - sigma)), th / c1


def composite_labour(high: np.ndarray, general: np.ndarray, omega_high: np.ndarray, sigma: float) -> np.ndarray:
    """L = [omega_H H^((sigma-1)/sigma) + omega_G G^((sigma-1)/sigma)]^(sigma/(sigma-1))."""
    r = (sigma - 1.0) / sigma
    oh = np.asarray(omega_high, dtype=float)
    return (oh * np.maximum(high, 0.0) ** r + (1.0 - oh) * np.maximum(general, 0.0) ** r) ** (1.0 / r)


def markup_rho(sigma_goods: np.ndarray) -> np.ndarray:
    """rho = (sigma - 1)/sigma: revenue R = X v^rho; the price is sigma/(sigma - 1) x marginal cost."""
    return (np.asarray(sigma_goods, dtype=float) - 1.0) / np.asarray(sigma_goods, dtype=float)


def labour_exponent(alpha: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """beta = (1 - alpha) rho: the elasticity of revenue to labour; labour's share of net revenue."""
    return (1.0 - alpha) * rho


def short_run(log_m: np.ndarray, labour_cost: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Firm's short-run optimum with capital fixed: ln(net revenue) and ln(composite labour).

    Net revenue N = M L^beta with M = lambda (1 - tau) X (a A K^alpha)^rho; the first-order condition
    F c_L L = beta N gives L = (beta M / (F c_L))^(1/(1 - beta)) and N = M^(1/(1-beta)) (beta/(F c_L))^(beta/(1-beta)).
    ``labour_cost`` is F c_L (million yuan per composite worker).
    """
    log_l = (np.log(beta) + log_m - np.log(labour_cost)) / (1.0 - beta)
    return log_m + beta * log_l, log_l


def clear_sector(log_q1: np.ndarray, log_n: np.ndarray, log_d: np.ndarray, e: np.ndarray, sigma: np.ndarray,
                 eta: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Closed-form sector equilibrium: (ln X, ln Q, ln P) per sector.

    Q_s = Q1_s X_s^e_s (supply of the CES aggregate, e = (1-alpha)/(1-beta)), X_s = P_s (Q_s/N_s)^(1/sigma_s)
    (the revenue shifter) and Q_s = D_s P_s^(-eta) (sector demand) give
    ln X (1 + e/eta - e/sigma) = (ln D - ln Q1)/eta + (ln Q1 - ln N)/sigma.
    """
    lx = ((log_d - log_q1) / eta + (log_q1 - log_n) / sigma) / (1.0 + e / eta - e / sigma)
    lq = log_q1 + e * lx
    lp = -(lq - log_d) / eta
    return lx, lq, lp


def ces_aggregate_log(log_v: np.ndarray, weight: np.ndarray, sector: np.ndarray, rho_s: np.ndarray,
                      n_sectors: int) -> tuple[np.ndarray, np.ndarray]:
    """(ln Q_s, ln N_s): Q_s = N_s^(1 - 1/rho) (sum W_i v_i^rho)^(1/rho) (Benassy normalisation: N equal
    firms each making v give Q = N v, so entry alone does not lower the price)."""
    rho = rho_s[sector]
    terms = np.where(np.isfinite(log_v), weight * np.exp(rho * np.where(np.isfinite(log_v), log_v, 0.0)), 0.0)
    sums = np.bincount(sector, weights=terms, minlength=n_sectors)
    log_n = np.log(np.maximum(np.bincount(sector, weights=weight, minlength=n_sectors), 1e-300))
    log_q = (1.0 - 1.0 / rho_s) * log_n + np.log(np.maximum(sums, 1e-300)) / rho_s
    return log_q, log_n


def draw_wedge(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    """Persistent log revenue wedges ln lambda_i = sigma clip(z, -2, 2) - sigma^2 / 2, z ~ N(0, 1) (Hsieh & Klenow
    2009 output distortions: subsidies, tax breaks, local protection). Truncated at two SD so that no firm
    keeps more than exp(2 sigma) of its sales."""
    return sigma * np.clip(rng.normal(0.0, 1.0, n), -2.0, 2.0) - 0.5 * sigma**2


def marginal_return_capital(net_revenue: np.ndarray, capital: np.ndarray, alpha: np.ndarray,
                            rho: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Marginal net revenue product of capital with labour re-optimised: d[(1-beta) N]/dK = alpha rho N / K.

    Falls with K (N grows like K^(alpha rho / (1 - beta)), an exponent below 1): the finite optimal size.
    """
    return alpha * rho * net_revenue / np.maximum(capital, 1e-12)
