#!/usr/bin/env python3
"""Independent float64 reference for the layerwise tangent-kernel alignment A_l.

Recomputes, from a run record and the run's saved final weights, the alignments
A_l (paper Eq. 6-7) that the Swift engine stored in the record, without using
any of the engine's code:

* the probe sets are rebuilt from the Fashion-MNIST/MNIST/KMNIST IDX files with a
  re-implementation of the engine's documented random streams (SplitMix64 seeding,
  FNV-1a stream labels, xoshiro256**, Lemire's bounded integers, partial
  Fisher-Yates class-balanced selection, label corruption) and its standardisation;
* the network is evaluated in float64 and, for every probe sample x and logit i,
  the gradient of f_i(x) (the logit, not the softmax) with respect to every weight
  and bias of layer l is formed explicitly: df/dz_l = W_L D_{L-1} ... W_{l+1} D_l
  (a k x N_l matrix per sample, D = ReLU gates), df_i/dW_l[p,q] = (df/dz_l)[i,p] a_{l-1}[q],
  df_i/db_l[p] = (df/dz_l)[i,p];
* K_l = J_l J_l^T is accumulated from explicit Jacobian columns (theta_l = W_l and,
  when the network has biases, b_l), and
  A_l = Yt^T K_l Yt / (||C K_l C||_F ||Yt||^2), Yt = C Y, with explicit centring
  matrices C: "full" I - 11^T/(nk) (Eq. 6), "none" I, "per-output" (I_n - 11^T/n) (x) I_k.
  Output index (x, i) -> x*k + i.

A central finite-difference check of the Jacobians (random directions, per layer)
guards the reference itself.

Usage:
  python3 scripts/reference/alignment_reference.py RECORD.json [--weights FILE]
          [--data-dir DIR] [--probe train|test|both] [--dump DIR]

The record's last alignment snapshot must be the final state (spec.alignment.atStop,
the default) and the run must have saved its weights (--save-weights). Prints, per
layer, the reference A_l for every centring, with and without the bias block, and
the relative difference from the engine's stored value (the spec's centring).
With --dump DIR, also compares against raw little-endian files written by a
throwaway engine driver: {probe}_engine_{centring}.f64 (A_l, float64),
{probe}_logits.f32, {probe}_source.i64 (file positions of the probe samples).
Exit status 1 if any stored A_l differs by more than --tolerance (relative).

Cost: the kernels are accumulated from explicit Jacobian columns, O((nk)^2 P) operations,
so keep probes small (--probe-per-class up to about 10 for a 10 x 100 network: ~20 s).
With a balanced probe, "full" and "perOutput" give the same Yt (y - 1/k); they differ
only in the normaliser ||C K C||_F.
"""
import argparse
import gzip
import json
import os
import struct
import sys

import numpy as np

MASK = (1 << 64) - 1


# ----------------------------------------------------------------------------- random streams

def splitmix64(state):
    """One SplitMix64 step: returns (new_state, output)."""
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


class Xoshiro:
    """xoshiro256** seeded from a 64-bit seed through SplitMix64."""

    def __init__(self, seed):
        self.seed = seed & MASK
        state, words = self.seed, []
        for _ in range(4):
            state, out = splitmix64(state)
            words.append(out)
        if words == [0, 0, 0, 0]:
            words[0] = 0x9E3779B97F4A7C15
        self.s = words

    def derived(self, label):
        h = 0xCBF29CE484222325
        for byte in label.encode("utf-8"):
            h = ((h ^ byte) * 0x00000100000001B3) & MASK
        _, out = splitmix64(self.seed ^ h)
        return Xoshiro(out)

    @staticmethod
    def _rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK

    def next(self):
        s = self.s
        result = (self._rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self._rotl(s[3], 45)
        return result

    def next_below(self, bound):
        """Uniform integer in [0, bound): Lemire's multiply-and-reject method."""
        random = self.next()
        product = random * bound
        low = product & MASK
        if low < bound:
            threshold = ((1 << 64) - bound) % bound
            while low < threshold:
                random = self.next()
                product = random * bound
                low = product & MASK
        return product >> 64


def balanced_positions(labels, per_class, classes, rng):
    """Class-balanced positions (ascending): per class, a partial Fisher-Yates shuffle of its positions."""
    chosen = []
    for c in range(classes):
        pool = [p for p, y in enumerate(labels) if y == c]
        if len(pool) < per_class:
            raise SystemExit(f"class {c} has {len(pool)} samples, fewer than {per_class}")
        for slot in range(per_class):
            pick = slot + rng.next_below(len(pool) - slot)
            pool[slot], pool[pick] = pool[pick], pool[slot]
        chosen += pool[:per_class]
    return sorted(chosen)


def corrupt_labels(labels, fraction, classes, rng):
    n = len(labels)
    count = int(np.floor(fraction * n + 0.5))  # round half away from zero (fraction >= 0)
    positions = list(range(n))
    new = list(labels)
    for slot in range(count):
        pick = slot + rng.next_below(n - slot)
        positions[slot], positions[pick] = positions[pick], positions[slot]
        p = positions[slot]
        new[p] = (labels[p] + 1 + rng.next_below(classes - 1)) % classes
    return new


# ----------------------------------------------------------------------------- data

DATA_DIRS = {
    "fashion-mnist": ["/usr/share/datasets/fashion-mnist"],
    "mnist": ["/usr/share/datasets/mnist"],
    "kmnist": ["/usr/share/datasets/kmnist"],
}


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def find(directory, base):
    for name in (base + ".gz", base):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    raise SystemExit(f"{base}[.gz] not found in {directory}")


def load_split(dataset, data_dir):
    directories = [data_dir] if data_dir else DATA_DIRS.get(dataset, [])
    for directory in directories:
        if os.path.isdir(directory):
            break
    else:
        raise SystemExit(f"no data directory for {dataset}; pass --data-dir")
    parts = {}
    for part, prefix in (("train", "train"), ("test", "t10k")):
        images = read_idx(find(directory, f"{prefix}-images-idx3-ubyte"))
        labels = read_idx(find(directory, f"{prefix}-labels-idx1-ubyte")).astype(np.int64)
        x = images.reshape(images.shape[0], -1).astype(np.float32) / np.float32(255)
        parts[part] = [x, labels]
    # Standardise with the training part's mean and population std (double sums, float32 apply).
    train64 = parts["train"][0].astype(np.float64)
    mean = train64.mean()
    std = np.sqrt(((train64 - mean) ** 2).mean())
    shift, divisor = np.float32(mean), np.float32(std if std > 0 else 1)
    for part in parts.values():
        part[0] = (part[0] - shift) / divisor
    return parts


def rebuild_probes(spec, data_dir):
    if spec["dataset"] not in DATA_DIRS:
        raise SystemExit(f"dataset {spec['dataset']} is not supported by this reference (IDX datasets only)")
    parts = load_split(spec["dataset"], data_dir)
    x_train, y_train = parts["train"]
    x_test, y_test = parts["test"]
    k = spec["architecture"]["outputDimension"]
    root = Xoshiro(spec["seed"])
    train_index = np.arange(len(y_train))
    if spec.get("trainSubsetPerClass") is not None:
        rng = root.derived("subset")
        train_index = np.array(balanced_positions(list(y_train), spec["trainSubsetPerClass"], k, rng))
    train_labels = list(y_train[train_index])
    rng = root.derived("probe")
    per = spec["probePerClass"]
    train_positions = balanced_positions(train_labels, per, k, rng)
    test_positions = balanced_positions(list(y_test), per, k, rng)
    if spec.get("labelNoiseFraction", 0) > 0:
        noise = root.derived("label-noise")
        train_labels = corrupt_labels(train_labels, spec["labelNoiseFraction"], k, noise)
    train_source = train_index[train_positions]
    return {
        "train": (x_train[train_source], np.array([train_labels[p] for p in train_positions]), train_source),
        "test": (x_test[test_positions], y_test[test_positions], np.array(test_positions)),
    }


# ----------------------------------------------------------------------------- network

def read_weights(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"DNNW":
        raise SystemExit(f"{path} is not a DNNW network file")
    version, width_bytes, bias_flag = struct.unpack("<IBB", data[4:10])
    if version != 1:
        raise SystemExit(f"unsupported network file version {version}")
    d, n, depth, k = struct.unpack("<4q", data[10:42])
    dtype = np.float32 if width_bytes == 4 else np.float64
    sizes = [d] + [n] * (depth - 1) + [k]
    offset, weights, biases = 42, [], []
    for l in range(1, depth + 1):
        count = sizes[l] * sizes[l - 1]
        w = np.frombuffer(data, dtype=dtype, count=count, offset=offset).reshape(sizes[l], sizes[l - 1])
        offset += count * width_bytes
        b_count = sizes[l] if bias_flag else 0
        b = np.frombuffer(data, dtype=dtype, count=b_count, offset=offset)
        offset += b_count * width_bytes
        weights.append(w.astype(np.float64))
        biases.append(b.astype(np.float64) if bias_flag else None)
    if offset != len(data):
        raise SystemExit(f"{path} has {len(data) - offset} trailing bytes")
    return weights, biases


def forward(weights, biases, x):
    """Pre-activations z_1..z_L and inputs a_0..a_{L-1} of every layer, float64, one sample per row."""
    a, inputs, pre = x.astype(np.float64), [], []
    for l, (w, b) in enumerate(zip(weights, biases)):
        inputs.append(a)
        z = a @ w.T + (b if b is not None else 0.0)
        pre.append(z)
        a = np.maximum(z, 0.0) if l < len(weights) - 1 else z
    return inputs, pre


def output_jacobians(weights, pre):
    """For every layer l (0-based), df/dz_l per sample: array (n, k, N_l).

    Built top-down as a product of per-sample Jacobian matrices
    df/dz_l = df/dz_{l+1} . W_{l+1} . diag(1[z_l > 0])."""
    n = pre[-1].shape[0]
    k = weights[-1].shape[0]
    depth = len(weights)
    result = [None] * depth
    result[-1] = np.broadcast_to(np.eye(k), (n, k, k)).copy()
    for l in range(depth - 2, -1, -1):
        through = np.einsum("xip,pq->xiq", result[l + 1], weights[l + 1])
        result[l] = through * (pre[l] > 0)[:, None, :]
    return result


def layer_kernels(weights, biases, x, chunk_entries=2e7):
    """K_l with the bias block (when present) and K_l of the weights alone, from explicit Jacobians."""
    inputs, pre = forward(weights, biases, x)
    jac = output_jacobians(weights, pre)
    n = x.shape[0]
    kernels = []
    for l in range(len(weights)):
        g = jac[l]                         # (n, k, N_l): df_i(x)/dz_l[p]
        a = inputs[l]                      # (n, N_{l-1})
        k, fan_out, fan_in = g.shape[1], g.shape[2], a.shape[1]
        m = n * k
        weight_kernel = np.zeros((m, m))
        step = max(1, int(chunk_entries // (m * fan_in)))
        for p0 in range(0, fan_out, step):
            p1 = min(fan_out, p0 + step)
            # Explicit Jacobian columns of W_l[p0:p1, :]: df_i(x)/dW_l[p, q] = g[x, i, p] * a[x, q].
            columns = (g[:, :, p0:p1, None] * a[:, None, None, :]).reshape(m, -1)
            weight_kernel += columns @ columns.T
        bias_columns = g.reshape(m, fan_out)   # df_i(x)/db_l[p] = g[x, i, p]
        with_bias = weight_kernel + bias_columns @ bias_columns.T if biases[l] is not None else weight_kernel
        kernels.append((with_bias, weight_kernel))
    return kernels, pre[-1]


def finite_difference_check(weights, biases, x, samples=3, trials=2, seed=0):
    """Max relative error of J_l v against central differences of the float64 logits, over layers."""
    rng = np.random.default_rng(seed)
    x = x[:samples]
    kernels_inputs, pre = forward(weights, biases, x)
    jac = output_jacobians(weights, pre)
    worst = 0.0
    for l in range(len(weights)):
        for _ in range(trials):
            vw = rng.standard_normal(weights[l].shape)
            vb = rng.standard_normal(weights[l].shape[0]) if biases[l] is not None else None
            analytic = np.einsum("xip,pq,xq->xi", jac[l], vw, kernels_inputs[l])
            if vb is not None:
                analytic += np.einsum("xip,p->xi", jac[l], vb)
            eps = 1e-6 * max(1.0, np.abs(weights[l]).max())
            outs = []
            for sign in (1, -1):
                w2 = [w.copy() for w in weights]
                b2 = [None if b is None else b.copy() for b in biases]
                w2[l] += sign * eps * vw
                if vb is not None:
                    b2[l] += sign * eps * vb
                outs.append(forward(w2, b2, x)[1][-1])
            numeric = (outs[0] - outs[1]) / (2 * eps)
            worst = max(worst, np.abs(analytic - numeric).max() / max(1e-12, np.abs(numeric).max()))
    return worst


# ----------------------------------------------------------------------------- alignment

def centring_matrix(kind, n, k):
    m = n * k
    if kind == "none":
        return np.eye(m)
    if kind == "full":
        return np.eye(m) - np.ones((m, m)) / m
    if kind == "perOutput":
        return np.kron(np.eye(n) - np.ones((n, n)) / n, np.eye(k))
    raise ValueError(kind)


def alignment(kernel, labels, k, kind):
    n = len(labels)
    y = np.zeros(n * k)
    y[np.arange(n) * k + np.asarray(labels)] = 1.0
    c = centring_matrix(kind, n, k)
    yt = c @ y
    denominator = np.linalg.norm(c @ kernel @ c) * (yt @ yt)
    return float(yt @ kernel @ yt / denominator) if denominator > 0 else 0.0


CENTRINGS = ("full", "none", "perOutput")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("record", help="run record JSON written by the engine")
    parser.add_argument("--weights", help="saved final weights (default: next to the record, from finalWeightsFile)")
    parser.add_argument("--data-dir", help="directory with the IDX files")
    parser.add_argument("--probe", choices=("train", "test", "both"), default="both")
    parser.add_argument("--dump", help="directory with raw engine dumps to compare against (see module doc)")
    parser.add_argument("--tolerance", type=float, default=1e-4, help="relative tolerance for the stored A_l")
    options = parser.parse_args()

    with open(options.record) as f:
        record = json.load(f)
    spec = record["spec"]
    weights_path = options.weights
    if weights_path is None:
        name = record.get("finalWeightsFile")
        if not name:
            raise SystemExit("the record has no saved weights; train with --save-weights or pass --weights")
        weights_path = name if os.path.isabs(name) else os.path.join(os.path.dirname(os.path.abspath(options.record)), name)
    weights, biases = read_weights(weights_path)
    k = weights[-1].shape[0]
    stored_centring = spec.get("alignment", {}).get("centring", "full")
    snapshot = record["alignments"][-1] if record.get("alignments") else None
    if snapshot is not None and snapshot["step"] != record["totalSteps"]:
        print(f"warning: last snapshot is at step {snapshot['step']}, not the final step {record['totalSteps']}")

    probes = rebuild_probes(spec, options.data_dir)
    worst_stored = 0.0
    for name in (("train", "test") if options.probe == "both" else (options.probe,)):
        x, labels, source = probes[name]
        fd = finite_difference_check(weights, biases, x)
        kernels, logits = layer_kernels(weights, biases, x)
        print(f"\n== {name} probe: n = {len(labels)}, k = {k}, L = {len(weights)}, biases = {biases[0] is not None}; "
              f"finite-difference check of the Jacobians: max rel. error {fd:.1e}")
        if options.dump:
            src = np.fromfile(os.path.join(options.dump, f"{name}_source.i64"), dtype="<i8")
            print(f"probe positions equal to the engine's: {np.array_equal(src, source)}")
            engine_logits = np.fromfile(os.path.join(options.dump, f"{name}_logits.f32"), dtype="<f4").reshape(logits.shape)
            print(f"logits: max |engine - reference| / max |reference| = "
                  f"{np.abs(engine_logits - logits).max() / np.abs(logits).max():.2e}")
        stored = snapshot[f"{name}Probe"] if snapshot is not None else None
        header = "layer " + " ".join(f"{c:>11s}" for c in CENTRINGS) + "  full(no bias)"
        if stored is not None:
            header += f"   stored({stored_centring})   rel.diff"
        print(header)
        reference = {c: [] for c in CENTRINGS}
        for l, (kernel, weight_only) in enumerate(kernels):
            values = {c: alignment(kernel, labels, k, c) for c in CENTRINGS}
            for c in CENTRINGS:
                reference[c].append(values[c])
            line = f"{l + 1:5d} " + " ".join(f"{values[c]:11.6f}" for c in CENTRINGS)
            line += f"  {alignment(weight_only, labels, k, 'full'):13.6f}"
            if stored is not None:
                diff = abs(stored[l] - values[stored_centring]) / max(1e-300, abs(values[stored_centring]))
                worst_stored = max(worst_stored, diff)
                line += f"   {stored[l]:16.6f}   {diff:.1e}"
            print(line)
        if options.dump:
            for c in CENTRINGS:
                path = os.path.join(options.dump, f"{name}_engine_{c}.f64")
                if os.path.exists(path):
                    engine = np.fromfile(path, dtype="<f8")
                    ref = np.array(reference[c])
                    rel = np.abs(engine - ref) / np.abs(ref)
                    print(f"engine dump {c:>9s}: max rel. diff {rel.max():.2e} (per layer: "
                          + " ".join(f"{r:.0e}" for r in rel) + ")")
    if snapshot is not None:
        print(f"\nmax relative difference from the stored A_l: {worst_stored:.2e} (tolerance {options.tolerance:g})")
        if worst_stored > options.tolerance:
            sys.exit(1)


if __name__ == "__main__":
    main()
