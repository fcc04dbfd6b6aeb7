#!/usr/bin/env python3
"""Fig 3 calibration study: reads RunRecords (JSON) from cache directories and prints,
per protocol group, l*(L) per seed, epochs, stop reasons, wall time, and the slope of
log l* on log L with OLS and cluster-bootstrap 95% intervals. Independent of the Swift
analysis (numpy only), so it also cross-checks ScalingLawFit.

usage: analyse.py [--centring full|perOutput|none] CACHE_DIR [CACHE_DIR ...]
With --centring, l* comes from A_l under that centring (the run's own values when it is the
run's centring, else the record's otherCentrings; records without it are skipped).
Records are grouped by cache directory (one protocol per directory) and by the spec apart from seed, depth, learning rate and stopping rule."""
import argparse, json, sys, glob, math, collections
import numpy as np

def key(spec):
    s = dict(spec)
    s.pop('seed'); arch = dict(s.pop('architecture')); arch.pop('depth')
    opt = s.pop('optimizer')['sgd']
    paper = dict(zip(range(10, 101, 10), [0.003, 0.004, 0.004, 0.002, 0.001, 0.0007, 0.0003, 0.0002, 0.0001, 0.00007]))
    s['lrScale'] = round(opt['learningRate'] / paper[spec['architecture']['depth']], 6)
    stop = json.dumps(s.pop('stopping'), sort_keys=True)
    return json.dumps({'rest': s, 'arch': arch}, sort_keys=True)

def ols(x, y):
    x = np.asarray(x, float); y = np.asarray(y, float)
    mx, my = x.mean(), y.mean(); sxx = ((x - mx) ** 2).sum()
    b = ((x - mx) * (y - my)).sum() / sxx; a = my - b * mx
    res = ((y - a - b * x) ** 2).sum(); n = len(x)
    se = math.sqrt(res / (n - 2) / sxx) if n > 2 else float('nan')
    r2 = 1 - res / ((y - my) ** 2).sum() if ((y - my) ** 2).sum() > 0 else 1.0
    return b, a, se, r2

def tquant(df):
    # 97.5% Student t quantile (table; df >= 1)
    table = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
             12: 2.179, 14: 2.145, 16: 2.120, 18: 2.101, 20: 2.086, 25: 2.060, 30: 2.042, 40: 2.021, 60: 2.000, 120: 1.980}
    keys = sorted(table); best = max(k for k in keys if k <= df) if df >= 1 else 1
    return table[best]

def bootstrap(groups, B=2000, seed=0):
    rng = np.random.default_rng(seed); slopes = []
    depths = sorted(groups)
    for _ in range(B):
        xs, ys = [], []
        for _ in depths:
            d = depths[rng.integers(len(depths))]; g = groups[d]
            for _ in g:
                p = g[rng.integers(len(g))]; xs.append(math.log(d)); ys.append(math.log(p))
        if len(set(xs)) > 1: slopes.append(ols(xs, ys)[0])
    return np.percentile(slopes, [2.5, 97.5])

def probes(record, centring):
    """(train-probe A_l, test-probe A_l) of the final snapshot under `centring` (None: the run's own)."""
    snapshot = record['alignments'][-1]
    if centring is None or centring == record['spec']['alignment']['centring']:
        return snapshot['trainProbe'], snapshot['testProbe']
    for other in snapshot.get('otherCentrings') or []:
        if other['centring'] == centring:
            return other['trainProbe'], other['testProbe']
    return None

def main(dirs, centring=None):
    recs = []; skipped = 0
    for d in dirs:
        for f in glob.glob(d + '/*.json'):
            try: r = json.load(open(f))
            except Exception: continue
            if 'spec' not in r or not r.get('alignments'): continue
            if probes(r, centring) is None: skipped += 1; continue
            r['_dir'] = d; recs.append(r)
    if skipped:
        print(f'skipped {skipped} record(s) that did not keep A_l with {centring} centring')
    byk = collections.defaultdict(list)
    for r in recs: byk[r['_dir'] + ' ' + key(r['spec'])].append(r)
    for k, rs in byk.items():
        spec = rs[0]['spec']
        print('=' * 100)
        print('group:', rs[0]['_dir'], spec['dataset'], 'subset/class', spec.get('trainSubsetPerClass'), 'probe/class', spec['probePerClass'],
              'batch', spec['batchSize'], 'runs', len(rs))
        bydepth = collections.defaultdict(list); wall = 0; seeds = set()
        for r in sorted(rs, key=lambda r: (r['spec']['architecture']['depth'], r['spec']['seed'])):
            L = r['spec']['architecture']['depth']; a, test = probes(r, centring)
            l = int(np.argmax(a)) + 1; bydepth[L].append((r['spec']['seed'], l)); wall += r['wallSeconds']; seeds.add(r['spec']['seed'])
            lt = int(np.argmax(test)) + 1
            print(f"  L={L:3d} seed={r['spec']['seed']} lr={list(r['spec']['optimizer'].values())[0]['learningRate']:.5g} "
                  f"stop={r['stopReason']:16s} epochs={r['epochs'][-1]['epoch'] if r['epochs'] else 0:4d} "
                  f"loss={r['epochs'][-1]['trainLoss'] if r['epochs'] else float('nan'):.3f} test={r['finalTest']['accuracy']:.3f} "
                  f"l*={l:3d} (test probe {lt:3d}) wall={r['wallSeconds']:.0f}s")
        print(f"  total wall {wall/60:.1f} min over {len(rs)} runs")
        def report(name, pick):
            groups = {L: [l for s, l in v if pick(s)] for L, v in bydepth.items()}
            groups = {L: g for L, g in groups.items() if g}
            pts = [(L, l) for L, g in groups.items() for l in g]
            if len(groups) < 2: return None
            b, a, se, r2 = ols([math.log(L) for L, _ in pts], [math.log(l) for _, l in pts])
            t = tquant(len(pts) - 2) if len(pts) > 2 else float('nan')
            bs = bootstrap(groups)
            c = np.mean([math.log(l) - 0.6 * math.log(L) for L, l in pts])
            print(f"  {name}: slope {b:.3f}  OLS CI [{b - t*se:.3f}, {b + t*se:.3f}]  bootstrap CI [{bs[0]:.3f}, {bs[1]:.3f}]  "
                  f"R2 {r2:.3f}  C(3/5) {c:.3f}  n={len(pts)} depths={len(groups)}")
            return b
        report('all seeds', lambda s: True)
        per = [report(f'seed {s}', lambda x, s=s: x == s) for s in sorted(seeds)]
        per = [p for p in per if p is not None]
        if len(per) > 1:
            print(f"  per-seed slopes: mean {np.mean(per):.3f}, sd {np.std(per, ddof=1):.3f}, n {len(per)}")

if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--centring', choices=['full', 'perOutput', 'none'],
                        help="take l* from A_l under this centring (default: each run's own)")
    parser.add_argument('caches', nargs='+', metavar='CACHE_DIR')
    options = parser.parse_args()
    if options.centring is not None:
        print(f'l* from A_l with {options.centring} centring')
    main(options.caches, options.centring)
