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
(at most entry_exit.entrant_funding_share = half of the cell's allocation; a cell with no firms yet is
funded first, up to entry_exit.empty_cell_funding_cap = 5% of the pool).
Exit looks at operating profit (before R&D and one-off relocation costs).
"""

from __future__ import annotations

import numpy as np

from .. import SECTORS, YI
from ..world import Sim
from . import carbon
from . import production

# entry_rate, profit_sensitivity, entrant_size and the funding caps are read where entrants are
# financed: capital.step (entry and investment are one allocation of the national pool)
PARAMETERS = ("entry_exit.exit_hazard", "entry_exit.exit_after_losses", "entry_exit.loss_years_to_exit",
              "capital.depreciation", "carbon.relative_intensity", "carbon.electricity_share",
              "production.tfp_sigma", "entry_exit.initial_age_max")


def init(model: Sim) -> None:
    """2012: firm ages, uniform over 1 to entry_exit.initial_age_max (29) years."""
    f = model.firms
    f.data["age"] = model.rng.integers(1, int(model.params["entry_exit.initial_age_max"]) + 1, len(f)).astype(np.int16)


def step(model: Sim) -> None:
    """Exit: firms with a loss streak (or bad luck) leave; their depreciated capital is stranded."""
    P, f = model.params, model.firms
    R = model.data.n
    out = exits(model.rng, f.loss_years, P["entry_exit.exit_hazard"], P["entry_exit.exit_after_losses"],
                int(P["entry_exit.loss_years_to_exit"]))
    delta = P["capital.depreciation"]
    k_all = f.capital + f.abatement_capital  # abatement capital is stranded with the firm (carbon.py)
    model.year_stats["stranded"] = np.bincount(f.region[out], weights=(f.weight * k_all * (1 - delta))[out],
                                               minlength=R) / YI
    carbon.exit_stranding(model, out)
    model.year_stats["exits"] = np.bincount(f.region[out], weights=f.weight[out], minlength=R)
    f.keep(~out)


def entrant_columns(model: Sim, cell: np.ndarray, n_cell: np.ndarray, e_cell: np.ndarray,
                    e_k: np.ndarray) -> dict[str, np.ndarray]:
    """New firms' columns: technology and staffing from their cell's incumbents, capital as financed.

    ``cell`` is the incumbents' flat (region, sector) index, ``n_cell`` their count per cell, ``e_cell``
    each entrant's cell and ``e_k`` its capital (million yuan).
    """
    P, f, rng, w = model.params, model.firms, model.rng, model.world
    R, S = model.data.n, len(SECTORS)
    ne = len(e_cell)
    has = n_cell > 0

    def cell_mean(values: np.ndarray, per: np.ndarray | None = None) -> np.ndarray:
        total = np.bincount(cell, weights=values, minlength=R * S)
        return total / np.maximum(n_cell if per is None else np.bincount(cell, weights=per, minlength=R * S),
                                  1e-9)

    log_a = np.log(f.tfp)
    mean_log_a = np.where(has, cell_mean(log_a), log_a.mean() if len(f) else 0.0)
    h_per_k = cell_mean(f.labour_high, per=f.capital)
    g_per_k = cell_mean(f.labour_general, per=f.capital)
    e_sector = (e_cell % S).astype(np.int8)
    e_region = (e_cell // S).astype(np.int8)
    rel = P.by("carbon.relative_intensity", SECTORS)[e_sector]
    elec = P.by("carbon.electricity_share", SECTORS)[e_sector]
    direct = np.where(has[e_cell], cell_mean(f.direct_intensity)[e_cell],
                      w.grid_2012[e_region] * rel * (1 - elec) * w.intensity_index[e_sector])
    power = np.where(has[e_cell], cell_mean(f.power_use)[e_cell], rel * elec)
    sig_a = P["production.tfp_sigma"]
    return dict(uid=f.new_ids(ne), region=e_region, sector=e_sector,
                tfp=np.exp(mean_log_a[e_cell] + sig_a * rng.normal(0.0, 1.0, ne)), capital=e_k,
                labour_high=h_per_k[e_cell] * e_k, labour_general=g_per_k[e_cell] * e_k,
                direct_intensity=direct, power_use=power, abatement=np.zeros(ne), abatement_capital=np.zeros(ne),
                carbon_charge=np.zeros(ne), digital=np.zeros(ne, bool),
                digital_affinity=rng.normal(0.0, 1.0, ne), rd_active=np.zeros(ne, bool), rd_stock=np.zeros(ne),
                age=np.zeros(ne, np.int16), value_added=np.zeros(ne), profit=np.zeros(ne),
                loss_years=np.zeros(ne, np.int16), weight=np.full(ne, w.firm_weight),
                **production.entrant_columns(model, ne))


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
