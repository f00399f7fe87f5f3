"""Entry and exit of firms.

Exit (one draw per firm): a firm exits with probability

    q_i = 1 - (1 - entry_exit.exit_hazard)(1 - entry_exit.exit_after_losses [loss streak >= L])

with L = entry_exit.loss_years_to_exit. Its capital (after depreciation) is stranded.

Entry: for each sector s the number of entrant agents is Poisson(entry_rate x n_s). Each entrant
picks a region by logit over

    U_r = ln(1 + w n_rs) + lambda_e (rho_rs + sub_rs u_r)        lambda_e = entry_exit.profit_sensitivity

(rho_rs the cell's expected return net of the carbon-risk premium; a subsidy on a share sub_rs of the
entry cost saves sub_rs times the user cost u_r of that capital every year, in the same units).

(spin-offs appear where the sector already is, tilted to returns and relocation/entry subsidies).
An entrant draws its productivity around its cell's mean log TFP (production.tfp_sigma) and starts
with entry_exit.entrant_size x the median (geometric mean) capital of its cell, financed from the capital pool
(at most half of the cell's allocation; a cell with no firms yet is funded first, up to 5% of the pool).
Exit looks at operating profit (before R&D and one-off relocation costs).
"""

from __future__ import annotations

import numpy as np


def exits(rng: np.random.Generator, loss_years: np.ndarray, hazard: float, after_losses: float,
          loss_limit: int) -> np.ndarray:
    q = 1.0 - (1.0 - hazard) * (1.0 - after_losses * (loss_years >= loss_limit))
    return rng.random(len(loss_years)) < q


def entry_regions(rng: np.random.Generator, counts: np.ndarray, n_rs: np.ndarray, returns_rs: np.ndarray,
                  subsidy_rs: np.ndarray, sensitivity: float) -> np.ndarray:
    """[region, sector] entrant agent counts; ``counts`` is entrants per sector."""
    u = np.log1p(n_rs) + sensitivity * (returns_rs + subsidy_rs)
    u = u - u.max(axis=0, keepdims=True)
    p = np.exp(u) / np.exp(u).sum(axis=0, keepdims=True)
    out = np.zeros_like(n_rs, dtype=np.int64)
    for s in range(n_rs.shape[1]):  # loop over four sectors, not agents
        out[:, s] = rng.multinomial(counts[s], p[:, s])
    return out
