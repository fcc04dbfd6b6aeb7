#!/usr/bin/env python3
"""Coverage of the three 95% intervals for the Fig 3 slope, by simulation (docs/verdicts.md).

Simulates l* data on the protocol's design (depths x seeds, log l* = 0.6 log L + noise), fits the
OLS slope of log l* on log L, and counts how often each interval contains the true slope 0.6:
  - the cluster bootstrap (depths with replacement, then seeds within each drawn depth;
    percentile interval; resamples whose depths are all equal skipped), as ScalingLawFit does;
  - the exact OLS t-interval over all points (n - 2 degrees of freedom, points independent);
  - the t-interval of the line through the depths' mean log l* (G - 2 degrees of freedom, G
    depths), exact when each depth's mean scatters about the line with one variance;
  - the hull of the bootstrap and the depth-means interval (at each end the wider of the two),
    which `reproduce` uses for the verdict; and, for comparison, the hull with the all-points OLS.
Two noise models: independent noise per point, and a random effect per depth added to it (the
depths themselves scatter about the line, which the OLS interval ignores).

This is an independent study in numpy/scipy, not the tool's code. Usage:
  scripts/interval_coverage.py [--replicates 300] [--resamples 300] [--seed 1]
(docs/verdicts.md's table: the defaults.)
"""
import argparse

import numpy as np
from scipy import stats


def slope(x, y):
    xc = x - x.mean()
    return float(xc @ (y - y.mean()) / (xc @ xc))


def coverage(depths, seeds, point_sd, depth_sd, replicates, resamples, rng, truth=0.6):
    x = np.log(np.repeat(np.asarray(depths, float), seeds))
    n, groups = len(x), len(depths)
    hits = {"bootstrap": 0, "ols": 0, "means": 0, "hull": 0, "hull_ols": 0}
    xg = np.log(np.asarray(depths, float))
    for _ in range(replicates):
        y = truth * x + np.repeat(rng.normal(0, depth_sd, groups), seeds) + rng.normal(0, point_sd, n)
        slopes = []
        for _ in range(resamples):
            drawn = rng.integers(0, groups, groups)
            if np.all(drawn == drawn[0]):
                continue
            idx = np.concatenate([g * seeds + rng.integers(0, seeds, seeds) for g in drawn])
            slopes.append(slope(x[idx], y[idx]))
        b_lo, b_hi = np.percentile(slopes, [2.5, 97.5])
        fit = stats.linregress(x, y)
        t = stats.t.ppf(0.975, n - 2)
        o_lo, o_hi = fit.slope - t * fit.stderr, fit.slope + t * fit.stderr
        means = stats.linregress(xg, y.reshape(groups, seeds).mean(axis=1))
        tg = stats.t.ppf(0.975, groups - 2)
        m_lo, m_hi = means.slope - tg * means.stderr, means.slope + tg * means.stderr
        hits["bootstrap"] += b_lo <= truth <= b_hi
        hits["ols"] += o_lo <= truth <= o_hi
        hits["means"] += m_lo <= truth <= m_hi
        hits["hull"] += min(b_lo, m_lo) <= truth <= max(b_hi, m_hi)
        hits["hull_ols"] += min(b_lo, o_lo) <= truth <= max(b_hi, o_hi)
    return {k: v / replicates for k, v in hits.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicates", type=int, default=300)
    parser.add_argument("--resamples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    five, ten = [10, 20, 30, 40, 50], [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    # With one seed per depth a depth effect is only more point noise, and coverage does not depend
    # on the noise's scale: one noise model suffices there.
    designs = [("5 depths x 1 seed", five, 1, [("independent, sd 0.2", 0.2, 0.0)]),
               ("10 depths x 1 seed", ten, 1, [("independent, sd 0.2", 0.2, 0.0)])]
    both = [("independent, sd 0.2", 0.2, 0.0), ("depth effect sd 0.15 + point sd 0.15", 0.15, 0.15)]
    designs += [("5 depths x 3 seeds", five, 3, both), ("10 depths x 5 seeds", ten, 5, both)]
    print(f"coverage of the true slope 0.6 ({args.replicates} replicates, {args.resamples} resamples; "
          f"binomial SE about {100 * (0.95 * 0.05 / args.replicates) ** 0.5:.1f} points)")
    print(f"{'design':<22} {'noise':<40} {'bootstrap':>9} {'OLS':>6} {'means':>6} {'hull':>6} {'hull with OLS':>13}")
    for label, depths, seeds, noises in designs:
        for noise, point_sd, depth_sd in noises:
            c = coverage(depths, seeds, point_sd, depth_sd, args.replicates, args.resamples, rng)
            print(f"{label:<22} {noise:<40} {c['bootstrap']:>9.3f} {c['ols']:>6.3f} {c['means']:>6.3f} "
                  f"{c['hull']:>6.3f} {c['hull_ols']:>13.3f}")


if __name__ == "__main__":
    main()
