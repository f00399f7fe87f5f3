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

    q_i = q x max(VA_i / median VA, 1)^(-eta)

(q = location.review_rate, eta = location.review_size_elasticity). Whole-firm relocation falls with size:
a large firm's plants, workforce and local ties are sunk, and it adds capacity elsewhere instead of moving
(Brouwer, Mariotti and van Ommeren 2004; Pellenbarg, van Wissen and van Dijk 2002). It also keeps one
large agent from carrying a region's share of industry across a border in a single draw. A reviewing
firm i in region c evaluates every region r:

    pi^e_ir = R_ir x_w,sr^(-(1-alpha_s)/alpha_s) - C_ir x_L,sr      expected profit in r (R revenue
              part alpha (p a_r - tau) Y_ir, C the capital cost (1 + f_r) u_r K_i, production.py)
    H       = 1 / (interest + exit_hazard + 1 - rho_gap)            years a profit gap is expected to last
    v_ir    = lambda (clip(H (pi^e_ir - pi^e_ic) / VA_i, +/-c) - kappa (1 - sub_rs)) + beta_m (m_ir - m_ic),  v_ic = 0
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
rho_gap = location.gap_persistence, c = location.gain_clip (VA_i at least location.min_relative_scale
x the mean firm's). Firms keep capital, technology and staff counts when they move.

Each year's step first updates the place: market access from market potential (geography.py), the
industrial land price and user cost (land.py), the net agglomeration factor times the chain factor
(chains.py) and the talent spillover; then the reviewing firms choose.

Net agglomeration (Henderson 1974, 1988; Fujita, Krugman and Venables 1999, ch. 4; Combes et al. 2012):
own-sector scale raises productivity (localisation economies, production.agglomeration), while the
size of the region's whole industry raises local costs that a single firm does not control (congested
infrastructure, power and water quotas, environmental caps, industrial land and commuting beyond the
land market of land.py):

    agg_rs = (VA_rs / mean_r' VA_r's)^gamma  x  max(s_r / s_r,2012, 1)^(-gamma_c),   s_r = VA_r / sum_r' VA_r'

(VA last year's; gamma = production.agglomeration_elasticity, gamma_c = location.congestion_elasticity).
The congestion term is 1 in 2012 and depends on the region's share only: a region whose industry
outgrows the nation's pays (Au and Henderson 2006 estimate an inverted U of net productivity in city
size for China); one that falls behind keeps its 2012 costs (its infrastructure and quotas were built
for the 2012 size; a symmetric term made the shrinking northeast 6% more productive by 2035 and pulled
its wages to within 18% of the east's). It saturates the cumulative
causation of localisation economies, innovation and talent, and gives new plants and investment the
factor-cost advantage of less congested regions.
"""

from __future__ import annotations

import numpy as np

from .. import SECTORS, YI
from .. import streams
from ..numeric import median, uniform_value  # median: np.median, bit for bit, faster
from ..world import Sim
from . import carbon, land, production

PARAMETERS = ("location.friction", "location.land_share", "location.land_supply_elasticity", "location.review_rate",
              "location.profit_sensitivity", "location.relocation_cost", "location.gap_persistence",
              "location.match_weight", "location.expected_wage_response", "capital.interest_rate",
              "capital.depreciation", "entry_exit.exit_hazard", "production.agglomeration_elasticity",
              "production.spillover_elasticity", "digital.annual_cost", "location.gain_clip",
              "location.min_relative_scale", "location.congestion_elasticity", "location.review_size_elasticity")


def init(model: Sim) -> None:
    """2012: the business-environment friction by region (access: geography.init; land: land.init)."""
    model.world.friction = model.params.by("location.friction", model.regions)


def init_match(model: Sim) -> None:
    """2012, last: every firm's match with each region, the best on its present region (draws last, so the
    rest of the 2012 state does not depend on them)."""
    f = model.firms
    f.data["location_match"] = initial_match(model.rng, f.region, model.data.n)
    iva_r = model.world.va_rs_prev.sum(axis=1)
    model.world.iva_share_2012 = iva_r / max(float(iva_r.sum()), 1e-12)  # the congestion reference
    # the sites a mover can choose from: each region's 2012 count of the sector's firms (destination size)
    model.world.firm_sites_2012 = np.bincount(f.region.astype(np.int64) * len(SECTORS) + f.sector, weights=f.weight,
                                              minlength=model.data.n * len(SECTORS)).reshape(model.data.n, len(SECTORS))


def review_probability(value_added: np.ndarray, rate: float, size_elasticity: float) -> np.ndarray:
    """Chance that each firm reviews its location this year: the base rate for firms up to the median size,
    falling with relative size above it, rate x max(VA_i / median VA, 1)^(-eta)."""
    rel = value_added / max(float(median(value_added)), 1e-12) if len(value_added) else value_added
    # 1^(-eta) is exactly 1: the power (the costly pass) only for the firms above the median
    out = np.full(len(rel), rate * 1.0 ** -size_elasticity)
    big = np.flatnonzero(~(rel <= 1.0))  # NaN too, as np.maximum propagates it
    out[big] = rate * rel.take(big) ** -size_elasticity
    return out


def review_draw(u: np.ndarray, value_added: np.ndarray, rate: float, size_elasticity: float) -> np.ndarray:
    """[firm] ``u < review_probability(value_added, rate, size_elasticity)``, bit for bit, without forming the
    probabilities of every firm. A firm up to the median VA m has the base rate b = rate x 1^(-eta) = rate: for
    m > 0 finite, VA <= m gives VA / m <= m / m = 1 (a correctly rounded division is monotone). Above it, with
    eta >= 0 and rate >= 0, its rate x (VA / m)^(-eta) is at most b (a power of a number >= 1 to an exponent
    <= 0 is at most 1, and rounding is monotone; VA / m rounding to 1 gives b itself; NaN never draws): so only
    the firms with u < b can draw, and only those above the median need their own power (~5 % of the firms
    instead of half). Anything else (a negative eta or rate, m not finite) is computed as written."""
    m = max(float(median(value_added)), 1e-12) if len(value_added) else 1.0
    if not (np.isfinite(m) and size_elasticity >= 0 and rate >= 0):  # (never in a run) as written
        return u < review_probability(value_added, rate, size_elasticity)
    out = u < rate * 1.0 ** -size_elasticity
    cand = np.flatnonzero(out)  # the only firms that can draw
    va = value_added.take(cand)
    big = ~(va <= m)  # NaN too
    rows = cand[big]
    out[rows] = u.take(rows) < rate * (va[big] / m) ** -size_elasticity
    return out


def step(model: Sim) -> None:
    """Place factors (agglomeration x chains, spillover); reviewing firms move (flows, ledger). Market access
    (geography.step) and land prices (land.step) are already this year's."""
    P, w, f, pol = model.params, model.world, model.firms, model.policy
    R, S = model.data.n, len(SECTORS)
    refresh_location_factors(model)
    # keyed per-firm draws (streams.py): the same luck in every scenario
    review = review_draw(streams.uniform(model.stream_key, model.year, "location.review", f.uid), f.value_added,
                         P["location.review_rate"], P["location.review_size_elasticity"]) & (f.age >= 1)
    idx = np.flatnonzero(review)
    if len(idx) == 0:
        return
    revenue, cost = profit_parts(model, idx)
    # [firm, region] subsidies (rows of the [sector, region] table); one value when every entry has the same bits
    # (no lever: 0): subtracting or multiplying by it gives the same numbers as by the block of it
    sub_rs = np.ascontiguousarray(pol.relocation_subsidy.T, dtype=np.float64)
    sub = uniform_value(sub_rs.ravel())
    uniform_sub = sub is not None
    if not uniform_sub:
        sub = sub_rs.take(f.sector[idx], axis=0)  # take: fast row gather
    hor = horizon(P["capital.interest_rate"], P["entry_exit.exit_hazard"], P["location.gap_persistence"])
    cur, s_i, va_i = f.region[idx], f.sector[idx], f.value_added[idx]
    sites = log_destination_sites(w.firm_sites_2012, cur, s_i)
    # the match term weight x (m_ir - m_i,here) is the same in both utilities below: formed once
    args = (P["location.profit_sensitivity"], P["location.relocation_cost"], sub, hor, None, 0.0,
            P["location.gain_clip"], P["location.min_relative_scale"], sites)
    kw = dict(match_term=match_term(f.rows("location_match", idx), cur, P["location.match_weight"]), overwrite=True)
    # Expectations: the wages and land prices this sector's expected moves would bring (one fixed-point step).
    # (the profit blocks are this step's own temporaries: utilities and probabilities work in them, in place)
    p0 = probabilities(utilities(revenue - cost, cur, va_i, *args, **kw), overwrite=True)
    bins = flow_bins(s_i, R)  # the same flat (sector, region) bins for both flows
    unit = f.constant("weight") == 1.0  # weight x amount is the amount itself (1 x a is a, IEEE)
    k_i = f.capital[idx] if unit else f.weight[idx] * f.capital[idx]
    l_i = f.labour_high[idx] + f.labour_general[idx]
    d_k = expected_flows(p0, cur, s_i, k_i, S, bins=bins)
    d_l = expected_flows(p0, cur, s_i, l_i if unit else f.weight[idx] * l_i, S, bins=bins)
    k_r = f.capital_by_region(R)  # bincount of weight x capital, cached since land.step (agents.py)
    x_land, x_wage = anticipated_factors(d_k, k_r, w.land_price, P["location.land_share"],
                                         P["location.land_supply_elasticity"], d_l, w.labour_supply.sum(axis=1),
                                         P["location.expected_wage_response"])
    expo = production.revenue_wage_elasticity(w.beta)
    # revenue x x_w^-expo - cost x x_L: the power on the [sector, region] table, then gathered (the same numbers
    # as per firm), and the products in place in the gathered blocks (fresh ~10 MB temporaries are slow)
    profit = (x_wage ** -expo[:, None]).take(s_i, axis=0)
    profit *= revenue
    land_cost = x_land.take(s_i, axis=0)
    land_cost *= cost
    profit -= land_cost
    dest = draw(streams.keyed(model, "location.destination", f.uid[idx]),
                probabilities(utilities(profit, cur, va_i, *args, **kw), overwrite=True))
    moved = dest != cur
    mi = idx[moved]
    o, dst, s = f.region[mi], dest[moved], f.sector[mi]
    wt = f.weight[mi]
    ys = model.year_stats
    np.add.at(model.flows["firms"], (s, o, dst), wt)
    np.add.at(model.flows["jobs"], (s, o, dst), wt * (f.labour_high[mi] + f.labour_general[mi]))
    ys["reloc_out"] = np.bincount(o, weights=wt, minlength=R)
    ys["reloc_in"] = np.bincount(dst, weights=wt, minlength=R)
    delta = P["capital.depreciation"]
    k_moved = (f.capital[mi] + f.abatement_capital[mi]) * (1 - delta)  # abatement capital moves with the firm
    ys["capital_moved_out"] = np.bincount(o, weights=wt * k_moved, minlength=R) / YI
    ys["capital_moved_in"] = np.bincount(dst, weights=wt * k_moved, minlength=R) / YI
    # The destination's subsidy pays its share of the sunk cost of moving.
    paid_sub = (sub if uniform_sub else sub[moved, dst]) * P["location.relocation_cost"] * f.value_added[mi]
    ys["policy_cost"] += np.bincount(dst, weights=wt * paid_sub, minlength=R) / YI
    f.move(mi, region=dst)  # as f.data["region"][mi] = dst, keeping the firms' cell order known (agents.py)


def refresh_location_factors(model: Sim) -> None:
    """This year's net agglomeration (localisation economies from last year's sector value added, times the
    congestion of the region's whole industry) times the chain factor, and talent spillover."""
    P, w = model.params, model.world
    chain = w.chain if w.chain.size else 1.0
    iva_r = w.va_rs_prev.sum(axis=1)
    if not getattr(w, "iva_share_2012", np.zeros(0)).size:
        w.iva_share_2012 = iva_r / max(float(iva_r.sum()), 1e-12)
    w.congestion = congestion(iva_r, w.iva_share_2012, P["location.congestion_elasticity"])
    w.agg = (production.agglomeration(w.va_rs_prev, P["production.agglomeration_elasticity"])
             * w.congestion[:, None] * chain)
    w.spill = production.spillover(w.h_share, w.h_nat, P["production.spillover_elasticity"])


def congestion(iva_r: np.ndarray, share_2012: np.ndarray, elasticity: float) -> np.ndarray:
    """[region] congestion factor max(s_r / s_r,2012, 1)^(-elasticity), s_r the region's share of national
    industrial value added: a region whose industry outgrows the nation's pays rising local costs (Henderson
    1974); one that falls behind keeps its 2012 costs (infrastructure, quotas and land are built for the 2012
    size and do not make a shrinking region more productive)."""
    share = np.maximum(iva_r, 1e-12) / max(float(iva_r.sum()), 1e-12)
    return np.maximum(share / np.maximum(share_2012, 1e-12), 1.0) ** (-elasticity)


def update_land_cost(model: Sim) -> None:
    """Industrial land prices and the user cost from this year's capital (land.step)."""
    land.step(model)


def charges_everywhere(model: Sim, sector: np.ndarray, digital_on: np.ndarray, direct: np.ndarray,
                       power: np.ndarray) -> np.ndarray:
    """[firm, region] carbon and digital running costs per yuan of value added, as if produced in each region."""
    P, pol = model.params, model.policy
    out = digital_on[:, None] * (P["digital.annual_cost"] * (1.0 - pol.digital_subsidy))[None, :]
    if pol.carbon_price > 0:
        # digital + carbon, added into the carbon block (a fresh [firm, region] array; IEEE addition commutes)
        total = carbon.charges_everywhere(model, sector, direct, power)
        if total.shape == out.shape and total.dtype == np.float64:
            total += out
            return total
        out = out + total
    return out


def profit_parts(model: Sim, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[firm, region] (net revenue after labour, capital cost) firm ``idx`` would have in each region this year
    (million yuan; ``production.profit_parts``), with its carbon and digital running costs where it has any."""
    f, pol = model.firms, model.policy
    s = f.sector[idx]
    charged = f.digital[idx] | carbon.charged(model, s)
    if not charged.any():
        return production.profit_parts(model, idx)
    if charged.all():  # (every firm, when power's carbon cost is passed through): no zeros block to scatter into
        charges = charges_everywhere(model, s, f.digital[idx], carbon.direct_effective(f)[idx], f.power_use[idx])
    else:
        charges = np.zeros((len(idx), model.data.n))
        c = np.flatnonzero(charged)
        d_eff = carbon.direct_effective(f)[idx][c]
        charges[c] = charges_everywhere(model, s[c], f.digital[idx][c], d_eff, f.power_use[idx][c])
    return production.profit_parts(model, idx, charges, overwrite=True)  # charges: this function's temporary


def profit_everywhere(model: Sim, idx: np.ndarray) -> np.ndarray:
    """[firm, region] profit (million yuan) firm ``idx`` would make producing in each region this year."""
    revenue, cost = profit_parts(model, idx)
    return revenue - cost


def gumbel(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Standard Gumbel draws, -ln(-ln U)."""
    u = rng.random(shape)
    # in place: the entrants' [entrant, region] block is ~10 MB, and each fresh temporary of that size is new
    # memory from the system (page faults): ~3x faster, the same numbers
    np.clip(u, 1e-300, 1.0 - 1e-16, out=u)
    np.log(u, out=u)
    np.negative(u, out=u)
    np.log(u, out=u)
    return np.negative(u, out=u)


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


def log_destination_sites(sites_rs: np.ndarray, current: np.ndarray, sector: np.ndarray) -> np.ndarray | None:
    """[firm, region] ln omega_ir, omega_ir = (R - 1) M_rs / sum_{r' != c_i} M_r's (M the 2012 firm count of the
    firm's sector by region: the sites a mover can pick from), 0 on the present region. A region is an
    aggregate of many sites, so its logit utility carries + ln M_r (McFadden 1978; Ben-Akiva and Lerman 1985,
    aggregation of alternatives); normalised over the destinations open to the firm, so the chance of moving
    is unchanged and only where movers go follows the destinations' size. None if the sites are unknown."""
    if sites_rs is None or not np.size(sites_rs):
        return None
    m = np.maximum(np.asarray(sites_rs, dtype=float).T, 1e-9)            # [s, r]
    nr = m.shape[1]
    here = np.eye(nr, dtype=bool)                                        # [c, r]
    others = m.sum(axis=1)[:, None] - m                                  # [s, c]: sites outside c
    table = np.log((nr - 1) * m[:, None, :] / others[:, :, None])        # [s, c, r]
    table = np.where(here[None, :, :], 0.0, table).reshape(-1, nr)
    return table.take(sector.astype(np.intp) * nr + current.astype(np.intp), axis=0)


def horizon(interest: float, exit_hazard: float, persistence: float) -> float:
    """Years over which a profit gap is reaped: 1 / (interest + exit hazard + 1 - persistence)."""
    return 1.0 / (interest + exit_hazard + 1.0 - persistence)


def utilities(profit: np.ndarray, current: np.ndarray, value_added: np.ndarray, sensitivity: float,
              relocation_cost: float, subsidy: np.ndarray, horizon: float, match: np.ndarray | None = None,
              match_weight: float = 0.0, gain_clip: float = 20.0, min_scale: float = 1e-3,
              log_sites: np.ndarray | None = None, *, match_term: np.ndarray | None = None,
              overwrite: bool = False) -> np.ndarray:
    """[region, firm] utilities v_ir (0 for the present region; ``v[r]`` is region r's column). Gains are clipped
    to +/- ``gain_clip`` (location.gain_clip) and measured against at least ``min_scale`` x the mean value added
    (location.min_relative_scale; entrants have no value added yet). ``log_sites`` [firm, region]: the
    destination-size term ln omega_ir (``log_destination_sites``; None: every destination counts alike).

    Formed as one [firm, region] block, in place: ~40k reviewers x 31 regions is ~10 MB, and each fresh
    temporary of that size is new memory from the system. Each element gets the same operations in the same
    order as ``sensitivity * (clip(horizon * (profit - here) / scale) - cost (1 - sub)) + weight * (match -
    m_here) + log_sites`` (a product or a sum with its operands swapped is the same IEEE number). The result is
    the transposed view of that block: ``probabilities`` works on the block itself. ``subsidy`` may be one value
    for every firm and region (the same differences). ``match_term``: ``match_term(match, current, match_weight)``
    if the caller has it (then ``match`` is not read). ``overwrite``: ``profit`` is the caller's temporary, and the
    block is formed in it."""
    n, nr = profit.shape
    scale = np.maximum(value_added, min_scale * max(float(value_added.mean()) if n else 1.0, 1e-9))
    rows, cur = np.arange(n), current.astype(np.intp)
    here = profit[rows, cur][:, None]
    v = np.subtract(profit, here, out=profit if overwrite else None)
    v *= horizon
    v /= scale[:, None]
    np.clip(v, -gain_clip, gain_clip, out=v)
    cost = 1.0 - subsidy
    cost *= relocation_cost
    v -= cost
    v *= sensitivity
    if match_term is not None:
        v += match_term
    elif match is not None:
        v += match_term_of(match, cur, match_weight)
    if log_sites is not None:
        v += log_sites
    v[rows, cur] = 0.0
    return v.T


def match_term(match: np.ndarray, current: np.ndarray, match_weight: float) -> np.ndarray:
    """[firm, region] weight x (m_ir - m_i,here): the match part of the utilities (``utilities``)."""
    return match_term_of(match, current.astype(np.intp), match_weight)


def match_term_of(match: np.ndarray, cur: np.ndarray, match_weight: float) -> np.ndarray:
    m = match - match[np.arange(len(cur)), cur][:, None]
    m *= match_weight
    return m


def probabilities(v, overwrite: bool = False) -> np.ndarray:
    """[firm, region] logit choice probabilities from the utilities ``v[r]`` (``utilities``, or a list of
    per-region columns). ``overwrite``: ``v`` is the caller's temporary, and they are formed in its block."""
    block = v.T if isinstance(v, np.ndarray) else np.column_stack(v)  # [firm, region]
    out = block if overwrite and isinstance(v, np.ndarray) and block.flags.writeable else None
    nr = block.shape[1] if block.ndim == 2 else 0
    if not 1 < nr < 8:
        # a maximum is exact, whatever the order it is taken in
        e = np.subtract(block, block.max(axis=1, keepdims=True), out=out)
        np.exp(e, out=e)
        e /= e.sum(axis=1, keepdims=True)
        return e
    # A few regions: the row maximum and the row sum over the columns (whole columns, ~0.05 ms, instead of ~1.2 and
    # ~0.45 ms for numpy's reductions over short rows at 35 k reviewers x 4 regions). A maximum is exact in any order
    # (a NaN row is left to numpy; only the sign of a zero maximum can differ, and x - (+0) and x - (-0) differ only
    # for x = -0, as +-0, whose exponentials are both 1). numpy sums a row of fewer than 8 values in order
    # (((e0 + e1) + e2) + ...) (the same bits: tests/test_fast_forms_firms.py checks it on this numpy).
    mx = np.maximum(block[:, 0], block[:, 1])
    for r in range(2, nr):  # regions, not agents
        np.maximum(mx, block[:, r], out=mx)
    if np.isnan(mx).any():
        mx = block.max(axis=1)
    e = np.subtract(block, mx[:, None], out=out)
    np.exp(e, out=e)
    tot = e[:, 0] + e[:, 1]
    for r in range(2, nr):
        tot += e[:, r]
    e /= tot[:, None]
    return e


def draw(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    """One destination per firm from its probability row (one uniform per firm)."""
    n, nr = p.shape
    if n == 0:
        return np.zeros(0, dtype=np.int8)
    # running sums column by column (as np.cumsum along the rows adds them) and the count of those below u:
    # whole columns instead of short rows, ~4x faster
    cum = [p[:, 0]]
    for r in range(1, nr):  # regions, not agents
        cum.append(cum[-1] + p[:, r])
    u = rng.random(n) * cum[-1]
    out = np.zeros(n, dtype=np.int8)
    for c in cum[:-1]:
        out += u > c
    return out


def choose(rng: np.random.Generator, profit: np.ndarray, current: np.ndarray, value_added: np.ndarray,
           sensitivity: float, relocation_cost: float, subsidy: np.ndarray, horizon: float = 1.0,
           match: np.ndarray | None = None, match_weight: float = 0.0, *, gain_clip: float = 20.0,
           min_scale: float = 1e-3) -> np.ndarray:
    """Destination per reviewing firm. ``profit``, ``subsidy`` and ``match`` are [firm, region]."""
    if profit.shape[0] == 0:
        return np.zeros(0, dtype=np.int8)
    v = utilities(profit, current, value_added, sensitivity, relocation_cost, subsidy, horizon, match, match_weight,
                  gain_clip, min_scale)
    return draw(rng, probabilities(v))


def flow_bins(sector: np.ndarray, n_regions: int) -> np.ndarray:
    """[firm x region] (flat) the (sector, region) bin of each entry of a [firm, region] block (``expected_flows``)."""
    return (sector.astype(np.intp)[:, None] * n_regions + np.arange(n_regions)).ravel()


def expected_flows(p: np.ndarray, current: np.ndarray, sector: np.ndarray, amount: np.ndarray,
                   n_sectors: int, bins: np.ndarray | None = None) -> np.ndarray:
    """[sector, region] probability-weighted net inflow of ``amount`` (weighted capital or jobs). ``bins``:
    ``flow_bins(sector, n_regions)`` if the caller has it."""
    n, nr = p.shape
    # (P_ir - [r = c_i]) x amount_i: the product everywhere, then the present region's entry redone (the same
    # numbers as subtracting a 0/1 matrix, without forming it)
    rows, cur = np.arange(n), current.astype(np.intp)
    delta = p * amount[:, None]
    delta[rows, cur] = (p[rows, cur] - 1.0) * amount
    # one bincount over the flat (sector, region) bins: like np.add.at it adds the firms in row order from 0,
    # the same sums, ~5x faster
    flat = flow_bins(sector, nr) if bins is None else bins
    return np.bincount(flat, weights=delta.ravel(), minlength=n_sectors * nr).reshape(n_sectors, nr)


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
    v = u.T.take(sector, axis=0)  # [entrant, region]
    v += match  # in place (IEEE addition commutes: the same sums as u.T[sector] + match); match is kept
    region = np.argmax(v, axis=1).astype(np.int8)
    return region, sector, match
