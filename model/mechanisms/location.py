"""Firm location: where new plants go, and the rare whole-firm relocation (the flying-geese mechanism).

Most industrial transfer happens through new capacity: entrants choose a region by expected profit,
and investment flows to the cells with the higher returns (capital.py). Moving a whole firm is
possible but rare: it has a sunk cost, it gives up the firm's match with its present region, and a
profit gap is not expected to last.

Firm-region match. Every firm carries a persistent match m_ir with each region r (supplier and
customer ties, local government relations, managers' roots: what makes one place better for this
firm than for its neighbour), drawn once as iid standard Gumbel (agent column ``location_match``).
An entrant picks its region by

    U_er = ln(1 + n_rs) + lambda_e (rho^e_rs + sub_rs u_r) + m_er,       region = argmax_r U_er

(n_rs the sector's weighted firm count, a spin-off and supplier pull; rho^e_rs the expected net
return of a new plant in r: the profit per unit of capital of a firm with the cell's mean own TFP at
this year's wages, land prices, access and last year's price, from the same profit table as moving
firms; lambda_e = entry_exit.profit_sensitivity). Because m is Gumbel, the choice is the multinomial
logit in U - m, and the match of the region chosen is what keeps the firm there. A 2012 incumbent
draws its matches conditional on its region being its best (at the 2012 spatial equilibrium every
region offers the same return, so the largest of R Gumbel draws is put on its present region).

Relocation. A firm aged at least one year reviews its location with probability
location.review_rate. A reviewing firm i in region c evaluates every region r:

    pi^e_ir = R_ir x_w,sr^(-(1-alpha_s)/alpha_s) - C_ir x_L,sr      expected profit in r (R revenue
              part alpha (p a_r - tau) Y_ir, C the capital cost (1 + f_r) u_r K_i, production.py)
    H       = 1 / (interest + exit_hazard + 1 - rho_gap)            years a profit gap is expected to last
    v_ir    = lambda (H (pi^e_ir - pi^e_ic) / VA_i - kappa (1 - sub_rs)) + beta_m (m_ir - m_ic),  v_ic = 0
    P(r)    = exp(v_ir) / sum_r' exp(v_ir')      (a transient Gumbel shock; one uniform per firm)

A gap in annual profit is capitalised over H years: it decays at 1 - rho_gap a year (regional cost
gaps close as factors move; Barro and Sala-i-Martin 1992 find about 2% a year for incomes, firm profit
differentials close far faster, Mueller 1986), and is discounted at the interest rate and the exit
hazard. Expectations account for the costs the firm's own sector's move causes: the firm evaluates
its options at the wages and land prices that its sector's expected moves this year would bring
(rational expectations, one fixed-point step). With P^0 the choice probabilities at today's prices,
the sector's expected capital and job flows into r are

    dK_sr = sum_{i in s} W_i K_i (P^0_ir - [r = c_i]),   dL_sr = sum_{i in s} W_i (H_i + G_i)(P^0_ir - [r = c_i])
    x_L,sr = (1 - s_L + s_L p_r ((K_r + dK_sr)/K_r)^(1/eps_L)) / (1 - s_L + s_L p_r)      land (land.py)
    x_w,sr = (1 + dL_sr / N_r)^psi_w                                                     wages

(N_r the region's workforce, psi_w = location.expected_wage_response, the inverse local labour supply
elasticity). lambda = location.profit_sensitivity, kappa = location.relocation_cost (sunk, a share of a
year's value added; the relocation_subsidy lever pays sub_rs of it), beta_m = location.match_weight,
rho_gap = location.gap_persistence. Firms keep capital, technology and staff counts when they move.
"""

from __future__ import annotations

import numpy as np


def gumbel(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Standard Gumbel draws, -ln(-ln U)."""
    u = rng.random(shape)
    return -np.log(-np.log(np.clip(u, 1e-300, 1.0 - 1e-16)))


def initial_match(rng: np.random.Generator, region: np.ndarray, n_regions: int) -> np.ndarray:
    """[firm, region] matches for firms already placed: R iid Gumbel draws, the largest on the present region."""
    n = len(region)
    m = gumbel(rng, (n, n_regions))
    best = np.argmax(m, axis=1)
    rows = np.arange(n)
    here = region.astype(np.intp)
    top, cur = m[rows, best], m[rows, here]
    m[rows, best] = cur
    m[rows, here] = top
    return m


def horizon(interest: float, exit_hazard: float, persistence: float) -> float:
    """Years over which a profit gap is reaped: 1 / (interest + exit hazard + 1 - persistence)."""
    return 1.0 / (interest + exit_hazard + 1.0 - persistence)


def utilities(profit: np.ndarray, current: np.ndarray, value_added: np.ndarray, sensitivity: float,
              relocation_cost: float, subsidy: np.ndarray, horizon: float, match: np.ndarray | None = None,
              match_weight: float = 0.0) -> list[np.ndarray]:
    """[region] list of per-firm utilities v_ir (0 for the present region)."""
    n, nr = profit.shape
    # entrants have no value added yet: measure their gains against a typical firm's
    scale = np.maximum(value_added, 1e-3 * max(float(value_added.mean()) if n else 1.0, 1e-9))
    cur = current.astype(np.intp)
    here = np.take_along_axis(profit, cur[:, None], axis=1)[:, 0]
    m_here = np.take_along_axis(match, cur[:, None], axis=1)[:, 0] if match is not None else None
    out = []
    for r in range(nr):  # one column (region) at a time: R is small, firms are many
        gain = np.clip(horizon * (profit[:, r] - here) / scale, -20.0, 20.0)
        v = sensitivity * (gain - relocation_cost * (1.0 - subsidy[:, r]))
        if match is not None:
            v = v + match_weight * (match[:, r] - m_here)
        out.append(np.where(current == r, 0.0, v))
    return out


def probabilities(v: list[np.ndarray]) -> np.ndarray:
    """[firm, region] logit choice probabilities from the utility columns."""
    top = v[0]
    for w in v[1:]:
        top = np.maximum(top, w)
    e = np.column_stack([np.exp(w - top) for w in v])
    return e / e.sum(axis=1, keepdims=True)


def draw(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    """One destination per firm from its probability row (one uniform per firm)."""
    n, nr = p.shape
    if n == 0:
        return np.zeros(0, dtype=np.int8)
    cum = np.cumsum(p, axis=1)
    u = rng.random(n) * cum[:, -1]
    return (u[:, None] > cum[:, :-1]).sum(axis=1).astype(np.int8)


def choose(rng: np.random.Generator, profit: np.ndarray, current: np.ndarray, value_added: np.ndarray,
           sensitivity: float, relocation_cost: float, subsidy: np.ndarray, horizon: float = 1.0,
           match: np.ndarray | None = None, match_weight: float = 0.0) -> np.ndarray:
    """Destination per reviewing firm. ``profit``, ``subsidy`` and ``match`` are [firm, region]."""
    if profit.shape[0] == 0:
        return np.zeros(0, dtype=np.int8)
    v = utilities(profit, current, value_added, sensitivity, relocation_cost, subsidy, horizon, match, match_weight)
    return draw(rng, probabilities(v))


def expected_flows(p: np.ndarray, current: np.ndarray, sector: np.ndarray, amount: np.ndarray,
                   n_sectors: int) -> np.ndarray:
    """[sector, region] probability-weighted net inflow of ``amount`` (weighted capital or jobs)."""
    nr = p.shape[1]
    stay = np.zeros_like(p)
    stay[np.arange(len(current)), current.astype(np.intp)] = 1.0
    delta = (p - stay) * amount[:, None]
    out = np.zeros((n_sectors, nr))
    np.add.at(out, sector.astype(np.intp), delta)
    return out


def anticipated_factors(d_capital: np.ndarray, capital_r: np.ndarray, land_price: np.ndarray, land_share: float,
                        land_elasticity: float, d_jobs: np.ndarray, workforce_r: np.ndarray,
                        wage_response: float) -> tuple[np.ndarray, np.ndarray]:
    """[sector, region] (capital-cost factor x_L, wage factor x_w) that a sector's expected moves would cause."""
    k_new = np.maximum(capital_r[None, :] + d_capital, 1e-9 * max(float(capital_r.sum()), 1e-12))
    x_k = (k_new / np.maximum(capital_r[None, :], 1e-12)) ** (1.0 / land_elasticity)
    base = 1.0 - land_share + land_share * land_price
    x_land = (1.0 - land_share + land_share * land_price[None, :] * x_k) / base[None, :]
    x_wage = np.maximum(1.0 + d_jobs / np.maximum(workforce_r[None, :], 1e-9), 1e-3) ** wage_response
    return x_land, x_wage


def entry_choice(rng: np.random.Generator, counts: np.ndarray, n_rs: np.ndarray, returns_rs: np.ndarray,
                 subsidy_rs: np.ndarray, sensitivity: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Entrants' (region, sector, match[entrant, region]): each entrant takes argmax_r U_rs + m_er.

    ``counts`` are entrants per sector; ``returns_rs`` and ``subsidy_rs`` are [region, sector].
    """
    nr, ns = n_rs.shape
    sector = np.repeat(np.arange(ns), counts).astype(np.int8)
    match = gumbel(rng, (len(sector), nr))
    u = np.log1p(n_rs) + sensitivity * (returns_rs + subsidy_rs)          # [r, s]
    region = np.argmax(u.T[sector] + match, axis=1).astype(np.int8)
    return region, sector, match
