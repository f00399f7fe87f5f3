"""A posterior, not a point: history matching with Gaussian-process emulators (`geese posterior`).

Why history matching and not ABC-SMC. One parameter set costs ~5-10 s of wall time at scale small with
4 seeds on 2 cores, so a 90-minute budget buys ~500-1,000 model evaluations. ABC-SMC (pyabc) needs
thousands to tens of thousands of simulations for a dozen parameters and ~40 summary statistics;
history matching (Craig et al. 1997; Vernon, Goldstein and Bower 2010; Andrianakis et al. 2015 for
individual-based models) spends the simulations on a few waves of designs and lets cheap emulators
rule out the rest of the parameter space.

Wave k:

1. design: wave 1 is a Latin hypercube over the free parameters' bounds (the prior, uniform); later
   waves draw a large Latin hypercube, keep the points not ruled out yet (NROY) by every earlier wave's
   emulators, and take a maximin subset;
2. run: every point runs the same seeds 0..S-1 (common random numbers) on the runner's pool;
3. emulate: one GP per moment (scikit-learn, anisotropic RBF + white noise, inputs scaled to [0, 1]),
   fitted to the seed mean; the white-noise term absorbs the seed noise;
4. implausibility of x for moment j:  I_j(x) = d_j(x) / sqrt(Var_em,j(x) + Var_obs,j + Var_seed,j / S)
   with d_j the distance from the requirement: |E f_j(x) - target| for values (Var_obs = (tol/2)^2),
   the distance outside the bound for bounds and ordinals (Var_obs = scale^2). x is NROY when at most one
   in ten moments has I_j above ``cutoff`` (3, Pukelsheim's three-sigma rule; Vernon et al. 2010 let the
   second or third largest decide; one in ten matches the pass rule's 90% of seed moments). A moment no
   point reaches gets a model-discrepancy variance that puts its best point at the cutoff (structural miss,
   reported), so one unreachable moment cannot rule out the whole space.

Posterior. The target density over NROY is the prior (uniform) times the emulator likelihood
L(x) = prod_value N(target; mu_j, V_j) * prod_bound P(requirement met | mu_j, V_j) (a probit for
bounds and ordinals). The draws come from Metropolis chains on the emulators, started by sampling
importance resampling from a Latin hypercube (``sample_posterior``: resampling alone left ~5 effective
points of a peaked likelihood). The sample is committed (``calibration/posterior.csv``) with its
diagnostics: the acceptance path (share of the prior space still NROY after each wave, runs per wave)
and the marginal plots. ``calibration/params.yaml`` gets the posterior mean.

Checkpoint: every batch of runs is appended to ``calibration/.posterior-checkpoint.json``; `--resume`
reloads it and recomputes the same designs (seeded), so only the missing runs are made. Emulators are
refitted per wave, warm-started from the last wave's hyperparameters, in parallel over the moments.
"""

from __future__ import annotations

import json
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .targets import Moment, Targets, bounds_of

CUTOFF = 3.0
# Shortest GP length scale (unit cube). A few hundred runs in ~14 dimensions put ~1.5 design points along
# each axis; a shorter scale than this fits seed noise as signal and makes the emulator posterior rugged.
LENGTH_SCALE_MIN = 0.15
DESIGN_SEED = 20120101

# simulate(list of parameter dicts) -> one [seed, moment] array (or None for a failed model) per dict
Simulator = Callable[[list[dict[str, float]]], list[np.ndarray | None]]


# --------------------------------------------------------------------------------------------- designs

def lhs(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """[n, d] Latin hypercube in the unit cube."""
    u = (rng.permuted(np.tile(np.arange(n), (d, 1)), axis=1).T + rng.random((n, d))) / n
    return u


def maximin_subset(points: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Greedy maximin subset of ``n`` rows (spread-out design inside an irregular NROY region)."""
    if len(points) <= n:
        return points
    chosen = [int(rng.integers(len(points)))]
    d2 = ((points - points[chosen[0]]) ** 2).sum(axis=1)
    for _ in range(n - 1):
        k = int(np.argmax(d2))
        chosen.append(k)
        d2 = np.minimum(d2, ((points - points[k]) ** 2).sum(axis=1))
    return points[chosen]


# --------------------------------------------------------------------------------------------- emulators

@dataclass
class Emulator:
    """GPs of the seed-mean moments over the unit cube, one per moment (None: not emulated)."""

    gps: list
    seed_var: np.ndarray      # [moment] mean seed variance of one run's moments
    seeds: int
    discrepancy: np.ndarray | None = None  # [moment] model-discrepancy variance (structural misses), else 0
    _stacked: list | None = field(default=None, repr=False, compare=False)

    def predict(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """[n, moment] emulator mean and variance (NaN where a moment is not emulated).

        The GPs' predictive mean and variance (Rasmussen and Williams 2006, alg. 2.1, as scikit-learn's
        ``predict(return_std=True)`` computes them, to rounding), for all moments at once: the moments whose GPs
        share their training inputs are stacked, so one call costs a few array operations instead of one
        scikit-learn call per moment (the posterior sampler makes ~10^4 calls)."""
        u = np.atleast_2d(np.asarray(u, float))
        mu = np.full((len(u), len(self.gps)), np.nan)
        var = np.full_like(mu, np.nan)
        for g in self._stack():
            for a in range(0, len(u), 512):  # [moment, point, train] blocks of bounded memory
                z = u[None, a : a + 512] / g["ls"][:, None, :]
                sq = (z**2).sum(-1)[:, :, None] + g["xs2"][:, None, :] - 2.0 * z @ g["xs"].transpose(0, 2, 1)
                kt = g["c"][:, None, None] * np.exp(-0.5 * np.maximum(sq, 0.0))
                m = np.einsum("mnt,mt->mn", kt, g["alpha"])
                v = g["linv"] @ kt.transpose(0, 2, 1)
                s2 = np.maximum(g["c"][:, None] + g["noise"][:, None] - (v**2).sum(axis=1), 0.0)
                mu[a : a + 512, g["js"]] = (m * g["ystd"][:, None] + g["ymean"][:, None]).T
                var[a : a + 512, g["js"]] = (s2 * g["ystd"][:, None] ** 2).T
        return mu, var

    def _stack(self) -> list[dict]:
        if self._stacked is None:
            from scipy.linalg import solve_triangular

            groups: dict = {}
            for j, gp in enumerate(self.gps):
                if gp is not None:
                    groups.setdefault((gp.X_train_.shape, gp.X_train_.tobytes()), []).append(j)
            self._stacked = []
            for js in groups.values():
                gps = [self.gps[j] for j in js]
                x = gps[0].X_train_
                ls = np.array([np.broadcast_to(g.kernel_.k1.k2.length_scale, (x.shape[1],)) for g in gps], float)
                xs = x[None] / ls[:, None, :]
                self._stacked.append({
                    "js": np.array(js), "ls": ls, "xs": xs, "xs2": (xs**2).sum(-1),
                    "c": np.array([g.kernel_.k1.k1.constant_value for g in gps], float),
                    "noise": np.array([g.kernel_.k2.noise_level for g in gps], float),
                    "alpha": np.array([np.ravel(g.alpha_) for g in gps]),
                    "linv": np.array([solve_triangular(g.L_, np.eye(len(x)), lower=True) for g in gps]),
                    "ystd": np.array([float(np.ravel(g._y_train_std)[0]) for g in gps]),
                    "ymean": np.array([float(np.ravel(g._y_train_mean)[0]) for g in gps])})
        return self._stacked

    def __getstate__(self):  # the stacked arrays are a cache: not pickled (joblib, checkpoints)
        return {**self.__dict__, "_stacked": None}


def _fit_one(u: np.ndarray, y: np.ndarray, theta: np.ndarray | None):
    """One GP of one moment (None when the moment is constant or too sparse to emulate). ``theta``: the
    previous wave's fitted log-hyperparameters, the optimiser's start (warm start, no restart)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    d = u.shape[1]
    ok = np.isfinite(y)
    if ok.sum() < max(5, d + 2) or np.ptp(y[ok]) <= 1e-12 * max(1.0, abs(y[ok]).max()):
        return None
    kernel = (ConstantKernel(1.0, (1e-3, 1e3)) * RBF(np.full(d, 0.5), (LENGTH_SCALE_MIN, 20.0))
              + WhiteKernel(0.05, (1e-6, 1.0)))
    restarts = 1
    if theta is not None and len(theta) == len(kernel.theta):
        kernel = kernel.clone_with_theta(np.clip(theta, *kernel.bounds.T))
        restarts = 0
    gp = GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=restarts, random_state=DESIGN_SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gp.fit(u[ok], y[ok])
    return gp


def fit_emulator(u: np.ndarray, sims: Sequence[np.ndarray], seeds: int, previous: "Emulator | None" = None,
                 jobs: int = 1) -> Emulator:
    """One GP per moment on the seed means; moments constant or non-finite across the design are skipped.

    ``previous``: the last wave's emulator; its fitted hyperparameters start each moment's optimiser (one
    start instead of two; the fits of a 400-point design in 14 dimensions are minutes otherwise).
    ``jobs`` > 1 fits the moments in parallel processes (the model's workers are idle between waves); the
    result does not depend on it."""
    means = np.array([s.mean(axis=0) for s in sims])
    svar = np.array([s.var(axis=0, ddof=1) if len(s) > 1 else np.zeros(s.shape[1]) for s in sims])
    thetas = [None] * means.shape[1]
    if previous is not None:
        thetas = [None if g is None else g.kernel_.theta for g in previous.gps]
    if jobs > 1:
        from joblib import Parallel, delayed

        gps = Parallel(n_jobs=jobs, backend="loky")(delayed(_fit_one)(u, means[:, j], thetas[j])
                                                    for j in range(means.shape[1]))
    else:
        gps = [_fit_one(u, means[:, j], thetas[j]) for j in range(means.shape[1])]
    seed_var = np.nanmean(np.where(np.isfinite(svar), svar, np.nan), axis=0)
    return Emulator(list(gps), np.nan_to_num(seed_var), seeds)


def distance(m: Moment, mu: np.ndarray) -> np.ndarray:
    """Signed distance from the requirement: value: mu - target; bound/ordinal: excess (> 0 is a breach)."""
    if m.kind == "value":
        return mu - m.target  # type: ignore[operator]
    if m.kind == "bound":
        parts = []
        if m.upper is not None:
            parts.append(mu - m.upper)
        if m.lower is not None:
            parts.append(m.lower - mu)
        return np.max(parts, axis=0)
    return -mu


def obs_var(m: Moment) -> float:
    return (m.tolerance / 2.0) ** 2 if m.kind == "value" else m.scale**2  # type: ignore[operator]


def _disc(em: Emulator, j: int) -> float:
    return 0.0 if em.discrepancy is None else float(em.discrepancy[j])


def implausibility(t: Targets, em: Emulator, u: np.ndarray,
                    pred: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """[n, moment] implausibility (0 where a moment is met or not emulated, or has no weight)."""
    mu, var = em.predict(u) if pred is None else pred
    out = np.zeros_like(mu)
    for j, m in enumerate(t.moments):
        if em.gps[j] is None or m.weight == 0:
            continue
        v = var[:, j] + obs_var(m) + em.seed_var[j] / em.seeds + _disc(em, j)
        dj = distance(m, mu[:, j])
        out[:, j] = np.abs(dj) / np.sqrt(v) if m.kind == "value" else np.maximum(dj, 0.0) / np.sqrt(v)
    return out


def set_discrepancy(t: Targets, em: Emulator, u: np.ndarray, cutoff: float = CUTOFF) -> list[str]:
    """Structural misses: moments that no point of ``u`` brings within ``cutoff``. Each gets the model
    discrepancy variance that puts its best point at the cutoff (Vernon et al. 2010: the part of the miss
    the parameters cannot reach is model discrepancy, not evidence against every parameter set); without
    it one unreachable moment would rule out the whole space. Returns their ids."""
    em.discrepancy = np.array([m.discrepancy**2 for m in t.moments], float)  # declared in the targets file
    mu, var = em.predict(u)
    imp = implausibility(t, em, u, pred=(mu, var))
    best = imp.min(axis=0)
    missed = []
    for j, m in enumerate(t.moments):
        if best[j] <= cutoff or em.gps[j] is None or m.weight == 0:
            continue
        k = int(np.argmin(imp[:, j]))
        dj = abs(float(distance(m, mu[k : k + 1, j])[0]))
        v = var[k, j] + obs_var(m) + em.seed_var[j] / em.seeds
        em.discrepancy[j] = max((dj / cutoff) ** 2 - v, m.discrepancy**2)
        missed.append(m.id)
    return missed


def allowed_misses(t: Targets) -> int:
    """Moments a point may miss and stay NROY: one in ten (at least one), as the pass rule allows 10% of the
    seed moments to miss (Vernon et al. 2010 use the second or third largest implausibility)."""
    return max(1, int(np.ceil(0.1 * sum(m.weight > 0 for m in t.moments))))


def kth_implausibility(t: Targets, imp: np.ndarray) -> np.ndarray:
    k = min(allowed_misses(t) + 1, imp.shape[1])
    return np.sort(imp, axis=1)[:, -k]


def nroy_mask(t: Targets, ems: Sequence[Emulator], u: np.ndarray, cutoff: float = CUTOFF) -> np.ndarray:
    """Points not ruled out yet by any wave's emulators: at most ``allowed_misses`` moments beyond the cutoff.
    Each wave's emulator sees only the points the earlier ones kept (the same mask, far fewer predictions)."""
    keep = np.ones(len(u), bool)
    for em in ems:
        idx = np.flatnonzero(keep)
        if len(idx) == 0:
            break
        keep[idx] = kth_implausibility(t, implausibility(t, em, u[idx])) <= cutoff
    return keep


def log_likelihood(t: Targets, em: Emulator, u: np.ndarray) -> np.ndarray:
    """Emulator log likelihood of each point: Gaussian for value moments, probit for bounds/ordinals."""
    from scipy.stats import norm

    mu, var = em.predict(u)
    ll = np.zeros(len(u))
    for j, m in enumerate(t.moments):
        if em.gps[j] is None or m.weight == 0:
            continue
        v = var[:, j] + obs_var(m) + em.seed_var[j] / em.seeds + _disc(em, j)
        dj = distance(m, mu[:, j])
        if m.kind == "value":
            ll += m.weight * (-0.5 * dj**2 / v)
        else:
            ll += m.weight * norm.logcdf(-dj / np.sqrt(v))
    return ll


# --------------------------------------------------------------------------------------------- the waves

@dataclass
class Wave:
    design: np.ndarray                      # [n, d] unit-cube points
    results: list[list | None] = field(default_factory=list)  # per point: [seed][moment] or None (failed)
    nroy_share: float = 1.0                 # share of the prior space still NROY before this wave's runs


@dataclass
class HistoryMatch:
    names: list[str]
    bounds: np.ndarray                      # [d, 2]
    waves: list[Wave]
    emulators: list[Emulator]
    posterior_u: np.ndarray                 # [draws, d]
    posterior_weight_ess: float
    nroy_final: float
    wall_seconds: float
    stopped_early: bool = False
    structural_misses: list[str] = field(default_factory=list)  # moments no parameter set reaches (last wave)
    sampler: dict = field(default_factory=dict)  # the posterior sampler's diagnostics (ESS, R-hat, acceptance)

    def to_params(self, u: np.ndarray) -> np.ndarray:
        lo, hi = self.bounds[:, 0], self.bounds[:, 1]
        return lo + u * (hi - lo)

    @property
    def posterior(self) -> np.ndarray:
        return self.to_params(self.posterior_u)

    def runs(self) -> int:
        return sum(len(w.results) for w in self.waves)


def min_budget(d: int) -> int:
    return 2 * (d + 3)


def budget_split(budget: int, waves: int) -> list[int]:
    """Half the budget to the space-filling first wave, the rest in equal later waves."""
    if waves <= 1:
        return [budget]
    first = max(budget // 2, 1)
    rest = budget - first
    per = [rest // (waves - 1)] * (waves - 1)
    per[-1] += rest - sum(per)
    return [first] + per


def history_match(t: Targets, simulate: Simulator, *, budget: int, waves: int = 3, seeds: int = 4,
                  draws: int = 200, batch: int = 8, checkpoint: list[dict] | None = None,
                  on_batch: Callable[[list[Wave]], None] | None = None, candidates: int = 20000,
                  cutoff: float = CUTOFF, time_limit: float | None = None, jobs: int = 1) -> HistoryMatch:
    """Run the waves, fit the emulators, and resample a posterior; ``simulate`` runs parameter sets.

    ``checkpoint`` holds the waves of an interrupted run (designs and results); designs are recomputed
    from the same seeds, so only the runs not in it are made. ``on_batch(waves)`` is called after every
    batch (to write the checkpoint). ``time_limit`` (seconds): no new batch starts after it; the waves
    done so far make the posterior (``HistoryMatch.stopped_early`` says so).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # small dense algebra: BLAS threads only contend with the model's workers
        return _history_match(t, simulate, budget=budget, waves=waves, seeds=seeds, draws=draws, batch=batch,
                              checkpoint=checkpoint, on_batch=on_batch, candidates=candidates, cutoff=cutoff,
                              time_limit=time_limit, jobs=jobs)


def _history_match(t: Targets, simulate: Simulator, *, budget: int, waves: int, seeds: int, draws: int, batch: int,
                   checkpoint: list[dict] | None, on_batch: Callable[[list[Wave]], None] | None, candidates: int,
                   cutoff: float, time_limit: float | None, jobs: int = 1) -> HistoryMatch:
    t0 = time.perf_counter()
    names = [fp.name for fp in t.free_parameters]
    bounds = np.array(bounds_of(t), float)
    d = len(names)
    if budget < min_budget(d):
        from ..errors import InputError

        raise InputError("--budget", None, budget, f"at least {min_budget(d)} parameter sets for {d} free parameters "
                         f"(the first wave must exceed {d + 2} points to fit the emulators)")
    lo, hi = bounds[:, 0], bounds[:, 1]
    saved = list(checkpoint or [])
    done: list[Wave] = []
    ems: list[Emulator] = []
    for k, n in enumerate(budget_split(budget, waves)):
        rng = np.random.default_rng([DESIGN_SEED, k])
        share = 1.0
        if k == 0:
            design = lhs(n, d, rng)
        else:
            pool = lhs(candidates, d, rng)
            keep = nroy_mask(t, ems, pool, cutoff)
            share = float(keep.mean())
            if keep.sum() < n:  # NROY nearly empty: take the least implausible candidates
                score = np.max([kth_implausibility(t, implausibility(t, em, pool)) for em in ems], axis=0)
                keep = np.zeros(len(pool), bool)
                keep[np.argsort(score)[: max(n * 5, n)]] = True
            design = maximin_subset(pool[keep], n, rng)
        wave = Wave(design=design, nroy_share=share)
        if k < len(saved) and np.allclose(np.array(saved[k]["design"]), design):
            wave.results = list(saved[k]["results"])
        stopped = False
        while len(wave.results) < len(design):
            n_done = sum(len(w.results) for w in done) + len(wave.results)
            if time_limit is not None and time.perf_counter() - t0 > time_limit and n_done >= min_budget(d):
                stopped = True
                wave.design = design[: len(wave.results)]
                break
            chunk = design[len(wave.results) : len(wave.results) + batch]
            sims = simulate([dict(zip(names, map(float, lo + x * (hi - lo)))) for x in chunk])
            wave.results += [None if s is None else np.asarray(s).tolist() for s in sims]
            if on_batch is not None:
                on_batch(done + [wave])
        if len(wave.results):
            done.append(wave)
        u = np.vstack([w.design for w in done])
        res = [r for w in done for r in w.results]
        ok = [i for i, r in enumerate(res) if r is not None]
        if len(ok) < 5:
            raise RuntimeError(f"only {len(ok)} of {len(res)} model runs succeeded; cannot emulate")
        ems.append(fit_emulator(u[ok], [np.asarray(res[i], float) for i in ok], seeds,
                                previous=ems[-1] if ems else None, jobs=jobs))
        structural = set_discrepancy(t, ems[-1], lhs(candidates, d, np.random.default_rng([DESIGN_SEED, 50 + k])),
                                     cutoff)
        if stopped:
            break
    # posterior: MCMC over NROY on the last (most accurate) emulator
    rng = np.random.default_rng([DESIGN_SEED, 99])
    u_post, ess, nroy_final, sampler = sample_posterior(t, ems, d, draws, candidates, cutoff, rng)
    return HistoryMatch(names, bounds, done, ems, u_post, ess, nroy_final, time.perf_counter() - t0,
                        stopped_early=stopped, structural_misses=structural, sampler=sampler)


def _ess_1d(chains: np.ndarray) -> float:
    """Effective sample size of one parameter over [chain, step] draws: per chain n / (1 + 2 sum rho_k),
    the autocorrelations summed in pairs while positive (Geyer 1992's initial positive sequence)."""
    total = 0.0
    for c in chains:
        n = len(c)
        x = c - c.mean()
        v = float(x @ x) / n
        if n < 4 or v <= 0:
            total += n if v > 0 else 1.0
            continue
        f = np.fft.rfft(x, 2 * n)
        acf = np.fft.irfft(f * np.conj(f))[:n] / (n * v)
        tau = -1.0
        for k in range(0, n - 1, 2):
            pair = acf[k] + acf[k + 1]
            if pair <= 0:
                break
            tau += 2.0 * pair
        total += min(float(n), n / max(tau, 1e-9))
    return total


def split_rhat(chains: np.ndarray) -> float:
    """Split R-hat (Gelman et al. 2013) of one parameter over [chain, step] draws.

    What it means here: each chain's kept half is split in two; R-hat compares the variance between these
    half-chains with the variance within them. 1 means every half-chain explores the same distribution; 1.26
    means the spread between half-chains is ~60% of the spread within them (R-hat^2 - 1), i.e. the chains have
    not yet forgotten where they started, so quantiles of the pooled draws are still partly set by the start.
    Below 1.1 (Gelman et al. 2013) or 1.01 (Vehtari et al. 2021) the posterior sample is a fair summary of the
    emulator posterior. It says nothing about the emulator's fit to the model (the waves and the validation
    report check that)."""
    n = chains.shape[1] // 2
    if n < 2:
        return float("nan")
    halves = np.vstack([chains[:, :n], chains[:, n : 2 * n]])
    w = halves.var(axis=1, ddof=1).mean()
    b = n * halves.mean(axis=1).var(ddof=1)
    return float(np.sqrt(((n - 1) / n * w + b / n) / w)) if w > 0 else float("nan")


def rank_rhat(chains: np.ndarray) -> float:
    """Rank-normalised split R-hat (Vehtari, Gelman, Simpson, Carpenter and Buerkner 2021): the split R-hat of the
    normal scores of the pooled ranks, and of the folded draws |x - median| (spread), whichever is larger.
    Robust to heavy tails and to a posterior piled against a bound of the prior box."""
    from scipy.stats import norm, rankdata

    def z(x: np.ndarray) -> np.ndarray:
        r = rankdata(x.ravel()).reshape(x.shape)
        return norm.ppf((r - 0.375) / (x.size + 0.25))

    return max(split_rhat(z(chains)), split_rhat(z(np.abs(chains - np.median(chains)))))


def sample_posterior(t: Targets, ems: Sequence[Emulator], d: int, draws: int, candidates: int, cutoff: float,
                     rng: np.random.Generator, chains: int | None = None,
                     steps: int | None = None) -> tuple[np.ndarray, float, float, dict]:
    """Posterior draws in the unit cube: target density prior (uniform) x NROY x emulator likelihood.

    A likelihood over ~40 moments is peaked, so resampling a uniform pool (sampling importance resampling)
    leaves a handful of effective points. Instead: SIR over a Latin hypercube starts ``chains`` Markov chains; the
    emulators make every step cheap. Each step updates one half of the chains, then the other (the red-blue
    scheme of Foreman-Mackey et al. 2013, so a chain's proposal never depends on its own current state through
    the others: the joint chain keeps detailed balance), each chain by one of two symmetric proposals, chosen at
    random:

    * differential evolution (ter Braak 2006; ter Braak and Vrugt 2008): x + gamma (x_a - x_b) + e, with x_a, x_b
      two chains of the other half, gamma = 2.38 / sqrt(2 d) (gamma = 1 every tenth step, to jump between
      modes), e ~ N(0, 1e-4^2): the proposals take the shape and scale of the posterior from the chains, with
      no covariance to estimate (correlated, ridge-shaped posteriors of collinear parameters);
    * a Gaussian random walk with covariance 2.38^2/d x the chains' covariance, adapted during the first half
      of the steps (Haario et al. 2001; Roberts and Rosenthal 2001).

    The first half of the steps is discarded; the second halves are the draws. Diagnostics: the effective
    sample size (smallest over the parameters; autocorrelation, Geyer's initial positive sequence), the split
    R-hat and the rank-normalised split R-hat (largest over the parameters; see ``split_rhat`` for what they
    mean), the acceptance rate and the SIR effective size of the starting pool.
    Returns draws, ESS, NROY share of the prior, diagnostics."""
    pool = lhs(candidates * 2, d, rng)
    keep = nroy_mask(t, ems, pool, cutoff)
    nroy_final = float(keep.mean())
    restrict = keep.sum() >= 50  # else NROY is (nearly) empty: the whole box (with model discrepancy)
    x0 = pool[keep] if restrict else pool
    ll0 = log_likelihood(t, ems[-1], x0)
    w = np.exp(ll0 - ll0.max())
    w /= w.sum()
    sir_ess = float(1.0 / (w**2).sum())

    def logpost(x: np.ndarray) -> np.ndarray:
        out = np.full(len(x), -np.inf)
        ok = np.all((x >= 0.0) & (x <= 1.0), axis=1)
        if restrict and ok.any():
            ok[ok] = nroy_mask(t, ems, x[ok], cutoff)
        if ok.any():
            out[ok] = log_likelihood(t, ems[-1], x[ok])
        return out

    if chains is None:  # differential evolution wants more chains than dimensions (ter Braak 2006: 2 d)
        chains = max(16, 2 * d + 4)
    chains += chains % 2
    cur = x0[rng.choice(len(x0), size=chains, replace=True, p=w)]
    cur_lp = logpost(cur)
    mean = w @ x0
    cov = ((x0 - mean) * w[:, None]).T @ (x0 - mean)
    cov = cov + np.eye(d) * max(1e-6, 1e-2 * float(np.trace(cov)) / d) if np.trace(cov) > 0 else np.eye(d) * 1e-3
    scale = 2.38**2 / d
    if steps is None:  # mixing time grows about linearly with the dimension. On the session-3 emulators (d = 14,
        # 32 chains) 3,000 steps left split R-hat at 1.17 and 6,000 at 1.07 (133 s CPU): the emulators cost no runs
        steps = min(6000, 400 * (d + 1))
    burn = steps // 2
    trace = np.empty((steps, chains, d))
    accepted = 0
    halves = (np.arange(chains) % 2 == 0, np.arange(chains) % 2 == 1)
    for k in range(steps):
        if 0 < k < burn and k % 50 == 0 and k >= 100:
            past = trace[k // 2 : k].reshape(-1, d)
            cov = np.cov(past.T) + np.eye(d) * 1e-8
        chol = np.linalg.cholesky(scale * cov)
        gamma = 1.0 if k % 10 == 9 else 2.38 / np.sqrt(2 * d)
        for active in halves:
            idx = np.flatnonzero(active)
            other = np.flatnonzero(~active)
            n = len(idx)
            a = rng.integers(len(other), size=n)
            b = (a + 1 + rng.integers(len(other) - 1, size=n)) % len(other)  # b != a
            de = cur[idx] + gamma * (cur[other[a]] - cur[other[b]]) + 1e-4 * rng.standard_normal((n, d))
            rw = cur[idx] + rng.standard_normal((n, d)) @ chol.T
            prop = np.where((rng.random(n) < 0.5)[:, None], de, rw)
            lp = logpost(prop)
            take = np.log(rng.random(n)) < lp - cur_lp[idx]
            cur[idx[take]], cur_lp[idx[take]] = prop[take], lp[take]
            if k >= burn:
                accepted += int(take.sum())
        trace[k] = cur
    kept = trace[burn:].transpose(1, 0, 2)  # [chain, step, d]
    ess = min(_ess_1d(kept[:, :, i]) for i in range(d))
    rhat = max(split_rhat(kept[:, :, i]) for i in range(d))
    rr = [rank_rhat(kept[:, :, i]) for i in range(d)]
    rrhat = max(rr)
    flat = kept.reshape(-1, d)
    idx = rng.choice(len(flat), size=draws, replace=len(flat) < draws)
    diag = {"sampler": "Metropolis on the emulator posterior: differential-evolution and adaptive random-walk "
                       "proposals, red-blue half updates, started by SIR",
            "chains": chains, "steps": steps, "burn_in": burn,
            "acceptance": round(accepted / max(1, chains * (steps - burn)), 3),
            "ess_min_over_parameters": round(float(ess), 1), "split_rhat_max": round(float(rhat), 3),
            "rank_normalised_split_rhat_max": round(float(rrhat), 3),
            "rank_normalised_split_rhat": [round(float(r), 3) for r in rr], "sir_ess_of_start_pool": round(sir_ess, 1)}
    return flat[idx], ess, nroy_final, diag


def waves_to_json(waves: Sequence[Wave]) -> list[dict]:
    return [{"design": w.design.tolist(), "results": w.results, "nroy_share": w.nroy_share} for w in waves]


# --------------------------------------------------------------------------------------------- posterior files

POSTERIOR_FILE = "posterior.csv"


def write_posterior(path: Path, hm: HistoryMatch) -> None:
    """``draw, <parameter>...``: the resampled posterior, one row per draw, in random order."""
    import pandas as pd

    df = pd.DataFrame(hm.posterior, columns=hm.names)
    df.insert(0, "draw", np.arange(len(df)))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    df.to_csv(tmp, index=False, float_format="%.6g")
    tmp.replace(path)


def read_posterior(path: Path, n: int | None = None) -> list[dict[str, float]]:
    """The first ``n`` draws (all when None) as parameter dicts."""
    import pandas as pd

    from ..errors import InputError

    if not Path(path).is_file():
        raise InputError(str(path), None, "--param-draws",
                         "a posterior sample (run `geese posterior` first; see README, Calibration)")
    df = pd.read_csv(path)
    if "draw" not in df.columns or len(df) == 0:
        raise InputError(str(path), "draw", None, "a CSV with a draw column and one column per parameter")
    if n is not None and n > len(df):
        raise InputError("--param-draws", None, n, f"at most {len(df)} (the draws in {path})")
    df = df.drop(columns="draw").head(n if n is not None else len(df))
    return [{k: float(v) for k, v in row.items()} for _, row in df.iterrows()]


def diagnostics(hm: HistoryMatch, t: Targets) -> dict:
    post = hm.posterior
    return {
        "method": "history matching with GP emulators, then MCMC on the emulator posterior (see model/calibration/history.py)",
        "free_parameters": hm.names,
        "bounds": hm.bounds.tolist(),
        "waves": [{"runs": len(w.results), "failed": sum(r is None for r in w.results),
                   "nroy_share_before": round(w.nroy_share, 5)} for w in hm.waves],
        "nroy_share_final": round(hm.nroy_final, 5),
        "posterior_basis": ("points not ruled out (NROY)" if hm.nroy_final * 40000 >= 50 else
                            "NROY (nearly) empty: no parameter set meets 90% of the moments; the posterior weights "
                            "the whole prior box by the emulator likelihood (with model discrepancy)"),
        "draws": len(post),
        "effective_sample_size": round(hm.posterior_weight_ess, 1),
        "posterior_sampler": {**hm.sampler, **({"rank_normalised_split_rhat": dict(zip(
            hm.names, hm.sampler["rank_normalised_split_rhat"]))} if "rank_normalised_split_rhat" in hm.sampler else {})},
        "posterior_mean": dict(zip(hm.names, map(float, post.mean(axis=0)))),
        "posterior_p05": dict(zip(hm.names, map(float, np.quantile(post, 0.05, axis=0)))),
        "posterior_p95": dict(zip(hm.names, map(float, np.quantile(post, 0.95, axis=0)))),
        "wall_seconds": round(hm.wall_seconds, 1),
        "stopped_early_by_time_limit": hm.stopped_early,
        "structural_misses": hm.structural_misses,
        "runs": hm.runs(),
        "moments": [m.id for m in t.moments],
    }


def plot_posterior(path: Path, hm: HistoryMatch) -> None:
    """Acceptance path (NROY share by wave) and the marginal of every free parameter over its prior range."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = len(hm.names)
    cols = 4
    rows = 1 + math.ceil(d / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows), dpi=110)
    axes = np.atleast_2d(axes)
    ax = axes[0, 0]
    shares = [max(w.nroy_share, 1e-5) for w in hm.waves] + [max(hm.nroy_final, 1e-5)]
    ax.plot(range(1, len(shares) + 1), shares, "o-", color="#1f77b4")
    ax.set_ylim(5e-6, 2.0)
    ax.set_yscale("log")
    ax.set_xticks(range(1, len(shares) + 1), [f"w{i + 1}" for i in range(len(hm.waves))] + ["post"])
    ax.set_title("acceptance path: NROY share of prior", fontsize=8)
    ax.tick_params(labelsize=7)
    ax = axes[0, 1]
    ax.bar(range(1, len(hm.waves) + 1), [len(w.results) for w in hm.waves], color="#7f7f7f")
    ax.set_xticks(range(1, len(hm.waves) + 1), [f"w{i + 1}" for i in range(len(hm.waves))])
    ax.set_title("model runs (parameter sets) by wave", fontsize=8)
    ax.tick_params(labelsize=7)
    for a in axes[0, 2:]:
        a.axis("off")
    if hm.structural_misses:
        axes[0, 2].text(0, 1, "structural misses (model discrepancy):\n" + "\n".join(hm.structural_misses[:14]),
                        va="top", fontsize=6, transform=axes[0, 2].transAxes)
    post = hm.posterior
    for i, name in enumerate(hm.names):
        a = axes[1 + i // cols, i % cols]
        lo, hi = hm.bounds[i]
        a.hist(post[:, i], bins=20, range=(lo, hi), color="#2ca02c", alpha=0.7, density=True)
        a.axhline(1.0 / (hi - lo), color="black", lw=0.8, ls="--")
        a.set_xlim(lo, hi)
        a.set_title(name, fontsize=7)
        a.tick_params(labelsize=6)
        a.set_yticks([])
    for j in range(d, (rows - 1) * cols):
        axes[1 + j // cols, j % cols].axis("off")
    fig.suptitle("Posterior (green) against the uniform prior (dashed)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def to_json(path: Path, doc: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
