#!/usr/bin/env python3
"""Reference values for Flagstaff's statistics engine (src/stats), computed independently.

Run with the system Python that has Debian's scipy and statsmodels:

    /usr/bin/python3 tests/stats/reference/generate_fixtures.py
    npx prettier --write tests/stats/reference/fixtures.json   # the repository's formatting

It writes fixtures.json next to itself (deterministic: the random generator is seeded). Every case starts from seeded raw per-unit data, reduces
it to the sums the engine takes (n, Σx, Σx², cross sums), and computes the expected results from
the raw data with scipy / statsmodels / numpy rather than re-implementing the TypeScript formulas:

- Welch: scipy.stats.ttest_ind (p-values) and statsmodels CompareMeans (df, intervals);
- binomial: statsmodels test_proportions_2indep (Wald statistic, unpooled p(1-p) variance),
  then Student t with Welch-Satterthwaite df;
- relative effects and ratio metrics: delta method as a gradient quadratic form g' Σ g with
  numpy's covariance matrix; the relative effect's degrees of freedom are Welch's from the two arms'
  variances (the absolute effect's df: statsmodels' from the raw values where there are raw values
  of the analysed quantity), the convention of GrowthBook's gbstats (`TTest.dof`);
- CUPED: statsmodels OLS post ~ 1 + arm + pre (θ and the adjusted effect), then Welch on the
  adjusted raw values;
- sequential: the normal mixture evaluated by numerical integration (scipy.integrate.quad),
  boundaries and p-values found with scipy.optimize.brentq;
- SRM: scipy.stats.chisquare; the Dirichlet-multinomial Bayes factor with scipy.special.gammaln;
- corrections: statsmodels multipletests (holm, fdr_bh); across a family of comparisons, the adjusted
  p-values and the intervals re-formed at the family's level (statsmodels tconfint_diff);
- power: statsmodels NormalIndPower (power; solve_power's roots polished with brentq);
- Bayesian: Gaussian conjugate update, P(win) from scipy.stats.norm, expected loss by quad.
"""
import json
import math
import os

import numpy as np
import scipy
import statsmodels
import statsmodels.api as sm
from scipy import integrate, optimize, special, stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import test_proportions_2indep
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

rng = np.random.default_rng(20261123)
ALT = {"two": "two-sided", "greater": "larger", "less": "smaller"}


def clean(x):
    """JSON-safe: numpy scalars to float, ±inf to None (an unbounded interval side)."""
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean(v) for v in x]
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return None if not math.isfinite(x) else float(x)
    return x


def sums(x):
    x = np.asarray(x, dtype=float)
    return {"n": int(len(x)), "sum": float(x.sum()), "sumSquares": float((x * x).sum())}


def cross(y, x):
    """Σy, Σy², Σx·y for a second per-unit quantity y alongside the metric x."""
    y = np.asarray(y, dtype=float)
    return {"sum": float(y.sum()), "sumSquares": float((y * y).sum()), "sumProduct": float((x * y).sum())}


def t_result(estimate, se, df, alpha, sided):
    t = estimate / se
    if sided == "two":
        p = 2 * stats.t.sf(abs(t), df)
        q = stats.t.ppf(1 - alpha / 2, df)
        return {"pValue": p, "ci": [estimate - q * se, estimate + q * se]}
    q = stats.t.ppf(1 - alpha, df)
    if sided == "greater":
        return {"pValue": stats.t.sf(t, df), "ci": [estimate - q * se, math.inf]}
    return {"pValue": stats.t.cdf(t, df), "ci": [-math.inf, estimate + q * se]}


def satterthwaite(components, ns):
    return sum(components) ** 2 / sum(c * c / (n - 1) for c, n in zip(components, ns))


def delta_relative(mu_a, mu_b, var_mean_a, var_mean_b, df, alpha, sided):
    """(μB−μA)/|μA| by the delta method: gradient of the function times the covariance of the means.
    `df` is Welch's from the arms' variances, as gbstats takes it for the relative effect too."""
    g = np.array([-mu_b * np.sign(mu_a) / mu_a**2, 1 / abs(mu_a)])
    cov = np.diag([var_mean_a, var_mean_b])
    var = float(g @ cov @ g)
    est = (mu_b - mu_a) / abs(mu_a)
    return {"estimate": est, "se": math.sqrt(var), "df": df, **t_result(est, math.sqrt(var), df, alpha, sided)}


def welch_raw(a, b, alpha, sided):
    """Absolute effect of b over a from raw values: statsmodels for df and CI, scipy for the p-value."""
    cm = CompareMeans(DescrStatsW(b), DescrStatsW(a))
    _, p_sm, df = cm.ttest_ind(usevar="unequal", alternative=ALT[sided])
    lo, hi = cm.tconfint_diff(alpha=alpha, usevar="unequal", alternative=ALT[sided])
    p = stats.ttest_ind(b, a, equal_var=False, alternative={"two": "two-sided"}.get(sided, sided)).pvalue
    assert abs(p - p_sm) <= 1e-12 + 1e-9 * p, (p, p_sm)
    se = math.sqrt(np.var(a, ddof=1) / len(a) + np.var(b, ddof=1) / len(b))
    return {"estimate": float(np.mean(b) - np.mean(a)), "se": se, "df": float(df), "pValue": float(p), "ci": [lo, hi]}


def mean_case(name, a, b, alpha, sided):
    absolute = welch_raw(a, b, alpha, sided)
    return {
        "name": name, "kind": "mean", "alpha": alpha, "sided": sided,
        "control": sums(a), "treatment": sums(b),
        "absolute": absolute,
        "relative": delta_relative(np.mean(a), np.mean(b), np.var(a, ddof=1) / len(a),
                                   np.var(b, ddof=1) / len(b), absolute["df"], alpha, sided),
    }


def binomial_case(name, n_a, p_a, n_b, p_b, alpha, sided):
    a = (rng.random(n_a) < p_a).astype(float)
    b = (rng.random(n_b) < p_b).astype(float)
    ca, cb = int(a.sum()), int(b.sum())
    wald = test_proportions_2indep(cb, n_b, ca, n_a, method="wald", compare="diff", correction=False)
    pa, pb = ca / n_a, cb / n_b
    va, vb = pa * (1 - pa) / n_a, pb * (1 - pb) / n_b  # the p(1-p) convention, no n-1
    se = math.sqrt(va + vb)
    est = pb - pa
    assert abs(wald.statistic - est / se) < 1e-9 * max(1, abs(wald.statistic))
    df = satterthwaite([va, vb], [n_a, n_b])
    return {
        "name": name, "kind": "binomial", "alpha": alpha, "sided": sided,
        "control": sums(a), "treatment": sums(b),
        "absolute": {"estimate": est, "se": se, "df": df, **t_result(est, se, df, alpha, sided)},
        "relative": delta_relative(pa, pb, va, vb, df, alpha, sided),
    }


def ratio_arm(num, den):
    """Ratio x̄/ȳ and the delta-method variance of it, from numpy's covariance of (X, Y)."""
    n = len(num)
    r = num.mean() / den.mean()
    g = np.array([1 / den.mean(), -num.mean() / den.mean() ** 2])
    return r, float(g @ np.cov(np.vstack([num, den]), ddof=1) @ g) / n


def ratio_case(name, n_a, n_b, lift, alpha, sided):
    def arm(n, scale):
        sessions = rng.poisson(3, n) + 1.0
        clicks = rng.binomial(sessions.astype(int), min(0.9, 0.3 * scale)).astype(float)
        return clicks, sessions

    xa, ya = arm(n_a, 1)
    xb, yb = arm(n_b, 1 + lift)
    ra, va = ratio_arm(xa, ya)
    rb, vb = ratio_arm(xb, yb)
    se = math.sqrt(va + vb)
    df = satterthwaite([va, vb], [n_a, n_b])
    return {
        "name": name, "kind": "ratio", "alpha": alpha, "sided": sided,
        "control": {**sums(xa), "denominator": cross(ya, xa)},
        "treatment": {**sums(xb), "denominator": cross(yb, xb)},
        "absolute": {"estimate": rb - ra, "se": se, "df": df, **t_result(rb - ra, se, df, alpha, sided)},
        "relative": delta_relative(ra, rb, va, vb, df, alpha, sided),
    }


def welch_cases():
    out = []
    for i, (n_a, n_b, mu_b, sd_b, sided, alpha) in enumerate([
        (5, 8, 12.0, 4.0, "two", 0.05), (50, 40, 10.5, 3.0, "two", 0.05), (1000, 1000, 10.2, 2.5, "two", 0.05),
        (20000, 19800, 10.03, 3.1, "two", 0.01), (300, 320, 10.6, 2.0, "greater", 0.05),
        (300, 320, 9.7, 2.0, "less", 0.1), (2500, 2400, 10.0, 2.0, "two", 0.05),
    ]):
        a = rng.normal(10, 2, n_a)
        b = rng.normal(mu_b, sd_b, n_b)
        out.append(mean_case(f"normal-{i}", a, b, alpha, sided))
    a, b = rng.lognormal(3, 1, 800), rng.lognormal(3.1, 1.1, 820)
    out.append(mean_case("lognormal revenue", a, b, 0.05, "two"))
    a, b = rng.normal(-5, 1, 200), rng.normal(-4.7, 1, 210)
    out.append(mean_case("negative control mean", a, b, 0.05, "two"))
    # Welch df in the millions, where the t distribution must be evaluated carefully
    a, b = rng.normal(50, 20, 1_000_000), rng.normal(50.06, 21, 1_000_000)
    out.append(mean_case("a million units per arm", a, b, 0.05, "two"))
    out.append(binomial_case("binomial, three million units per arm", 3_000_000, 0.05, 3_000_000, 0.0503, 0.05, "two"))
    for i, (n_a, p_a, n_b, p_b, sided, alpha) in enumerate([
        (1000, 0.1, 1000, 0.13, "two", 0.05), (50000, 0.031, 50000, 0.033, "two", 0.05),
        (120, 0.4, 130, 0.5, "greater", 0.05), (8000, 0.2, 8100, 0.19, "less", 0.05),
    ]):
        out.append(binomial_case(f"binomial-{i}", n_a, p_a, n_b, p_b, alpha, sided))
    for i, (n_a, n_b, lift, sided) in enumerate([(500, 520, 0.05, "two"), (5000, 5000, 0.0, "two"), (900, 880, 0.1, "greater")]):
        out.append(ratio_case(f"ratio-{i}", n_a, n_b, lift, 0.05, sided))
    return out


def cuped_cases():
    out = []
    for i, (n_a, n_b, rho, effect, sided) in enumerate([
        (400, 420, 0.7, 0.3, "two"), (3000, 3000, 0.5, 0.05, "two"), (150, 140, 0.9, -0.2, "less"), (2000, 2100, 0.2, 0.1, "greater"),
    ]):
        pre_a, pre_b = rng.normal(20, 5, n_a), rng.normal(20, 5, n_b)
        post_a = 20 + rho * (pre_a - 20) + rng.normal(0, 5 * math.sqrt(1 - rho**2), n_a)
        post_b = 20 + effect * 5 + rho * (pre_b - 20) + rng.normal(0, 5 * math.sqrt(1 - rho**2), n_b)
        post = np.concatenate([post_a, post_b])
        pre = np.concatenate([pre_a, pre_b])
        arm = np.concatenate([np.zeros(n_a), np.ones(n_b)])
        fit = sm.OLS(post, sm.add_constant(np.column_stack([arm, pre]))).fit()
        theta, ancova_effect = float(fit.params[2]), float(fit.params[1])
        adj_a = post_a - theta * (pre_a - pre.mean())
        adj_b = post_b - theta * (pre_b - pre.mean())
        absolute = welch_raw(adj_a, adj_b, 0.05, sided)
        assert abs(absolute["estimate"] - ancova_effect) < 1e-9
        out.append({
            "name": f"cuped-{i}", "kind": "mean", "alpha": 0.05, "sided": sided,
            "control": {**sums(post_a), "pre": cross(pre_a, post_a)},
            "treatment": {**sums(post_b), "pre": cross(pre_b, post_b)},
            "theta": theta,
            "adjustedMeans": [float(adj_a.mean()), float(adj_b.mean())],
            "absolute": absolute,
            "relative": delta_relative(adj_a.mean(), adj_b.mean(), np.var(adj_a, ddof=1) / n_a,
                                       np.var(adj_b, ddof=1) / n_b, absolute["df"], 0.05, sided),
        })
    # Binary outcome: the engine's binomial convention s²_y = p(1 − p), covariances with n − 1.
    for i, (n_a, n_b, sided) in enumerate([(3000, 3100, "two"), (800, 820, "greater")]):
        pre_a, pre_b = rng.gamma(2, 2, n_a), rng.gamma(2, 2, n_b)
        post_a = (rng.random(n_a) < 1 / (1 + np.exp(2.5 - 0.4 * pre_a))).astype(float)
        post_b = (rng.random(n_b) < 1 / (1 + np.exp(2.4 - 0.4 * pre_b))).astype(float)
        pre = np.concatenate([pre_a, pre_b])
        arm = np.concatenate([np.zeros(n_a), np.ones(n_b)])
        fit = sm.OLS(np.concatenate([post_a, post_b]), sm.add_constant(np.column_stack([arm, pre]))).fit()
        theta = float(fit.params[2])
        adj = []
        for post_i, pre_i in ((post_a, pre_a), (post_b, pre_b)):
            p_i = post_i.mean()
            c = np.cov(post_i, pre_i, ddof=1)
            adj.append(((post_i - theta * (pre_i - pre.mean())).mean(), (p_i * (1 - p_i) - 2 * theta * c[0, 1] + theta**2 * c[1, 1]) / len(post_i)))
        (mu_a, v_a), (mu_b, v_b) = adj
        assert abs((mu_b - mu_a) - float(fit.params[1])) < 1e-12
        se, df = math.sqrt(v_a + v_b), satterthwaite([v_a, v_b], [n_a, n_b])
        out.append({
            "name": f"cuped-binomial-{i}", "kind": "binomial", "alpha": 0.05, "sided": sided,
            "control": {**sums(post_a), "pre": cross(pre_a, post_a)},
            "treatment": {**sums(post_b), "pre": cross(pre_b, post_b)},
            "theta": theta, "adjustedMeans": [mu_a, mu_b],
            "absolute": {"estimate": mu_b - mu_a, "se": se, "df": df, **t_result(mu_b - mu_a, se, df, 0.05, sided)},
            "relative": delta_relative(mu_a, mu_b, v_a, v_b, df, 0.05, sided),
        })
    return out


def rho_of(alpha, tuning):
    return math.sqrt((-2 * math.log(alpha) + math.log(1 - 2 * math.log(alpha))) / tuning)


def mixture(z, n, rho, one_sided):
    """Λ(z) = ∫ exp(λs − λ²t/2) dF(λ) in units where the per-unit sd is 1: t = N, s = √N·z, λ ~ N(0, ρ²)
    (or its positive half, density doubled). Integrated numerically around the integrand's peak."""
    s, t = math.sqrt(n) * z, n
    a = t + 1 / rho**2
    peak, width = s / a, 1 / math.sqrt(a)
    log_scale = s * s / (2 * a)  # factor out the maximum of the Gaussian exponent for stability

    def f(lam):
        # exp(λs − λ²t/2)·φ(λ; 0, ρ²) with the two exponents merged so neither factor overflows
        log_f = lam * s - lam * lam * t / 2 - lam * lam / (2 * rho**2) - log_scale
        return math.exp(log_f) / (rho * math.sqrt(2 * math.pi)) * (2 if one_sided else 1)

    lo = 0 if one_sided else peak - 40 * width
    pts = [x for x in (peak,) if x > lo]
    val, _ = integrate.quad(f, lo, peak + 40 * width, points=pts or None, limit=200, epsabs=0, epsrel=1e-13)
    return math.log(val) + log_scale


def sequential_reference(est, se, n, alpha, tuning, sided):
    rho = rho_of(alpha, tuning)
    z = est / se
    one = sided != "two"
    directed = -z if sided == "less" else (z if one else abs(z))
    p = min(1.0, math.exp(-mixture(directed, n, rho, one)))
    # the boundary in standard errors: the z where the mixture reaches 1/α
    c = optimize.brentq(lambda x: mixture(x, n, rho, one) + math.log(alpha), 0, 50, xtol=1e-14, rtol=1e-15)
    if not one:
        closed = math.sqrt(n * se * se) * math.sqrt(2 * (n * rho**2 + 1) * math.log(math.sqrt(n * rho**2 + 1) / alpha) / (n * rho) ** 2)
        assert abs(closed - c * se) < 1e-8 * closed, (closed, c * se)
    ci = [est - c * se, est + c * se]
    if sided == "greater":
        ci[1] = math.inf
    if sided == "less":
        ci[0] = -math.inf
    return {"rho": rho, "multiplier": c, "pValue": p, "ci": ci}


def sequential_cases():
    out = []
    for i, (n_a, n_b, effect, alpha, tuning, sided) in enumerate([
        (2500, 2500, 0.08, 0.05, 5000, "two"), (200, 210, 0.3, 0.05, 5000, "two"), (40000, 40100, 0.02, 0.05, 5000, "two"),
        (3000, 3000, 0.1, 0.1, 20000, "two"), (3000, 3100, 0.09, 0.05, 5000, "greater"), (1000, 1000, -0.15, 0.05, 2000, "less"),
        (5000, 5000, 0.0, 0.05, 5000, "two"),
    ]):
        a, b = rng.normal(1, 1, n_a), rng.normal(1 + effect, 1, n_b)
        absolute = welch_raw(a, b, alpha, sided)
        relative = delta_relative(a.mean(), b.mean(), np.var(a, ddof=1) / n_a, np.var(b, ddof=1) / n_b, absolute["df"], alpha, sided)
        n = n_a + n_b
        out.append({
            "name": f"sequential-{i}", "kind": "mean", "alpha": alpha, "sided": sided, "tuning": tuning,
            "control": sums(a), "treatment": sums(b),
            "absolute": {"estimate": absolute["estimate"], "se": absolute["se"],
                         **sequential_reference(absolute["estimate"], absolute["se"], n, alpha, tuning, sided)},
            "relative": {"estimate": relative["estimate"], "se": relative["se"],
                         **sequential_reference(relative["estimate"], relative["se"], n, alpha, tuning, sided)},
        })
    return out


def srm_cases():
    out = []
    for counts, weights in [([5012, 4988], [1, 1]), ([5200, 4800], [1, 1]), ([3300, 3340, 3360], [1, 1, 1]),
                            ([10210, 9790], [0.5, 0.5]), ([901, 2104], [0.3, 0.7]), ([50000, 50700], [1, 1]),
                            ([12, 30, 18], [0.2, 0.5, 0.3])]:
        w = np.array(weights, float)
        expected = w / w.sum() * sum(counts)
        chi = stats.chisquare(counts, expected)
        c = 1000.0
        prior = c * w / w.sum()
        post = prior + np.array(counts)
        log_bf = (special.gammaln(post).sum() - special.gammaln(post.sum()) - special.gammaln(prior).sum()
                  + special.gammaln(prior.sum()) - float(np.dot(counts, np.log(w / w.sum()))))
        out.append({"counts": counts, "weights": weights, "statistic": chi.statistic, "pValue": chi.pvalue,
                    "healthy": bool(chi.pvalue >= 0.001), "sequential": {"concentration": c, "logBayesFactor": log_bf,
                                                                        "pValue": min(1.0, math.exp(-log_bf))}})
    return out


def correction_cases():
    out = []
    families = [[0.01, 0.04, 0.03, 0.005, 0.2], [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216],
                [0.5, 0.5, 0.02], list(rng.uniform(0, 0.1, 12)), [0.9, 0.8, 0.7]]
    for p in families:
        for method, sm_method in [("holm", "holm"), ("benjamini-hochberg", "fdr_bh")]:
            reject, adj, _, _ = multipletests(p, alpha=0.05, method=sm_method)
            m = len(p)
            interval_alpha = 0.05 / m if method == "holm" else max(int(reject.sum()), 1) * 0.05 / m
            out.append({"method": method, "pValues": [float(x) for x in p], "adjusted": [float(x) for x in adj],
                        "rejected": [bool(r) for r in reject], "intervalAlpha": interval_alpha})
    return out


def power_cases():
    out = []
    analysis = NormalIndPower()
    for effect, sd, n, ratio, alpha, sided in [(0.1, 1, 1000, 1, 0.05, "two"), (0.05, 2, 5000, 1, 0.05, "two"),
                                              (0.02, 0.3, 2000, 2, 0.01, "greater"), (-0.03, 0.5, 800, 1, 0.1, "less"),
                                              (0.01, 0.29, 40000, 0.5, 0.05, "two")]:
        alt = ALT[sided]
        d = effect / sd
        mde_d = analysis.solve_power(effect_size=None, nobs1=n, alpha=alpha, power=0.8, ratio=ratio,
                                     alternative="two-sided" if sided == "two" else "larger")
        nobs = analysis.solve_power(effect_size=abs(d), nobs1=None, alpha=alpha, power=0.8, ratio=ratio,
                                    alternative="two-sided" if sided == "two" else "larger")
        # solve_power stops at a loose tolerance (its solution's power is off by up to ~3e-5), so polish
        # both roots with brentq on NormalIndPower.power itself, checking they stay near solve_power's.
        one_alt = "two-sided" if sided == "two" else "larger"
        polished_d = optimize.brentq(lambda x: analysis.power(effect_size=x, nobs1=n, alpha=alpha, ratio=ratio, alternative=one_alt) - 0.8,
                                     mde_d / 2, mde_d * 2, xtol=1e-15, rtol=1e-15)
        polished_n = optimize.brentq(lambda x: analysis.power(effect_size=abs(d), nobs1=x, alpha=alpha, ratio=ratio, alternative=one_alt) - 0.8,
                                     nobs / 2, nobs * 2, xtol=1e-12, rtol=1e-15)
        assert abs(polished_d / mde_d - 1) < 1e-3 and abs(polished_n / nobs - 1) < 1e-3
        mde_d, nobs = polished_d, polished_n
        se = sd * math.sqrt(1 / n + 1 / (ratio * n))
        # sequential: the confidence sequence's boundary at the planned total N, power at the final look
        seq = sequential_reference(1.0, 1.0, n * (1 + ratio), alpha, 5000, sided)["multiplier"]
        shift = effect / se
        seq_power = {"two": stats.norm.cdf(shift - seq) + stats.norm.cdf(-shift - seq),
                     "greater": stats.norm.cdf(shift - seq), "less": stats.norm.cdf(-shift - seq)}[sided]
        seq_mde = optimize.brentq(lambda x: (stats.norm.cdf(x / se - seq) + (stats.norm.cdf(-x / se - seq) if sided == "two" else 0)) - 0.8,
                                  0, 100 * se, xtol=1e-15)
        out.append({"effect": effect, "variance": sd * sd, "n": n, "ratio": ratio, "alpha": alpha, "sided": sided,
                    "power": analysis.power(effect_size=d, nobs1=n, alpha=alpha, ratio=ratio, alternative=alt),
                    "mde": float(mde_d) * sd, "sampleSize": float(nobs),
                    "sequentialPower": seq_power, "sequentialMde": seq_mde})
    return out


def bayesian_cases():
    out = []
    for i, (prior, n, p_a, p_b, direction, sided) in enumerate([
        (None, 2000, 0.1, 0.115, "higher", "two"), ({"mean": 0.0, "variance": 0.01}, 2000, 0.1, 0.115, "higher", "two"),
        ({"mean": 0.02, "variance": 0.0025}, 10000, 0.2, 0.195, "lower", "two"), (None, 500, 0.3, 0.33, "higher", "greater"),
        ({"mean": -0.01, "variance": 0.04}, 3000, 0.25, 0.23, "lower", "less"),
    ]):
        case = binomial_case(f"bayes-{i}", n, p_a, n, p_b, 0.05, sided)
        mu_a = case["control"]["sum"] / n

        def posterior(est, se, scale):
            if prior is None:
                return est, se
            m, v = prior["mean"] * scale, prior["variance"] * scale**2
            var = 1 / (1 / se**2 + 1 / v)
            return var * (est / se**2 + m / v), math.sqrt(var)

        def interval(m, s):
            if sided == "two":
                return [stats.norm.ppf(0.025, m, s), stats.norm.ppf(0.975, m, s)]
            if sided == "less":
                return [-math.inf, stats.norm.ppf(0.95, m, s)]
            return [stats.norm.ppf(0.05, m, s), math.inf]

        am, asd = posterior(case["absolute"]["estimate"], case["absolute"]["se"], abs(mu_a))
        rm, rsd = posterior(case["relative"]["estimate"], case["relative"]["se"], 1)
        sign = 1 if direction == "higher" else -1
        loss_control = integrate.quad(lambda x: max(sign * x, 0) * stats.norm.pdf(x, rm, rsd), rm - 40 * rsd, rm + 40 * rsd, points=[0], epsabs=1e-14)[0]
        loss_treatment = integrate.quad(lambda x: max(-sign * x, 0) * stats.norm.pdf(x, rm, rsd), rm - 40 * rsd, rm + 40 * rsd, points=[0], epsabs=1e-14)[0]
        out.append({"name": case["name"], "kind": "binomial", "direction": direction, "sided": sided, "prior": prior,
                    "control": case["control"], "treatment": case["treatment"],
                    "absolute": {"estimate": am, "se": asd, "ci": interval(am, asd)},
                    "relative": {"estimate": rm, "se": rsd, "ci": interval(rm, rsd)},
                    "chanceToWin": stats.norm.sf(0, rm, rsd) if direction == "higher" else stats.norm.cdf(0, rm, rsd),
                    "risk": [loss_control, loss_treatment]})
    return out


def family_cases():
    """Goal metrics × variations corrected together: raw p-values (Welch from scipy, relative by the delta
    method) adjusted by statsmodels multipletests; intervals re-formed at the family's interval level
    (Holm: α/m; BH: R·α/m, R ≥ 1) with statsmodels tconfint_diff. Absolute and relative are two families."""
    out = []
    arms = [  # per metric: (mean, sd, n) of control and two treatments
        [(10, 2, 400), (10.45, 2, 410), (10.1, 2, 390)],
        [(5, 1.5, 400), (5.3, 1.6, 410), (4.9, 1.5, 390)],
    ]
    data = [[rng.normal(mu, sd, n) for mu, sd, n in metric] for metric in arms]
    for method, sm_method in [("holm", "holm"), ("benjamini-hochberg", "fdr_bh")]:
        raw = {"absolute": [], "relative": []}
        for values in data:
            a = values[0]
            for b in values[1:]:
                absolute = welch_raw(a, b, 0.05, "two")
                raw["absolute"].append((absolute, a, b))
                rel = delta_relative(a.mean(), b.mean(), np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b),
                                     absolute["df"], 0.05, "two")
                raw["relative"].append((rel, a, b))
        expected = {}
        for which, items in raw.items():
            p = [r["pValue"] for r, _, _ in items]
            reject, adj, _, _ = multipletests(p, alpha=0.05, method=sm_method)
            m = len(p)
            level = 0.05 / m if method == "holm" else max(int(reject.sum()), 1) * 0.05 / m
            results = []
            for (r, a, b), q in zip(items, adj):
                if which == "absolute":
                    ci = CompareMeans(DescrStatsW(b), DescrStatsW(a)).tconfint_diff(alpha=level, usevar="unequal")
                else:
                    ci = t_result(r["estimate"], r["se"], r["df"], level, "two")["ci"]
                results.append({"pValue": float(q), "ci": [float(ci[0]), float(ci[1])]})
            expected[which] = results
        out.append({"method": method, "alpha": 0.05,
                    "metrics": [[sums(v) for v in values] for values in data],
                    "absolute": expected["absolute"], "relative": expected["relative"]})
    return out


fixtures = {
    "generator": "tests/stats/reference/generate_fixtures.py",
    "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "statsmodels": statsmodels.__version__},
    "welch": welch_cases(),
    "cuped": cuped_cases(),
    "sequential": sequential_cases(),
    "srm": srm_cases(),
    "corrections": correction_cases(),
    "power": power_cases(),
    "bayesian": bayesian_cases(),
    "family": family_cases(),
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures.json")
with open(path, "w") as fh:
    json.dump(clean(fixtures), fh, indent=1)
    fh.write("\n")
print(f"wrote {path}: " + ", ".join(f"{k}={len(v)}" for k, v in fixtures.items() if isinstance(v, list)))
