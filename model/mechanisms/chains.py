"""Industrial chains: input-output linkages, supplier access and local procurement.

Sectors buy intermediate inputs from each other with the input-output coefficients a_ks (yuan of
sector k's output per yuan of sector s's gross output; chains.io_coefficients, from the NBS Input-
Output Table of China 2012, aggregated to the model's four sectors). Inputs are CES bundles of
varieties from every region (elasticity sigma = trade elasticity + 1), so a buyer in region r
sees sector k's supply through its supplier access (Redding and Venables 2004; Krugman and
Venables 1995):

    SA_rsk = sum_j VA_jk phi_jr (1 + b_rs [j = r])            supplier access of buyer cell (r, s) for input k
    pi_rsk = [(SA_rsk / SA_rsk,2012) / M_k]^(-1/(sigma-1))     input price index, 2012 = 1
    M_k    = sum_rs w_rs SA_rsk / SA_rsk,2012                 (w_rs buyer cells' value-added shares)
    chi_rs = 1 - kappa_c sum_k a_ks (pi_rsk - 1) / v_s         chain factor on the cell's value added per unit
    l_rsk  = VA_rk phi_rr (1 + b_rs) / SA_rsk                  local procurement share of input k
    l_rs   = sum_k a_ks l_rsk / sum_k a_ks                     local procurement share of the cell

VA_jk last year's value added of sector k in region j (the supply of varieties; supplier access is
measured relative to its buyer-weighted national mean M_k, so chains redistribute input costs across
space and add no aggregate windfall from supply growth or falling trade costs), phi_jr the freeness of trade between
regions (geography.py, the same trade costs as market access), v_s = chains.value_added_ratio (value
added per yuan of gross output). chi multiplies the cell's place productivity (a cost saving on
inputs raises value added per unit of gross output); chi = 1 in 2012 by construction. kappa_c =
chains.cost_passthrough is the share of the input-cost gap that reaches value added: firms substitute
imports and other inputs, and the production function's agglomeration term (production.py) already
carries most measured localisation economies (Rosenthal and Strange 2004: 3-8% productivity per
doubling of local scale), so the chain channel adds a bounded part on top.

Chain leaders. Large firms (the top chains.leader_quantile of their sector by value added) anchor
local suppliers: their cell sources locally with a home bias

    b_rs = beta_L x (leaders' share of the cell's value added) + lever_r        (chain_local_sourcing lever)

beta_L = chains.leader_local_bias, set so that the northeast's equipment (auto) chains source about
40% locally (seed 001: central-enterprise auto chains in the northeast); the lever adds local
sourcing support (supplier parks, local content programmes) by region.
"""

from __future__ import annotations

import numpy as np

from .. import SECTORS, numeric
from ..world import Sim

PARAMETERS = ("chains.io_from_energy_intensive", "chains.io_from_labour_intensive", "chains.io_from_equipment",
              "chains.io_from_high_tech", "chains.value_added_ratio", "chains.leader_quantile",
              "chains.leader_local_bias", "chains.cost_passthrough", "geography.trade_cost_2012",
              "geography.trade_elasticity")


def _state(model: Sim, va_rs: np.ndarray, va_firm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(phi [from, to], home bias [r, s], supplier access [r, s, k]) for this year's trade costs and leaders."""
    P, w, f = model.params, model.world, model.firms
    R, S = model.data.n, len(SECTORS)
    if w.geo is not None:
        phi = w.geo.region_freeness(model.year, P["geography.trade_cost_2012"], P["geography.trade_elasticity"])
    else:
        phi = np.eye(R)
    cw = f.constant("weight")  # every firm's weight when they share one (1.0 at full scale): fewer passes
    lead = leader_share(va_firm, f.weight if cw is None else cw, f.region, f.sector, P["chains.leader_quantile"], R, S,
                        by_cell=f.sum_by_cell if va_firm is f.value_added else None,
                        by_sector=f.values_by_sector if va_firm is f.value_added else None,
                        gather_sector=f.gather_sector if len(va_firm) == len(f) else None)
    bias = home_bias(lead, P["chains.leader_local_bias"], model.policy.chain_local_sourcing)
    return phi, bias, supplier_access(va_rs, phi, bias)


def init(model: Sim) -> None:
    """2012 (after production.init): IO coefficients, 2012 supplier access (the reference), local procurement."""
    P, w, f = model.params, model.world, model.firms
    rows = {"energy_intensive": P.by("chains.io_from_energy_intensive", SECTORS),
            "labour_intensive": P.by("chains.io_from_labour_intensive", SECTORS),
            "equipment": P.by("chains.io_from_equipment", SECTORS),
            "high_tech": P.by("chains.io_from_high_tech", SECTORS)}
    w.io = np.array([rows[k] for k in SECTORS])                                   # [input k, buyer s]
    w.va_ratio = P.by("chains.value_added_ratio", SECTORS)
    phi, bias, w.supplier_access_2012 = _state(model, w.va_rs_prev, f.value_added)
    w.chain = np.ones_like(w.va_rs_prev)
    w.local_procurement = procurement_share(w.io, local_share(w.va_rs_prev, phi, bias))


def step(model: Sim) -> None:
    """This year's chain factor and local procurement from last year's value added and this year's trade costs."""
    P, w = model.params, model.world
    phi, bias, sa = _state(model, w.va_rs_prev, model.firms.value_added)
    pi = input_price(sa, w.supplier_access_2012, w.va_rs_prev, P["geography.trade_elasticity"] + 1.0)
    w.chain = chain_factor(w.io, pi, w.va_ratio, P["chains.cost_passthrough"])
    w.local_procurement = procurement_share(w.io, local_share(w.va_rs_prev, phi, bias))


def supplier_access(va_rk: np.ndarray, phi: np.ndarray, bias_rs: np.ndarray) -> np.ndarray:
    """[r, s, k] SA_rsk = sum_j VA_jk phi_jr (1 + b_rs [j = r]).  ``phi`` is [from j, to r]."""
    base = phi.T @ va_rk                                          # [r, k]: sum_j phi_jr VA_jk
    local = np.diag(phi)[:, None] * va_rk                         # [r, k]: phi_rr VA_rk
    return base[:, None, :] + bias_rs[:, :, None] * local[:, None, :]


def local_share(va_rk: np.ndarray, phi: np.ndarray, bias_rs: np.ndarray) -> np.ndarray:
    """[r, s, k] share of input k bought inside the buyer's region."""
    sa = supplier_access(va_rk, phi, bias_rs)
    local = (np.diag(phi)[:, None] * va_rk)[:, None, :] * (1.0 + bias_rs[:, :, None])
    return local / np.maximum(sa, 1e-300)


def input_price(sa: np.ndarray, sa_2012: np.ndarray, weight_rs: np.ndarray, sigma: float) -> np.ndarray:
    """[r, s, k] pi = [(SA / SA_2012) / mean]^(-1/(sigma - 1)), the mean of SA / SA_2012 over buyer cells
    weighted by ``weight_rs`` (their value added): a pure redistribution of input costs across space."""
    rel = np.maximum(sa, 1e-300) / np.maximum(sa_2012, 1e-300)
    w = weight_rs / max(float(weight_rs.sum()), 1e-300)
    mean = np.einsum("rs,rsk->k", w, rel)
    return (rel / np.maximum(mean, 1e-300)[None, None, :]) ** (-1.0 / (sigma - 1.0))


def chain_factor(io: np.ndarray, pi: np.ndarray, va_ratio: np.ndarray, passthrough: float = 1.0,
                 floor: float = 0.2) -> np.ndarray:
    """[r, s] chi_rs = 1 - kappa_c sum_k a_ks (pi_rsk - 1) / v_s, floored at ``floor``.  ``io`` is [k, s]."""
    cost = np.einsum("ks,rsk->rs", io, pi - 1.0)
    return np.maximum(1.0 - passthrough * cost / va_ratio[None, :], floor)


def procurement_share(io: np.ndarray, local: np.ndarray) -> np.ndarray:
    """[r, s] input-weighted local procurement share sum_k a_ks l_rsk / sum_k a_ks."""
    return np.einsum("ks,rsk->rs", io, local) / np.maximum(io.sum(axis=0), 1e-12)[None, :]


def leader_share(value_added: np.ndarray, weight: np.ndarray, region: np.ndarray, sector: np.ndarray,
                 quantile: float, n_regions: int, n_sectors: int, by_cell=None, by_sector=None,
                 gather_sector=None) -> np.ndarray:
    """[r, s] share of a cell's value added produced by its sector's top firms (value added above the
    sector's ``quantile``). ``by_cell``: the sum by cell (default a bincount; the model passes slice sums);
    ``by_sector``: each sector's values of ``value_added`` in any order (the quantile does not depend on it; the
    model passes the firms' cell blocks, agents.Firms.values_by_sector); ``gather_sector``: a [sector] table's value
    per firm (default ``take``; the model passes agents.Firms.gather_sector, the same values faster). ``weight``: per
    firm, or one value every firm has (then the same products; none for exactly 1.0: 1 x VA is VA, IEEE)."""
    cut = np.zeros(n_sectors)
    groups = by_sector(value_added) if by_sector is not None else None
    for s in range(n_sectors):  # four sectors, not agents
        v = groups[s] if groups is not None else value_added[sector == s]
        cut[s] = numeric.quantile(v, quantile) if len(v) else np.inf  # np.quantile, bit for bit, faster
    lead = value_added > (cut.take(sector) if gather_sector is None else gather_sector(cut))
    wva = value_added if np.ndim(weight) == 0 and weight == 1.0 else weight * value_added
    if by_cell is None:
        cell = region.astype(np.intp, copy=False) * n_sectors + sector
        by_cell = lambda x: np.bincount(cell, weights=x, minlength=n_regions * n_sectors)  # noqa: E731
    tot = by_cell(wva)
    top = by_cell(wva * lead)
    return (top / np.maximum(tot, 1e-12)).reshape(n_regions, n_sectors)


def home_bias(leader_share_rs: np.ndarray, beta: float, lever_r: np.ndarray) -> np.ndarray:
    """[r, s] b_rs = beta_L x leader share + lever_r."""
    return beta * leader_share_rs + lever_r[:, None]
