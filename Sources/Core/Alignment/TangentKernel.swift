import Foundation

/// Exact layerwise tangent kernels of a ``DenseNetwork`` (paper Sections 2.1 and 3.1).
///
/// Output-space indices are sample-major: (x, i) ↦ x·k + i for sample x ∈ 0..<n, output i ∈ 0..<k.
/// Layer l's tangent kernel is K_l = Ψ_lᵀΨ_l with Ψ_l the gradients of the logits with respect
/// to the layer's parameters (W_l and, when present, b_l). It factorises (Eq. 9, unnormalised) as
///
///     K_l[(x,i),(x′,j)] = (F_l(x,x′) + [bias]) · B_l[(x,i),(x′,j)],
///     F_l(x,x′) = ⟨a_{l−1}(x), a_{l−1}(x′)⟩  (a_0 = x, a_l = φ(z_l)),
///     B_l[(x,i),(x′,j)] = ⟨∂f_i/∂z_l(x), ∂f_j/∂z_l(x′)⟩,
///
/// so it is computed from one forward and one batched backward pass with Gram products on BLAS,
/// never from per-parameter Jacobians. F_l is the paper's forward kernel times N_{l−1} and B_l
/// its backward kernel times N_l (Eq. 9 divides each by the width).
///
/// The matrices here are nk × nk in Double, computed on a Double copy of the network: meant for
/// small n (tests, spectra). ``LayerAlignment`` computes the alignments of large probes without
/// storing any kernel.
public enum TangentKernel {
    /// F_l (n × n): inner products of layer l's inputs a_{l−1}(x) (the raw inputs for l = 1).
    /// - Precondition: 1 ≤ layer ≤ L and `inputs` has d columns.
    public static func forwardKernel<Scalar: BLASScalar>(network: DenseNetwork<Scalar>, inputs: Matrix<Scalar>, layer: Int) -> Matrix<Double> {
        factors(network: network, inputs: inputs, layer: layer).forward
    }

    /// B_l (nk × nk): inner products of the logits' gradients with respect to z_l.
    /// - Precondition: 1 ≤ layer ≤ L and `inputs` has d columns.
    public static func backwardKernel<Scalar: BLASScalar>(network: DenseNetwork<Scalar>, inputs: Matrix<Scalar>, layer: Int) -> Matrix<Double> {
        factors(network: network, inputs: inputs, layer: layer).backward
    }

    /// K_l (nk × nk), the tangent kernel of layer l's parameters.
    /// - Precondition: 1 ≤ layer ≤ L and `inputs` has d columns.
    public static func layerKernel<Scalar: BLASScalar>(network: DenseNetwork<Scalar>, inputs: Matrix<Scalar>, layer: Int) -> Matrix<Double> {
        let pieces = factors(network: network, inputs: inputs, layer: layer)
        return combine(forward: pieces.forward, backward: pieces.backward, outputCount: network.architecture.outputDimension,
                       hasBias: network.architecture.hasBias)
    }

    /// K_1 … K_L (element l−1 is K_l), from a single forward/backward sweep.
    public static func layerKernels<Scalar: BLASScalar>(network: DenseNetwork<Scalar>, inputs: Matrix<Scalar>) -> [Matrix<Double>] {
        var kernels = [Matrix<Double>](repeating: Matrix(rows: 0, columns: 0), count: network.architecture.depth)
        forEachLayerKernel(network: network, inputs: inputs) { l, kernel in kernels[l - 1] = kernel }
        return kernels
    }

    /// K_l for every layer, one at a time (layers L down to 1) from a single forward/backward sweep,
    /// so that only one nk × nk kernel is held at once (spectra of large probes).
    public static func forEachLayerKernel<Scalar: BLASScalar>(network: DenseNetwork<Scalar>, inputs: Matrix<Scalar>,
                                                              _ body: (_ layer: Int, _ kernel: Matrix<Double>) -> Void) {
        let k = network.architecture.outputDimension
        let hasBias = network.architecture.hasBias
        sweep(network: network, inputs: inputs) { l, forward, backward in
            body(l, combine(forward: forward(), backward: backward(), outputCount: k, hasBias: hasBias))
        }
    }

    /// The full tangent kernel K = Σ_l K_l = ∇_θf ∇_θfᵀ (nk × nk).
    public static func fullKernel<Scalar: BLASScalar>(network: DenseNetwork<Scalar>, inputs: Matrix<Scalar>) -> Matrix<Double> {
        let m = inputs.rows * network.architecture.outputDimension
        var total = Matrix<Double>(rows: m, columns: m)
        for kernel in layerKernels(network: network, inputs: inputs) {
            for index in total.storage.indices { total.storage[index] += kernel.storage[index] }
        }
        return total
    }

    /// Tr(K_l) for l = 1…L (element l−1), without forming any kernel:
    /// Tr(K_l) = Σ_x (‖a_{l−1}(x)‖² + [bias]) Σ_i ‖∂f_i/∂z_l(x)‖². Runs in the network's own
    /// precision with sums accumulated in Double, so it suits large probes.
    public static func layerTraces<Scalar: BLASScalar>(network: DenseNetwork<Scalar>, inputs: Matrix<Scalar>) -> [Double] {
        let n = inputs.rows
        let k = network.architecture.outputDimension
        let sizes = network.architecture.layerSizes
        let bias: Double = network.architecture.hasBias ? 1 : 0
        var traces = [Double](repeating: 0, count: network.architecture.depth)
        network.forEachLayerTangentFactors(inputs: inputs) { l, previous, gradients in
            let fanIn = sizes[l - 1], fanOut = sizes[l]
            var trace = 0.0
            for x in 0..<n {
                var forward = 0.0
                for c in 0..<fanIn { let v = Double(previous[x * fanIn + c]); forward += v * v }
                var backward = 0.0
                for c in 0..<(k * fanOut) { let v = Double(gradients[x * k * fanOut + c]); backward += v * v }
                trace += (forward + bias) * backward
            }
            traces[l - 1] = trace
        }
        return traces
    }

    // MARK: - Internals

    private static func factors<Scalar: BLASScalar>(network: DenseNetwork<Scalar>, inputs: Matrix<Scalar>, layer: Int)
        -> (forward: Matrix<Double>, backward: Matrix<Double>) {
        precondition(layer >= 1 && layer <= network.architecture.depth, "layer \(layer) is outside 1…\(network.architecture.depth)")
        var result = (forward: Matrix<Double>(rows: 0, columns: 0), backward: Matrix<Double>(rows: 0, columns: 0))
        sweep(network: network, inputs: inputs) { l, forward, backward in
            if l == layer { result = (forward(), backward()) }
        }
        return result
    }

    /// Runs the factor sweep on a Double copy and hands each layer's F_l and B_l (as lazy Gram products).
    private static func sweep<Scalar: BLASScalar>(
        network: DenseNetwork<Scalar>, inputs: Matrix<Scalar>,
        _ body: (Int, () -> Matrix<Double>, () -> Matrix<Double>) -> Void
    ) {
        let exact = network.converted(to: Double.self)
        let x = Matrix<Double>(rows: inputs.rows, columns: inputs.columns, storage: inputs.storage.map { Double($0) })
        let n = inputs.rows
        let k = network.architecture.outputDimension
        let sizes = network.architecture.layerSizes
        exact.forEachLayerTangentFactors(inputs: x) { l, previous, gradients in
            let forward = { gram(previous, rows: n, columns: sizes[l - 1]) }
            let backward = { gram(gradients, rows: n * k, columns: sizes[l]) }
            body(l, forward, backward)
        }
    }

    /// M Mᵀ for a row-major rows × columns matrix.
    private static func gram(_ pointer: UnsafePointer<Double>, rows: Int, columns: Int) -> Matrix<Double> {
        var result = Matrix<Double>(rows: rows, columns: rows)
        result.storage.withUnsafeMutableBufferPointer { c in
            Double.gemm(transposeA: false, transposeB: true, m: rows, n: rows, k: columns,
                        alpha: 1, a: pointer, lda: columns, b: pointer, ldb: columns, beta: 0, c: c.baseAddress!, ldc: rows)
        }
        return result
    }

    /// K = (F ⊗ 11ᵀ + [bias]) ⊙ B.
    private static func combine(forward: Matrix<Double>, backward: Matrix<Double>, outputCount k: Int, hasBias: Bool) -> Matrix<Double> {
        var kernel = backward
        let m = backward.rows
        let bias: Double = hasBias ? 1 : 0
        for r in 0..<m {
            for s in 0..<m { kernel[r, s] *= forward[r / k, s / k] + bias }
        }
        return kernel
    }
}
