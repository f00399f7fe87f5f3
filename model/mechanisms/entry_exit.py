"""Entry and exit of firms.

Exit (one draw per firm): a firm exits with probability

    q_i = 1 - (1 - entry_exit.exit_hazard)(1 - entry_exit.exit_after_losses [loss streak >= L])

with L = entry_exit.loss_years_to_exit. The loss streak counts consecutive years of negative *net*
profit: operating profit after carbon and digital running costs, less the firm's own R&D and digital
adoption spending (``Firms.intangible``). Sustained losses, whatever their cause, end a firm (Jovanovic
1982; Hopenhayn 1992). Its capital (after depreciation) is stranded.

Entry: for each sector s the number of entrant agents is Poisson(entry_rate x n_s x m_s): entry follows
the sector's net return on capital r_s (operating profit less R&D and digital adoption spending, per yuan
of capital), as free entry would (Hopenhayn 1992), keeping total entry at entry_rate x sum n_s:

    m_s = exp(lambda_s (r_s - r_bar)) / [sum_s' n_s' exp(lambda_s (r_s' - r_bar)) / sum_s' n_s']
    lambda_s = entry_exit.sector_return_sensitivity, r_bar the firm-weighted mean of r_s.

Each entrant
picks a region by logit over

    U_r = ln(1 + w n_rs) + lambda_e (rho_rs + sub_rs u_r)        lambda_e = entry_exit.profit_sensitivity

(rho_rs the cell's expected return net of the carbon-risk premium; a subsidy on a share sub_rs of the
entry cost saves sub_rs times the user cost u_r of that capital every year, in the same units).

(spin-offs appear where the sector already is, tilted to returns and relocation/entry subsidies).
An entrant's productivity is anchored on its cell's incumbents, not on their median: it copies a randomly
drawn incumbent j of its cell (an imperfect copy of existing technology; Jovanovic 1982, Luttmer 2007)

    ln A_e = ln A_j + entry_exit.entrant_tfp_gap + entry_exit.entrant_tfp_sigma x eps_e

(a firm drawn from the whole sector if the cell is empty). Entrants start small, with
entry_exit.entrant_size x the cell's median (geometric mean) capital, financed from the capital pool,
and grow by investing (capital.py). Their transitory productivity component starts at zero.
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


def anchor_incumbents(rng: np.random.Generator, cell: np.ndarray, e_cell: np.ndarray, fallback: np.ndarray,
                      e_fallback: np.ndarray) -> np.ndarray:
    """For each entrant, the index of a uniformly drawn incumbent in its cell; if the cell is empty, one
    drawn from the incumbents sharing its ``fallback`` group (e.g. the sector); -1 if that is empty too."""
    out = np.full(len(e_cell), -1, np.int64)
    u = rng.random(len(e_cell))
    for key, e_key in ((cell, e_cell), (fallback, e_fallback)):
        todo = out < 0
        if not todo.any() or len(key) == 0:
            break
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        lo = np.searchsorted(sorted_key, e_key[todo], side="left")
        hi = np.searchsorted(sorted_key, e_key[todo], side="right")
        n = hi - lo
        pick = np.where(n > 0, order[np.minimum(lo + (u[todo] * n).astype(np.int64), len(order) - 1)], -1)
        out[todo] = pick
    return out


def entrant_log_tfp(log_a_parent: np.ndarray, gap: float, sigma: float, eps: np.ndarray) -> np.ndarray:
    """Entrants' own log TFP: an imperfect copy of an incumbent's."""
    return log_a_parent + gap + sigma * eps


def sector_entry_weights(n_s: np.ndarray, net_return_s: np.ndarray, sensitivity: float) -> np.ndarray:
    """[sector] expected entrants per unit of entry rate: n_s tilted towards high-return sectors, same total."""
    n = np.asarray(n_s, float)
    if n.sum() <= 0:
        return n
    x = sensitivity * (net_return_s - np.average(net_return_s, weights=n))
    w = n * np.exp(np.clip(x, -20.0, 20.0))
    return w * n.sum() / max(w.sum(), 1e-300)
