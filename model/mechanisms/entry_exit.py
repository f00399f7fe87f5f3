"""Entry and exit of firms.

Exit (one draw per firm): a firm exits with probability

    q_i = 1 - (1 - entry_exit.exit_hazard)(1 - entry_exit.exit_after_losses [loss streak >= L])

with L = entry_exit.loss_years_to_exit. The exogenous part (bad luck, and dropping below the above-size
threshold) falls with the firm's size (exit rates fall with size: Evans 1987; Dunne, Roberts and Samuelson
1989), its mean over firms unchanged; the exit after sustained losses does not depend on size:

    exit_hazard_i = min(exit_hazard z_i, 1),   z_i = s_i^-e / mean(s^-e),   s_i = VA_i / median VA,
    e = entry_exit.exit_size_elasticity

With the Zipf tail of firm sizes (production.py) this keeps a single giant from vanishing by bad luck. The loss streak counts consecutive years of negative *net*
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

(rho_rs the cell's expected marginal net return, capital.marginal_net_return, net of the carbon-risk premium; a subsidy on a share sub_rs of the
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

from .. import SECTORS, YI
from .. import streams
from ..numeric import median  # np.median, bit for bit, faster
from ..world import Sim
from . import carbon
from . import production

# entry_rate, profit_sensitivity, sector_return_sensitivity and entrant_size are read where entrants are
# financed: capital.step (entry and investment are one allocation of the national pool)
PARAMETERS = ("entry_exit.exit_hazard", "entry_exit.exit_after_losses", "entry_exit.loss_years_to_exit",
              "entry_exit.entrant_tfp_gap", "entry_exit.entrant_tfp_sigma",
              "capital.depreciation", "carbon.relative_intensity", "carbon.electricity_share",
              "entry_exit.initial_age_max", "entry_exit.exit_size_elasticity")


def init(model: Sim) -> None:
    """2012: firm ages, uniform over 1 to entry_exit.initial_age_max (29) years."""
    f = model.firms
    f.data["age"] = model.rng.integers(1, int(model.params["entry_exit.initial_age_max"]) + 1, len(f)).astype(np.int16)


def step(model: Sim) -> None:
    """Exit: firms with a loss streak (or bad luck) leave; their depreciated capital is stranded."""
    P, f = model.params, model.firms
    R = model.data.n
    out = exits(streams.keyed(model, "exit", f.uid), f.loss_years, P["entry_exit.exit_hazard"],
                P["entry_exit.exit_after_losses"],
                int(P["entry_exit.loss_years_to_exit"]),
                size_factor(f.value_added, P["entry_exit.exit_size_elasticity"]), overwrite=True)
    delta = P["capital.depreciation"]
    # the leavers' rows first (a few % of the firms), then the elementwise products on them only: the same numbers
    gone = np.flatnonzero(out)
    region_out, weight_out = f.region.take(gone), f.weight.take(gone)
    k_all = f.capital.take(gone) + f.abatement_capital.take(gone)  # abatement capital is stranded too (carbon.py)
    model.year_stats["stranded"] = np.bincount(region_out, weights=weight_out * k_all * (1 - delta), minlength=R) / YI
    carbon.exit_stranding(model, out, gone)
    model.year_stats["exits"] = np.bincount(region_out, weights=weight_out, minlength=R)
    f.keep(~out)


def entrant_columns(model: Sim, cell: np.ndarray, n_cell: np.ndarray, e_cell: np.ndarray,
                    e_k: np.ndarray, uid: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """New firms' columns: technology copied from an incumbent, staffing from their cell's incumbents,
    capital as financed.

    ``cell`` is the incumbents' flat (region, sector) index, ``n_cell`` their count per cell, ``e_cell``
    each entrant's cell and ``e_k`` its capital (million yuan). ``uid``: the entrants' slot ids if the caller
    already formed them (capital.step, for the keyed match draws; the same ids as below).
    """
    P, f, w = model.params, model.firms, model.world
    R, S = model.data.n, len(SECTORS)
    ne = len(e_cell)
    has = n_cell > 0

    def cell_sum(values: np.ndarray) -> np.ndarray:  # slice sums when ``cell`` is the firms' own (agents.py)
        return f.sum_by_cell(values) if cell is f.cell else np.bincount(cell, weights=values, minlength=R * S)

    def cell_mean(values: np.ndarray, per: np.ndarray | None = None) -> np.ndarray:
        return cell_sum(values) / np.maximum(n_cell if per is None else per, 1e-9)

    k_cell = cell_sum(f.capital)  # once for both staffing ratios
    h_per_k = cell_mean(f.labour_high, per=k_cell)
    g_per_k = cell_mean(f.labour_general, per=k_cell)
    e_sector = (e_cell % S).astype(np.int8)
    e_region = (e_cell // S).astype(np.int8)
    # slot ids (year, sector, rank): the same entrant keeps its id and its keyed draws in every scenario
    if uid is None:
        uid = streams.slot_ids(model.year, e_sector)
    # an imperfect copy of the own permanent TFP of a random incumbent of the cell (of the sector if empty),
    # drawn by uid rank: the same parent whatever the row order
    parent = anchor_incumbents(streams.keyed(model, "entry.parent", uid), cell, e_cell,
                               f.sector.astype(np.int64, copy=False), e_sector.astype(np.int64), ids=f.uid,
                               counts=n_cell)
    # the parent's tail premium is not copied; ln TFP - shock - premium of the parents only (the same
    # elementwise numbers), and of every incumbent only when some entrant has no parent (the fallback mean)
    p = np.maximum(parent, 0)
    log_perm_p = np.log(f.tfp[p]) - f.tfp_shock[p] - f.tfp_premium[p] if len(f) else np.zeros(ne)
    if len(f) and np.any(parent < 0):
        fallback = (np.log(f.tfp) - f.tfp_shock - f.tfp_premium).mean()
    else:
        fallback = 0.0
    base = np.where(parent >= 0, log_perm_p, fallback)
    log_a = entrant_log_tfp(base, P["entry_exit.entrant_tfp_gap"], P["entry_exit.entrant_tfp_sigma"],
                            streams.normal(model.stream_key, model.year, "entry.tfp", uid))
    rel = P.by("carbon.relative_intensity", SECTORS)[e_sector]
    elec = P.by("carbon.electricity_share", SECTORS)[e_sector]
    direct = np.where(has[e_cell], cell_mean(f.direct_intensity)[e_cell],
                      w.grid_2012[e_region] * rel * (1 - elec) * w.intensity_index[e_sector])
    power = np.where(has[e_cell], cell_mean(f.power_use)[e_cell], rel * elec)
    return dict(uid=uid, region=e_region, sector=e_sector, tfp=np.exp(log_a), tfp_shock=np.zeros(ne),
                capital=e_k, intangible=np.zeros(ne),
                labour_high=h_per_k[e_cell] * e_k, labour_general=g_per_k[e_cell] * e_k,
                direct_intensity=direct, power_use=power, abatement=np.zeros(ne), abatement_capital=np.zeros(ne),
                carbon_charge=np.zeros(ne), digital=np.zeros(ne, bool),
                digital_affinity=streams.normal(model.stream_key, model.year, "entry.digital_affinity", uid),
                rd_active=np.zeros(ne, bool), rd_stock=np.zeros(ne),
                age=np.zeros(ne, np.int16), value_added=np.zeros(ne), profit=np.zeros(ne),
                loss_years=np.zeros(ne, np.int16), weight=np.full(ne, w.firm_weight),
                **production.entrant_columns(model, ne, uid))


def size_factor(value_added: np.ndarray, elasticity: float) -> np.ndarray:
    """z_i = s_i^-e / mean(s^-e), s_i = VA_i / median VA (clipped to [0.01, 1e4]; firms with no VA yet count as
    0.01): exit risk relative to the average firm, falling with size and averaging one over firms."""
    if elasticity == 0.0 or len(value_added) == 0:
        return np.ones(len(value_added))
    pos = value_added > 0
    all_pos = bool(pos.all())  # every firm has produced (nearly always): no selection copy, no np.where pass
    if all_pos:
        med = median(value_added)
    else:
        med = median(value_added[pos]) if pos.any() else 1.0
    rel = value_added / med
    if not all_pos:
        rel = np.where(pos, rel, 0.01)
    # in place on rel (a fresh array): ``**=`` takes the same scalar-power path as ``**``, so the same bits
    np.clip(rel, 0.01, 1e4, out=rel)
    rel **= -elasticity
    rel /= rel.mean()  # in place: the same quotients
    return rel


def exits(rng: np.random.Generator, loss_years: np.ndarray, hazard: float, after_losses: float,
          loss_limit: int, size: np.ndarray | None = None, overwrite: bool = False) -> np.ndarray:
    """``overwrite``: ``size`` is a temporary of the caller's (a float64 array): h is formed in it (size x hazard
    is hazard x size)."""
    if size is not None and overwrite and isinstance(size, np.ndarray) and size.dtype == np.float64:
        h = np.multiply(size, hazard, out=size)
        np.minimum(h, 1.0, out=h)
    else:
        h = hazard if size is None else np.minimum(hazard * size, 1.0)
    # q = 1 - (1 - h)(1 - a [streak >= L]). The bracket has two values, 1 - a and exactly 1 (a x 0 = +-0: a is a
    # probability, finite by its parameter range): one where instead of a float product and a subtraction over
    # every firm; the rest in place (the same bits)
    if size is not None:  # 1.0 (1 - h) is 1 - h: the product with 1 - a only on the rows with a streak (few)
        q = np.subtract(1.0, h, out=h)  # h is a fresh array here (or the caller's temporary: overwrite)
        streak = np.flatnonzero(loss_years >= loss_limit)
        if len(streak):
            q[streak] *= 1.0 - after_losses
        np.subtract(1.0, q, out=q)
        return rng.random(len(loss_years)) < q
    q = np.where(loss_years >= loss_limit, 1.0 - after_losses, 1.0)
    q *= 1.0 - h
    np.subtract(1.0, q, out=q)
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
                      e_fallback: np.ndarray, ids: np.ndarray | None = None,
                      counts: np.ndarray | None = None) -> np.ndarray:
    """For each entrant, the index of a uniformly drawn incumbent in its cell; if the cell is empty, one
    drawn from the incumbents sharing its ``fallback`` group (e.g. the sector); -1 if that is empty too.
    With ``ids`` (the incumbents' unique non-negative uids) the draw ranks a group's incumbents by id, so the
    same incumbent is drawn whatever the row order (the agents are re-sorted every year, agents.py); without,
    by row. ``counts``: the incumbents per cell (``np.bincount(cell)``, as many entries as cells), if the caller
    has them: each cell's block of the sorted order then starts at their running sum (the same bounds as a
    search in the sorted keys, without gathering them)."""
    out = np.full(len(e_cell), -1, np.int64)
    u = rng.random(len(e_cell))
    by_id = ids is not None and len(ids) > 0 and _all_below(ids, 47)
    for key, e_key in ((cell, e_cell), (fallback, e_fallback)):
        todo = out < 0
        if not todo.any() or len(key) == 0:
            break
        if by_id and _all_below(key, 15):  # one int64 sort key: group, then id
            # the keys are unique (ids are), so any sort gives this order; the rows are in cell order with uids
            # mostly ascending within a cell (agents.py), and a stable (merge) sort finds those runs: ~2x faster
            order = np.argsort((key.astype(np.int64) << 47) | ids, kind="stable")
        elif ids is not None and len(ids):
            order = np.lexsort((ids, key))
        else:
            # the same stable order from a narrow copy of the key: numpy radix-sorts 8- and 16-bit integers
            narrow = key.astype(np.int16) if len(key) and 0 <= key.min() and key.max() < 2**15 else key
            order = np.argsort(narrow, kind="stable")
        e_todo = e_key[todo]
        if (key is cell and counts is not None and len(counts) and np.asarray(counts).dtype.kind in "iu"
                and int(np.sum(counts)) == len(key) and e_todo.dtype.kind in "iu" and e_todo.min() >= 0
                and e_todo.max() < len(counts)):
            bounds = np.zeros(len(counts) + 1, np.int64)
            np.cumsum(counts, out=bounds[1:])
            lo, hi = bounds.take(e_todo), bounds.take(e_todo + 1)
            n = hi - lo
            out[todo] = np.where(n > 0, order[np.minimum(lo + (u[todo] * n).astype(np.int64), len(order) - 1)], -1)
            continue
        sorted_key = key[order]
        # each group's block in the sorted order, from one search per group instead of two per entrant: for integer
        # keys, searchsorted left of g is bounds[g] and right of g is bounds[g + 1] (the same numbers)
        ints = sorted_key.dtype.kind in "iu" and e_todo.dtype.kind in "iu"
        n_groups = int(max(sorted_key[-1], e_todo.max())) + 1 if ints else 0
        if ints and sorted_key[0] >= 0 and e_todo.min() >= 0 and n_groups <= 2**16:
            bounds = np.searchsorted(sorted_key, np.arange(n_groups + 1, dtype=sorted_key.dtype))
            lo, hi = bounds.take(e_todo), bounds.take(e_todo + 1)
        else:
            lo = np.searchsorted(sorted_key, e_todo, side="left")
            hi = np.searchsorted(sorted_key, e_todo, side="right")
        n = hi - lo
        pick = np.where(n > 0, order[np.minimum(lo + (u[todo] * n).astype(np.int64), len(order) - 1)], -1)
        out[todo] = pick
    return out


def _all_below(x: np.ndarray, bits: int) -> bool:
    """0 <= x < 2**bits for every element of a non-empty integer array: for a signed integer type the bitwise OR of all
    elements is negative if any element is, and at least 2**bits if any element is (one pass instead of min and
    max); other types use min and max."""
    x = np.asarray(x)
    if x.dtype.kind in "iu" and x.dtype.itemsize * 8 > bits and len(x):
        v = int(np.bitwise_or.reduce(x, axis=None))
        return 0 <= v < (1 << bits)
    return bool(0 <= x.min() and x.max() < 2**bits)


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
