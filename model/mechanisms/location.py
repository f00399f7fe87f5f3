"""Firm location choice: the flying-geese mechanism.

Each year a firm reviews its location with probability location.review_rate (firms at least a year
old). A reviewing firm i evaluates every region r with its own capital, productivity and technology:

    pi_ir = alpha (p_s a_r - tau_ir) Y_ir - (1 + f_r) u_r K_i       profit it would make in r
            (Y_ir from production.py with r's wages, land, friction, market access, grid,
             agglomeration and talent spillover)
    V_ir  = lambda (H (pi_ir - pi_i,cur) / VA_i - kappa (1 - sub_rs) [r != cur]) + Gumbel_ir
    H     = 1 / (capital.interest_rate + entry_exit.exit_hazard)     years over which a gain is reaped

(a one-off sunk cost is weighed against the present value of a lasting profit gain, discounted at
the interest rate and the hazard of exit) and moves to argmax_r V_ir, i.e. to r with logit probability softmax_r(V - Gumbel), drawn with one
uniform per firm on the cumulative probabilities. lambda = location.profit_sensitivity, kappa = location.relocation_cost
(sunk, a share of a year's value added; paid on moving, less the relocation_subsidy lever sub_rs).
Staying is the default (inertia): no review, or no region beats the current one by the sunk cost.
As east wages rise, labour-intensive firms (low alpha, low theta) gain most from moving inland.
Against herding (every firm of a sector seeing the same best region) the land part of the user cost
rises where industry concentrates: land_r,t = land_r,2012 (K share_r,t / K share_r,2012)^zeta, with
zeta = location.land_congestion (0, i.e. off, by default: the committed calibration was fitted without
it), updated before each year's location choice (model._update_land_cost).
Firms keep their capital, technology and staff counts when they move (relocations conserve firms).
"""

from __future__ import annotations

import numpy as np


def choose(rng: np.random.Generator, profit: np.ndarray, current: np.ndarray, value_added: np.ndarray,
           sensitivity: float, relocation_cost: float, subsidy: np.ndarray, horizon: float = 1.0) -> np.ndarray:
    """Destination per reviewing firm. ``profit`` and ``subsidy`` are [firm, region]; ``horizon`` in years."""
    n, nr = profit.shape
    if n == 0:
        return np.zeros(0, dtype=np.int8)
    # entrants have no value added yet: measure their gains against a typical firm's
    scale = np.maximum(value_added, 1e-3 * max(float(value_added.mean()), 1e-9))
    profit_cols = np.ascontiguousarray(profit.T)
    here = np.take_along_axis(profit, current.astype(np.intp)[:, None], axis=1)[:, 0]
    # one column (region) at a time: R is small, firms are many, and row-wise reductions are slow
    weights = []
    for r in range(nr):
        gain = np.clip(horizon * (profit_cols[r] - here) / scale, -20.0, 20.0)
        v = sensitivity * (gain - relocation_cost * (1.0 - subsidy[:, r]))
        weights.append(np.where(current == r, 0.0, v))
    top = weights[0]
    for w in weights[1:]:
        top = np.maximum(top, w)
    cum, acc = [], 0.0
    for w in weights:  # running sum of exp(v - max): the cumulative logit weights
        acc = acc + np.exp(w - top)
        cum.append(acc)
    u = rng.random(n) * cum[-1]
    dest = np.zeros(n, dtype=np.int8)
    for r in range(nr - 1):
        dest += u > cum[r]
    return dest
