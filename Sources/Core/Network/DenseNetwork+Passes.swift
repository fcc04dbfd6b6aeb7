import Foundation

/// Where each layer's block lives in one contiguous activation buffer for a batch of `rows` samples:
/// layer l (1…L) occupies rows × N_l entries starting at ``offset(layer:)``, layers one after another.
/// Blocks 1…L−1 hold A_l = φ(Z_l); block L holds the logits Z_L.
struct ActivationLayout {
    let rows: Int
    let sizes: [Int]
    private let offsets: [Int]

    init(architecture: DenseArchitecture, rows: Int) {
        self.rows = rows
        self.sizes = architecture.layerSizes
        var offsets = [0, 0]
        for l in stride(from: 1, to: sizes.count - 1, by: 1) { offsets.append(offsets[l] + rows * sizes[l]) }
        self.offsets = offsets
    }

    /// First entry of layer l's block (1 ≤ l ≤ L).
    func offset(layer l: Int) -> Int { offsets[l] }

    /// Entries needed for all layers.
    var totalCount: Int { offsets[sizes.count - 1] + rows * sizes[sizes.count - 1] }
}

/// Where W_l and b_l start inside the flattened parameter vector θ = (W_1, b_1, …, W_L, b_L).
struct ParameterLayout {
    let weightOffsets: [Int]
    let biasOffsets: [Int]
    let count: Int

    init(architecture: DenseArchitecture) {
        let sizes = architecture.layerSizes
        var weightOffsets: [Int] = []
        var biasOffsets: [Int] = []
        var offset = 0
        for l in stride(from: 1, to: sizes.count, by: 1) {
            weightOffsets.append(offset)
            offset += sizes[l] * sizes[l - 1]
            biasOffsets.append(offset)
            if architecture.hasBias { offset += sizes[l] }
        }
        self.weightOffsets = weightOffsets
        self.biasOffsets = biasOffsets
        self.count = offset
    }
}

extension DenseNetwork {
    /// Batched forward pass on BLAS: writes A_1 … A_{L−1} and Z_L for `rows` inputs into
    /// `activations`, laid out as ``ActivationLayout`` describes. Each layer first copies
    /// the bias into every output row (or zeros), then adds A_{l−1} W_lᵀ with one gemm (β = 1),
    /// then applies ReLU in place (except on the logits).
    func forwardPass(input: UnsafePointer<Scalar>, rows n: Int, activations: UnsafeMutablePointer<Scalar>) {
        let sizes = architecture.layerSizes
        let depth = architecture.depth
        let layout = ActivationLayout(architecture: architecture, rows: n)
        for l in 1...depth {
            let fanIn = sizes[l - 1]
            let fanOut = sizes[l]
            let source: UnsafePointer<Scalar> = l == 1 ? input : UnsafePointer(activations + layout.offset(layer: l - 1))
            let destination = activations + layout.offset(layer: l)
            let bias = biases[l - 1]
            if bias.isEmpty {
                destination.update(repeating: 0, count: n * fanOut)
            } else {
                bias.withUnsafeBufferPointer { b in
                    for r in 0..<n { (destination + r * fanOut).update(from: b.baseAddress!, count: fanOut) }
                }
            }
            weights[l - 1].storage.withUnsafeBufferPointer { w in
                Scalar.gemm(transposeA: false, transposeB: true, m: n, n: fanOut, k: fanIn,
                            alpha: 1, a: source, lda: fanIn, b: w.baseAddress!, ldb: fanIn,
                            beta: 1, c: destination, ldc: fanOut)
            }
            if l < depth {
                Elementwise.rectify(destination, count: n * fanOut)
            }
        }
    }

    /// Batched backward pass: given the forward `activations` of `rows` inputs and
    /// D_L = ∂ℒ/∂Z_L (rows × k), writes ∂ℒ/∂θ into `gradient` (θ layout of ``flattenedParameters``):
    ///
    ///     ∂ℒ/∂W_l = D_lᵀ A_{l−1},   ∂ℒ/∂b_l = 1ᵀ D_l,   D_{l−1} = (D_l W_l) ⊙ 1[Z_{l−1} > 0].
    ///
    /// ReLU's derivative at 0 is taken as 0 (as PyTorch does). `scratch` must hold
    /// 2 · rows · N entries (N = width); it alternates as D_{l−1}, D_{l−2}, ….
    func backwardPass(input: UnsafePointer<Scalar>, rows n: Int, activations: UnsafePointer<Scalar>,
                      outputGradient: UnsafePointer<Scalar>, scratch: UnsafeMutablePointer<Scalar>,
                      gradient: UnsafeMutablePointer<Scalar>) {
        let sizes = architecture.layerSizes
        let depth = architecture.depth
        let layout = ActivationLayout(architecture: architecture, rows: n)
        let parameters = ParameterLayout(architecture: architecture)
        let scratchStride = n * architecture.width
        var delta = outputGradient
        for l in stride(from: depth, through: 1, by: -1) {
            let fanIn = sizes[l - 1]
            let fanOut = sizes[l]
            let previous: UnsafePointer<Scalar> = l == 1 ? input : activations + layout.offset(layer: l - 1)
            Scalar.gemm(transposeA: true, transposeB: false, m: fanOut, n: fanIn, k: n,
                        alpha: 1, a: delta, lda: fanOut, b: previous, ldb: fanIn,
                        beta: 0, c: gradient + parameters.weightOffsets[l - 1], ldc: fanIn)
            if architecture.hasBias {
                let biasGradient = UnsafeMutableBufferPointer(start: gradient + parameters.biasOffsets[l - 1], count: fanOut)
                biasGradient.update(repeating: 0)
                for r in 0..<n {
                    let row = delta + r * fanOut
                    for j in 0..<fanOut { biasGradient[j] += row[j] }
                }
            }
            guard l > 1 else { break }
            let next = scratch + (l % 2) * scratchStride
            weights[l - 1].storage.withUnsafeBufferPointer { w in
                Scalar.gemm(transposeA: false, transposeB: false, m: n, n: fanIn, k: fanOut,
                            alpha: 1, a: delta, lda: fanOut, b: w.baseAddress!, ldb: fanIn,
                            beta: 0, c: next, ldc: fanIn)
            }
            Elementwise.gate(next, by: previous, count: n * fanIn)
            delta = UnsafePointer(next)
        }
    }

    /// The mean loss over a batch and its gradient ∂ℒ/∂θ (θ laid out as ``flattenedParameters``),
    /// with ℒ = (1/n) Σ_x loss(f(x), y_x) as ``LossFunction`` defines it.
    /// A convenience for tests and analysis; training uses ``Trainer``, which reuses its buffers.
    /// - Precondition: `features` is n × d with n ≥ 1, `labels` has n entries in 0..<k.
    public func lossAndGradient(features: Matrix<Scalar>, labels: [Int], loss: LossFunction) -> (loss: Double, gradient: [Scalar]) {
        let n = features.rows
        precondition(n > 0 && features.columns == architecture.inputDimension && labels.count == n,
                     "features must be n × d with one label per row")
        let k = architecture.outputDimension
        let layout = ActivationLayout(architecture: architecture, rows: n)
        var activations = [Scalar](repeating: 0, count: layout.totalCount)
        var outputGradient = [Scalar](repeating: 0, count: n * k)
        var scratch = [Scalar](repeating: 0, count: 2 * n * architecture.width)
        var gradient = [Scalar](repeating: 0, count: parameterCount)
        var total = 0.0
        features.storage.withUnsafeBufferPointer { input in
            activations.withUnsafeMutableBufferPointer { a in
                forwardPass(input: input.baseAddress!, rows: n, activations: a.baseAddress!)
                outputGradient.withUnsafeMutableBufferPointer { g in
                    let summary = loss.evaluate(logits: UnsafePointer(a.baseAddress! + layout.offset(layer: architecture.depth)),
                                                labels: labels, classCount: k, gradient: g.baseAddress!,
                                                gradientScale: 1 / Double(n))
                    total = summary.lossSum
                    scratch.withUnsafeMutableBufferPointer { s in
                        gradient.withUnsafeMutableBufferPointer { out in
                            backwardPass(input: input.baseAddress!, rows: n, activations: UnsafePointer(a.baseAddress!),
                                         outputGradient: UnsafePointer(g.baseAddress!), scratch: s.baseAddress!,
                                         gradient: out.baseAddress!)
                        }
                    }
                }
            }
        }
        return (total / Double(n), gradient)
    }
}
