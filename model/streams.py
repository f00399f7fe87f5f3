"""Counter-based random streams keyed on agents: common random numbers (CRN) across scenarios.

Why. A run's seed alone does not couple two scenarios. If every mechanism takes its draws from one model-wide
``numpy`` Generator by array position, one changed decision (one firm more exits, one more adopts) shifts every
later draw to other agents, and the baseline and the scenario with the "same seed" drift apart: the paired policy
effect (scenario - baseline, same seed) is then mostly noise (Law 2015, sec. 11.2 on CRN; Glasserman and Yao 1992
on synchronisation). The standard cure is to give every random decision its own stream and every agent its own
place in it, so a draw depends on *who* and *what*, not on *how many came before*.

How. A draw is a pure function of (root key, year, stream, agent uid[, column]) - a counter-based generator in
the sense of Salmon et al. (2011, "Parallel random numbers: as easy as 1, 2, 3", the Random123/Philox family):

    base   = fmix64(root ^ fmix64(hash(stream) + year * G + 1))          (one Python int per call)
    x_i    = fmix64(uid_i * G  XOR  base)                                 (vectorised uint64, per agent)
    u_i    = (x_i >> 12) * 2^-52 + 2^-53          in (0, 1), never 0 or 1

``fmix64`` is MurmurHash3's 64-bit finaliser (Appleby 2011: xor-shift 33, multiply, xor-shift 33, multiply,
xor-shift 33), a bijection with full avalanche; ``G`` = 0x9E3779B97F4A7C15 is the golden-ratio increment of
splitmix64 (Steele, Lea and Flood 2014). ``hash(stream)`` is the first 8 bytes of BLAKE2b of the stream name
(stable across processes and Python versions). The root key comes from the run's seed (``root_key``) through
``numpy.random.SeedSequence``, so replicates are as independent as the model Generator's streams. Columns
(e.g. one match per region) use ``base`` of ``stream#j``. The arithmetic runs in blocks of 2^15 values (cache
sized), a few in-place uint64 operations per value.

Continuous draws are inverse-CDF transforms of one keyed uniform (monotone, so a policy that changes a
probability or a scale moves the outcome of an agent smoothly): normal ``ndtri(u)``, Laplace(0, b)
``b ln 2u`` (u < 1/2) or ``-b ln 2(1-u)``, lognormal ``exp(mu + sigma ndtri(u))``. Bernoulli decisions are
``u_i < p_i``: agent i's luck in year t is the same in every scenario whatever happened to others.

Entrants. Agents born during a run get ``slot_ids``: (year, group, rank within group) packed into the uid,
e.g. "the 37th firm entrant of sector 2 in 2027", rather than the next value of a global counter. With a global
counter one extra entrant in 2020 would shift every later entrant's uid, and with it all their luck; with slot
ids the k-th entrant of a group keeps its identity (and its draws) in every scenario, and only the marginal
entrants (rank >= the smaller of the two counts) differ. Slot ids increase within a year when the groups come in
order and across years, and start above every 2012 uid (< 2^28).

Aggregate counts (entrants per sector, newcomers per region) are drawn from keyed uniforms too, by inverse CDF
(Poisson quantile; stochastic rounding ``floor(x + u)``), keyed on (year, stream, group index), so a policy that
raises an expected count raises the drawn count monotonically instead of re-drawing it.

The 2012 set-up (``init`` functions) keeps the model Generator: the 2012 state is the sourced data and does not
depend on a scenario. See model/ODD.md, "Stochasticity".
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np
from scipy.special import ndtri
from scipy.stats import poisson as _poisson

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
C1, C2 = 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53
BLOCK = 1 << 15
YEAR_SHIFT, GROUP_SHIFT = 40, 28        # slot ids: (year - 2000) << 40 | group << 28 | rank
_U_C1, _U_C2, _U_G = np.uint64(C1), np.uint64(C2), np.uint64(GOLDEN)
_S33, _S12 = np.uint64(33), np.uint64(12)
_ONE_BITS = np.uint64(0x3FF0000000000000)  # exponent of 1.0: (x >> 12) | this is a double in [1, 2)


def fmix64(x: int) -> int:
    """MurmurHash3's 64-bit finaliser on a Python int (mod 2^64)."""
    x &= MASK
    x ^= x >> 33
    x = (x * C1) & MASK
    x ^= x >> 33
    x = (x * C2) & MASK
    return x ^ (x >> 33)


@lru_cache(maxsize=4096)
def stream_id(name: str) -> int:
    """A stable 64-bit id of a stream name (BLAKE2b, not Python's salted ``hash``)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


def root_key(seed: int | np.random.SeedSequence) -> int:
    """The run's 64-bit root key from its seed (an int or a SeedSequence, as the model takes)."""
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    # a word pool of its own (the model Generator uses the first words): fold the last two
    w = ss.generate_state(4, np.uint64)
    return fmix64(int(w[2]) ^ fmix64(int(w[3]) ^ 0x5EED5EED5EED5EED))


def base_key(root: int, year: int, stream: str) -> int:
    """The per-call key of (root, year, stream)."""
    return fmix64(root ^ fmix64((stream_id(stream) + int(year) * GOLDEN + 1) & MASK))


def _hash_blocks(uid: np.ndarray, base: int):
    """Yield (start, x) per block of at most BLOCK values: x = the top 52 bits of fmix64(uid * G ^ base), i.e. the
    keyed uniform is (2x + 1) 2^-53. The arithmetic runs in place in two cache-sized buffers."""
    u64 = np.ascontiguousarray(uid, dtype=np.int64).view(np.uint64)
    n = len(u64)
    x_buf = np.empty(min(n, BLOCK), np.uint64)
    t_buf = np.empty_like(x_buf)
    b = np.uint64(base)
    for s in range(0, n, BLOCK):  # blocks of values (cache-sized), not agents
        m = min(BLOCK, n - s)
        x, t = x_buf[:m], t_buf[:m]
        np.multiply(u64[s : s + m], _U_G, out=x)
        x ^= b
        np.right_shift(x, _S33, out=t)
        x ^= t
        x *= _U_C1
        np.right_shift(x, _S33, out=t)
        x ^= t
        x *= _U_C2
        np.right_shift(x, _S33, out=t)
        x ^= t
        np.right_shift(x, _S12, out=x)
        yield s, x


def _uniform_into(uid: np.ndarray, base: int, out: np.ndarray) -> None:
    for s, x in _hash_blocks(uid, base):
        # (x | the exponent of 1.0) is the double 1 + x 2^-52; less 1 - 2^-53 it is (2x + 1) 2^-53, exactly
        x |= _ONE_BITS
        np.subtract(x.view(np.float64), 1.0 - 2.0**-53, out=out[s : s + len(x)])


def thresholds(p) -> np.ndarray:
    """[uint64, the shape of ``p``] K(p) = the number of keyed uniforms below p: ``u < p`` exactly when the hash's
    top 52 bits x are below K(p) (``below``). A keyed uniform is u = (2x + 1) 2^-53, x in [0, 2^52), so u < p
    <=> x < (p 2^53 - 1) / 2 <=> x < K = ceil((p 2^53 - 1) / 2), clamped to [0, 2^52]; NaN and p <= 0 give 0 (never),
    p >= 1 gives 2^52 (always), as ``u < p`` does. In doubles this is exact for 0 < p < 1: p 2^53 is a power-of-two
    scaling; P - 1 is exact for P >= 1 (1 is a multiple of P's last place, and |P - 1| < P) and, for P < 1, rounds
    at worst to -1, where ceil((P - 1) / 2) is 0 either way; halving and ceil are exact (tested against exact
    rational arithmetic)."""
    p = np.asarray(p, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        k = np.ceil((p * 2.0**53 - 1.0) * 0.5)
    k = np.where(p >= 1.0, 2.0**52, k)
    k = np.where(p > 0.0, k, 0.0)  # NaN, zeros and negative p: never (after the p >= 1 case: NaN is neither)
    return np.clip(k, 0.0, 2.0**52).astype(np.uint64)


def below(root: int, year: int, stream: str, uid: np.ndarray, threshold, index: np.ndarray | None = None
          ) -> np.ndarray:
    """``uniform(root, year, stream, uid) < p`` (bool, one per uid) for ``threshold = thresholds(p)`` (one per uid,
    or one for all; with ``index``, a table gathered by it: ``threshold[index]``, block by block, never formed for
    every agent): the same decisions, compared as integers block by block without forming the uniforms (no
    [agent] float array written and read again; two passes per value fewer)."""
    uid = np.asarray(uid)
    out = np.empty(len(uid), dtype=bool)
    if len(uid):
        thr = np.asarray(threshold, dtype=np.uint64)
        per_agent = thr.ndim > 0 and index is None
        if index is not None and (thr.ndim != 1 or np.shape(index) != uid.shape):
            raise ValueError(f"below: a table of thresholds and {np.shape(index)} indices for {uid.shape} agents")
        if per_agent and thr.shape != uid.shape:
            raise ValueError(f"below: {thr.shape} thresholds for {uid.shape} agents")
        for s, x in _hash_blocks(uid, base_key(root, year, stream)):
            e = s + len(x)
            np.less(x, thr[s:e] if per_agent else thr if index is None else thr[index[s:e]], out=out[s:e])
    return out


def uniform(root: int, year: int, stream: str, uid: np.ndarray, columns: int | None = None) -> np.ndarray:
    """Keyed U(0,1) draws, one per uid (or [uid, column] with ``columns``), open interval."""
    uid = np.asarray(uid)
    if columns is None:
        out = np.empty(len(uid))
        if len(uid):
            _uniform_into(uid, base_key(root, year, stream), out)
        return out
    out_t = np.empty((columns, len(uid)))
    for j in range(columns):  # columns (regions), not agents
        if len(uid):
            _uniform_into(uid, base_key(root, year, f"{stream}#{j}"), out_t[j])
    return out_t.T.copy()


def normal(root: int, year: int, stream: str, uid: np.ndarray, loc: float = 0.0, scale: float = 1.0) -> np.ndarray:
    """Keyed normal draws by the inverse CDF of keyed uniforms."""
    z = ndtri(uniform(root, year, stream, uid))
    if scale != 1.0:
        z *= scale
    if loc != 0.0:
        z += loc
    return z


def laplace(root: int, year: int, stream: str, uid: np.ndarray, loc: float = 0.0, scale: float = 1.0) -> np.ndarray:
    """Keyed Laplace(loc, scale) draws by the inverse CDF (variance 2 scale^2)."""
    return loc + scale * laplace_unit(uniform(root, year, stream, uid))


def laplace_unit(u: np.ndarray, overwrite: bool = False) -> np.ndarray:
    """The unit Laplace quantile of keyed uniforms, ``np.where(u < 1/2, ln 2u, -ln 2(1 - u))``, with one logarithm
    instead of two and no where: 2(1 - u) is exactly 2 - 2u for u >= 1/2 (Sterbenz), min(2u, 2 - 2u) picks the
    branch, and the sign comes from u - 1/2 (the log is <= 0). The same bits for every keyed uniform: those are odd
    multiples of 2^-53, never 1/2 itself (where this would give +0.0 for -0.0), so the result is never +-0.
    ``overwrite``: ``u`` is the caller's fresh array and may be overwritten (one new array instead of two)."""
    v = 2.0 * u
    t = np.subtract(2.0, v)
    np.minimum(v, t, out=t)
    np.log(t, out=t)
    return np.copysign(t, np.subtract(u, 0.5, out=u if overwrite else None), out=t)


def lognormal(root: int, year: int, stream: str, uid: np.ndarray, mean: float = 0.0,
              sigma: float = 1.0) -> np.ndarray:
    """Keyed lognormal draws: exp(mean + sigma z), z keyed normal."""
    return np.exp(mean + sigma * ndtri(uniform(root, year, stream, uid)))


def poisson(root: int, year: int, stream: str, lam: np.ndarray) -> np.ndarray:
    """Keyed Poisson counts, one per group (the index of ``lam``), by the Poisson quantile of a keyed uniform."""
    lam = np.asarray(lam, float)
    u = uniform(root, year, stream, np.arange(lam.size)).reshape(lam.shape)
    return np.where(lam > 0, _poisson.ppf(u, np.maximum(lam, 1e-300)), 0).astype(np.int64)


def stochastic_round(root: int, year: int, stream: str, x: np.ndarray) -> np.ndarray:
    """floor(x + u) with u keyed on the group index: unbiased rounding, monotone in x."""
    x = np.asarray(x, float)
    return np.floor(x + uniform(root, year, stream, np.arange(x.size)).reshape(x.shape)).astype(np.int64)


def choice(root: int, year: int, stream: str, uid: np.ndarray, p: np.ndarray) -> np.ndarray:
    """One category per uid from probabilities ``p`` (inverse CDF of a keyed uniform)."""
    cum = np.cumsum(np.asarray(p, float))
    u = uniform(root, year, stream, uid) * cum[-1]
    return np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)


def slot_ids(year: int, group: np.ndarray) -> np.ndarray:
    """uids of agents born in ``year``: (year - 2000) << 40 | group << 28 | rank within the group (in order of
    appearance). Increasing when ``group`` is sorted."""
    group = np.asarray(group, np.int64)
    n = len(group)
    if n == 0:
        return np.zeros(0, np.int64)
    if group.min() < 0 or group.max() >= 1 << (YEAR_SHIFT - GROUP_SHIFT):
        raise ValueError(f"slot_ids: group out of range [0, {1 << (YEAR_SHIFT - GROUP_SHIFT)})")
    order = np.argsort(group, kind="stable")
    g = group[order]
    first = np.r_[0, np.flatnonzero(np.diff(g)) + 1]
    start = np.repeat(first, np.diff(np.r_[first, n]))
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n) - start
    return ((int(year) - 2000) << YEAR_SHIFT) | (group << GROUP_SHIFT) | rank


class Keyed:
    """A ``numpy.random.Generator`` look-alike for one (year, stream) and one set of agents: lets helpers that
    take an ``rng`` (and are also used with the model Generator at set-up) draw keyed numbers. ``size`` must be
    ``len(uid)`` or ``(len(uid), m)`` (m columns, e.g. regions). The k-th call on one object uses the stream
    ``stream/k``, so two calls never return the same numbers."""

    def __init__(self, root: int, year: int, stream: str, uid: np.ndarray):
        self.root, self.year, self.stream, self.uid = root, year, stream, np.asarray(uid)
        self.calls = 0

    def _u(self, size) -> np.ndarray:
        shape = (size,) if np.isscalar(size) else tuple(size)
        if shape[0] != len(self.uid) or len(shape) > 2:
            raise ValueError(f"keyed stream {self.stream}: size {shape} does not match {len(self.uid)} agents")
        name = f"{self.stream}/{self.calls}"
        self.calls += 1
        return uniform(self.root, self.year, name, self.uid, shape[1] if len(shape) == 2 else None)

    def random(self, size) -> np.ndarray:
        return self._u(size)

    def below(self, threshold, index: np.ndarray | None = None) -> np.ndarray:
        """``self.random(len(uid)) < p`` for ``threshold = thresholds(p)`` (module ``below``), the same decisions."""
        name = f"{self.stream}/{self.calls}"
        self.calls += 1
        return below(self.root, self.year, name, self.uid, threshold, index)

    def normal(self, loc: float = 0.0, scale: float = 1.0, size=None) -> np.ndarray:
        return loc + scale * ndtri(self._u(size))

    def laplace(self, loc: float = 0.0, scale: float = 1.0, size=None) -> np.ndarray:
        return loc + scale * laplace_unit(self._u(size))

    def lognormal(self, mean: float = 0.0, sigma: float = 1.0, size=None) -> np.ndarray:
        return np.exp(mean + sigma * ndtri(self._u(size)))


def keyed(model, stream: str, uid: np.ndarray) -> Keyed:
    """The keyed generator of ``model``'s run for this year, ``stream`` and the agents ``uid``."""
    return Keyed(model.stream_key, model.year, stream, uid)
