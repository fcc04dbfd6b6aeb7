#!/usr/bin/env python3
"""Coverage of the three 95% intervals for the Fig 3 slope, by simulation (docs/verdicts.md).

Simulates l* data on the protocol's design (depths x seeds, log l* = 0.6 log L + noise), fits the
OLS slope of log l* on log L, and counts how often each interval contains the true slope 0.6:
  - the cluster bootstrap (depths with replacement, then seeds within each drawn depth;
    percentile interval; resamples whose depths are all equal skipped), as ScalingLawFit does;
  - the exact OLS t-interval (n - 2 degrees of freedom, points independent);
  - their hull (at each end the wider of the two), which `reproduce` uses for the verdict.
Two noise models: independent noise per point, and a random effect per depth added to it (the
depths themselves scatter about the line, which the OLS interval ignores).

This is an independent study in numpy/scipy, not the tool's code. Usage:
  scripts/interval_coverage.py [--replicates 400] [--resamples 400] [--seed 1]
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
    hits = {"bootstrap": 0, "ols": 0, "hull": 0}
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
        hits["bootstrap"] += b_lo <= truth <= b_hi
        hits["ols"] += o_lo <= truth <= o_hi
        hits["hull"] += min(b_lo, o_lo) <= truth <= max(b_hi, o_hi)
    return {k: v / replicates for k, v in hits.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicates", type=int, default=400)
    parser.add_argument("--resamples", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    five, ten = [10, 20, 30, 40, 50], [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    designs = [("5 depths x 1 seed", five, 1), ("10 depths x 1 seed", ten, 1),
               ("5 depths x 3 seeds", five, 3), ("10 depths x 5 seeds", ten, 5)]
    noises = [("independent, sd 0.2", 0.2, 0.0), ("depth effect sd 0.15 + point sd 0.15", 0.15, 0.15)]
    print(f"coverage of the true slope 0.6 ({args.replicates} replicates, {args.resamples} resamples; "
          f"binomial SE about {100 * (0.95 * 0.05 / args.replicates) ** 0.5:.1f} points)")
    print(f"{'design':<22} {'noise':<40} {'bootstrap':>9} {'OLS':>6} {'hull':>6}")
    for label, depths, seeds in designs:
        for noise, point_sd, depth_sd in noises:
            c = coverage(depths, seeds, point_sd, depth_sd, args.replicates, args.resamples, rng)
            print(f"{label:<22} {noise:<40} {c['bootstrap']:>9.3f} {c['ols']:>6.3f} {c['hull']:>6.3f}")


if __name__ == "__main__":
    main()
