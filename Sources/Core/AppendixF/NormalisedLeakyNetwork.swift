import Foundation

/// The network of Algorithm 1 (paper Appendix F, layer-wise feature maximisation): fully connected,
/// LeakyReLU φ(z) = max(z, αz), and every layer's input normalised per sample to unit norm:
///
///     a_0 = x/‖x‖,   z_l = W_l a_{l−1} + b_l,   u_l = φ(z_l),   a_l = u_l/‖u_l‖  (l < L),   f(x) = z_L.
///
/// Sizes N_0 = d, N_1 … N_{L−1}, N_L = k; `weights[l−1]` is W_l (N_l × N_{l−1}, row-major),
/// `biases[l−1]` is b_l. The same network is trained layer by layer (``LayerwiseFeatureMaximisation``)
/// or end to end (``NormalisedLeakyTraining``), so Figs 16/17 compare one architecture under two trainings.
/// A zero vector u_l (all units negative with α = 0) stays zero instead of dividing by zero.
public struct NormalisedLeakyNetwork<Scalar: BLASScalar>: Sendable {
    /// N_0 … N_L.
    public let layerSizes: [Int]
    /// α, the LeakyReLU slope for z < 0 (PyTorch's default is 0.01).
    public let negativeSlope: Double
    /// W_1 … W_L.
    public var weights: [Matrix<Scalar>]
    /// b_1 … b_L.
    public var biases: [[Scalar]]

    /// L, the number of weight layers.
    public var depth: Int { layerSizes.count - 1 }

    /// He initialisation, W_l[i, j] ~ N(0, 2/N_{l−1}), biases 0, drawn layer by layer, row by row.
    /// - Precondition: at least two sizes, all positive.
    public init(layerSizes: [Int], negativeSlope: Double, generator: inout SeededGenerator) {
        precondition(layerSizes.count >= 2 && layerSizes.allSatisfy { $0 >= 1 }, "a network needs positive sizes N_0 … N_L")
        self.layerSizes = layerSizes
        self.negativeSlope = negativeSlope
        var weights: [Matrix<Scalar>] = []
        for l in 1..<layerSizes.count {
            let deviation = (2.0 / Double(layerSizes[l - 1])).squareRoot()
            var storage = [Scalar](repeating: 0, count: layerSizes[l] * layerSizes[l - 1])
            for i in storage.indices { storage[i] = Scalar(generator.nextNormal() * deviation) }
            weights.append(Matrix(rows: layerSizes[l], columns: layerSizes[l - 1], storage: storage))
        }
        self.weights = weights
        self.biases = layerSizes.dropFirst().map { [Scalar](repeating: 0, count: $0) }
    }

    /// Every row scaled to unit Euclidean norm (a zero row stays zero).
    public static func unitRows(_ m: Matrix<Scalar>) -> Matrix<Scalar> {
        unitRowsWithNorms(m).rows
    }

    static func unitRowsWithNorms(_ m: Matrix<Scalar>) -> (rows: Matrix<Scalar>, norms: [Scalar]) {
        var out = m
        var norms = [Scalar](repeating: 0, count: m.rows)
        for r in 0..<m.rows {
            var sum = 0.0
            for c in 0..<m.columns { let v = Double(m.storage[r * m.columns + c]); sum += v * v }
            let norm = sum.squareRoot()
            norms[r] = Scalar(norm)
            guard norm > 0 else { continue }
            for c in 0..<m.columns { out.storage[r * m.columns + c] = Scalar(Double(m.storage[r * m.columns + c]) / norm) }
        }
        return (out, norms)
    }

    /// z = A Wᵀ + 1bᵀ for a layer with weights `w` and bias `b` (empty: none) on inputs `a` (one sample per row).
    static func affine(_ a: Matrix<Scalar>, _ w: Matrix<Scalar>, _ b: [Scalar]) -> Matrix<Scalar> {
        var z = Matrix.product(a, transposed: false, w, transposed: true)
        guard !b.isEmpty else { return z }
        for r in 0..<z.rows {
            for c in 0..<z.columns { z.storage[r * z.columns + c] += b[c] }
        }
        return z
    }

    /// φ applied entrywise.
    static func leaky(_ z: Matrix<Scalar>, slope: Double) -> Matrix<Scalar> {
        var u = z
        let alpha = Scalar(slope)
        for i in u.storage.indices where u.storage[i] < 0 { u.storage[i] *= alpha }
        return u
    }

    /// g ⊙ φ′(z), with φ′(z) = 1 for z > 0 and α otherwise.
    static func gateLeaky(_ g: inout Matrix<Scalar>, by z: Matrix<Scalar>, slope: Double, rowsPerSample: Int) {
        let alpha = Scalar(slope)
        let width = z.columns
        for r in 0..<g.rows {
            let x = r / rowsPerSample
            for c in 0..<width where !(z.storage[x * width + c] > 0) { g.storage[r * width + c] *= alpha }
        }
    }

    /// Layer l's normalised output a_l = φ(z_l)/‖φ(z_l)‖ from its normalised input a_{l−1} (1 ≤ l < L).
    public func normalisedOutput(layer l: Int, inputs a: Matrix<Scalar>) -> Matrix<Scalar> {
        Self.unitRows(Self.leaky(Self.affine(a, weights[l - 1], biases[l - 1]), slope: negativeSlope))
    }

    /// The forward pass with what back-propagation needs: a_0 … a_{L−1}, z_1 … z_{L−1}, ‖u_l‖ and the logits.
    public struct Trace {
        /// a_0 … a_{L−1}: element l is layer l+1's (normalised) input.
        public var inputs: [Matrix<Scalar>]
        /// z_1 … z_{L−1}: element l−1 is z_l.
        var preActivations: [Matrix<Scalar>]
        /// ‖u_l‖ per sample for l = 1 … L−1.
        var norms: [[Scalar]]
        /// z_L (n × k).
        public var logits: Matrix<Scalar>
    }

    /// The forward pass on raw inputs (n × d; each row is normalised first).
    public func trace(_ x: Matrix<Scalar>) -> Trace {
        var a = Self.unitRows(x)
        var inputs = [a], pre: [Matrix<Scalar>] = [], norms: [[Scalar]] = []
        for l in 1..<depth {
            let z = Self.affine(a, weights[l - 1], biases[l - 1])
            let normalised = Self.unitRowsWithNorms(Self.leaky(z, slope: negativeSlope))
            a = normalised.rows
            pre.append(z)
            norms.append(normalised.norms)
            inputs.append(a)
        }
        return Trace(inputs: inputs, preActivations: pre, norms: norms,
                     logits: Self.affine(a, weights[depth - 1], biases[depth - 1]))
    }

    /// The logits f(x) (n × k) for raw inputs (n × d).
    public func logits(_ x: Matrix<Scalar>) -> Matrix<Scalar> { trace(x).logits }

    /// From gradients G with respect to a_{l} (rows: `rowsPerSample` per sample) to gradients with respect to z_l:
    /// ∂/∂u = (G − a⟨a, G⟩)/‖u‖ (the Jacobian of u ↦ u/‖u‖), then ⊙ φ′(z_l). 1 ≤ l < L.
    func backThroughNormalisation(layer l: Int, _ g: inout Matrix<Scalar>, trace: Trace, rowsPerSample: Int) {
        let a = trace.inputs[l], norms = trace.norms[l - 1]
        let width = a.columns
        for r in 0..<g.rows {
            let x = r / rowsPerSample
            let norm = Double(norms[x])
            guard norm > 0 else {
                for c in 0..<width { g.storage[r * width + c] = 0 }
                continue
            }
            var dot = 0.0
            for c in 0..<width { dot += Double(a.storage[x * width + c]) * Double(g.storage[r * width + c]) }
            for c in 0..<width {
                let value = (Double(g.storage[r * width + c]) - Double(a.storage[x * width + c]) * dot) / norm
                g.storage[r * width + c] = Scalar(value)
            }
        }
        Self.gateLeaky(&g, by: trace.preActivations[l - 1], slope: negativeSlope, rowsPerSample: rowsPerSample)
    }

    /// Gradients of the mean cross-entropy over a batch with respect to every W_l and b_l (end-to-end training).
    public func crossEntropyGradient(_ x: Matrix<Scalar>, labels: [Int]) -> (loss: Double, weights: [Matrix<Scalar>], biases: [[Scalar]]) {
        let t = trace(x)
        let n = x.rows, k = layerSizes[depth]
        var delta = Matrix<Scalar>(rows: n, columns: k)
        let summary = t.logits.storage.withUnsafeBufferPointer { logits in
            delta.storage.withUnsafeMutableBufferPointer { g in
                LossFunction.crossEntropy.evaluate(logits: logits.baseAddress!, labels: labels, classCount: k,
                                                   gradient: g.baseAddress!, gradientScale: 1 / Double(n))
            }
        }
        var weightGradients = [Matrix<Scalar>](repeating: Matrix(rows: 0, columns: 0), count: depth)
        var biasGradients = [[Scalar]](repeating: [], count: depth)
        for l in stride(from: depth, through: 1, by: -1) {
            weightGradients[l - 1] = Matrix.product(delta, transposed: true, t.inputs[l - 1])
            biasGradients[l - 1] = Self.columnSums(delta)
            guard l > 1 else { break }
            var next = Matrix.product(delta, weights[l - 1])
            backThroughNormalisation(layer: l - 1, &next, trace: t, rowsPerSample: 1)
            delta = next
        }
        return (summary.lossSum / Double(n), weightGradients, biasGradients)
    }

    static func columnSums(_ m: Matrix<Scalar>) -> [Scalar] {
        var sums = [Double](repeating: 0, count: m.columns)
        for r in 0..<m.rows {
            for c in 0..<m.columns { sums[c] += Double(m.storage[r * m.columns + c]) }
        }
        return sums.map { Scalar($0) }
    }

    /// The tangent-kernel factors of every layer (paper Eq. 9), from L down to 1: layer l's input
    /// a_{l−1} (n × N_{l−1}) and G_l (nk × N_l), row x·k + i = ∂f_i(x)/∂z_l, back-propagated through
    /// the normalisations. K_l[(x,i),(x′,j)] = (⟨a_{l−1}(x), a_{l−1}(x′)⟩ + 1)⟨G_l[(x,i)], G_l[(x′,j)]⟩.
    public func forEachLayerTangentFactors(_ x: Matrix<Scalar>, _ body: (_ layer: Int, _ inputs: Matrix<Scalar>, _ gradients: Matrix<Scalar>) -> Void) {
        let t = trace(x)
        let n = x.rows, k = layerSizes[depth]
        var g = Matrix<Scalar>(rows: n * k, columns: k)
        for r in 0..<(n * k) { g.storage[r * k + r % k] = 1 }
        for l in stride(from: depth, through: 1, by: -1) {
            body(l, t.inputs[l - 1], g)
            guard l > 1 else { break }
            var next = Matrix.product(g, weights[l - 1])
            backThroughNormalisation(layer: l - 1, &next, trace: t, rowsPerSample: k)
            g = next
        }
    }
}

extension NormalisedLeakyNetwork: LayerKernelSource {
    public var kernelInputDimension: Int { layerSizes[0] }
    public var kernelOutputDimension: Int { layerSizes[depth] }
    public var kernelLayerCount: Int { depth }

    /// Dense layer kernels (``DenseLayerKernel``) of the normalised network's factors.
    public func forEachLayerKernel(probe: Matrix<Scalar>, samplesPerBlock: Int,
                                   _ body: (_ layer: Int, _ kernel: inout DenseLayerKernel<Scalar>) -> Void) {
        let n = probe.rows, k = kernelOutputDimension
        let workspace = DenseKernelWorkspace<Scalar>(sampleCount: n, outputCount: k, blockSamples: max(1, min(n, samplesPerBlock)))
        forEachLayerTangentFactors(probe) { l, inputs, gradients in
            inputs.storage.withUnsafeBufferPointer { a in
                gradients.storage.withUnsafeBufferPointer { g in
                    var kernel = DenseLayerKernel(previous: a.baseAddress!, fanIn: inputs.columns, gradients: g.baseAddress!,
                                                  fanOut: gradients.columns, sampleCount: n, outputCount: k, hasBias: true,
                                                  workspace: workspace)
                    body(l, &kernel)
                }
            }
        }
    }
}
