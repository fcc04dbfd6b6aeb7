import Foundation

/// The output Hessian of paper Appendix B.4 for a fixed batch and fixed output weights:
///
///     H_w = Σ_{x ∈ D} Σ_{i=1}^{k} w_{x,i} ∇²_θ f_i(x)          (P × P, symmetric),
///
/// together with the tangent-feature products Ψ v = Σ_{x,i} v_{x,i} ∇_θ f_i(x) (Ψ(x) = ∇_θ f(x)ᵀ,
/// Ψ ∈ ℝ^{P×nk}). Output vectors are sample-major: entry (x, i) sits at x·k + i.
///
/// Hessian–vector products are exact (up to rounding): Pearlmutter's R-operator applied to
/// the back-propagation of w, in float64. With V_l, c_l the blocks of the direction v and
/// masks M_l = 1[Z_l > 0]:
///
///     R(Z_l) = R(A_{l−1}) W_lᵀ + A_{l−1} V_lᵀ + 1 c_lᵀ,   R(A_l) = R(Z_l) ⊙ M_l,   R(A_0) = 0,
///     R(D_L) = 0  (w is held fixed),
///     R(∂W_l) = R(D_l)ᵀ A_{l−1} + D_lᵀ R(A_{l−1}),   R(∂b_l) = 1ᵀ R(D_l),
///     R(D_{l−1}) = (R(D_l) W_l + D_l V_l) ⊙ M_{l−1},
///
/// where D_l = ∂(wᵀF)/∂Z_l are the back-propagated errors of the forward/backward pass, which
/// are computed once at construction and reused by every product. The ReLU's second
/// derivative is zero away from the kinks, and the kink itself (z = 0) has derivative 0 as in
/// the training engine, so H_w is the Hessian of the piecewise-polynomial function θ ↦ wᵀF(θ)
/// inside the current activation region.
///
/// Cost of one product: about five matrix products per layer on n rows (≈ 2.5 forward/backward passes).
public struct OutputHessian: Sendable {
    /// The network at which H_w is taken.
    public let network: DenseNetwork<Double>
    /// The inputs x ∈ D, one per row (n × d).
    public let inputs: Matrix<Double>
    /// w ∈ ℝ^{nk}, sample-major.
    public let outputWeights: [Double]

    /// A_0 = X, A_1 … A_{L−1} (post-ReLU), n × N_l each.
    private let layerInputs: [[Double]]
    /// D_1 … D_L (index l − 1), n × N_l each; D_L = w.
    private let errors: [[Double]]
    private let parameters: ParameterLayout

    /// Prepares H_w for `network` on `inputs` with output weights `outputWeights`.
    /// - Precondition: `inputs` is n × d with n ≥ 1 and `outputWeights` has n·k entries.
    public init(network: DenseNetwork<Double>, inputs: Matrix<Double>, outputWeights: [Double]) {
        let architecture = network.architecture
        let n = inputs.rows
        let k = architecture.outputDimension
        precondition(n > 0 && inputs.columns == architecture.inputDimension,
                     "inputs must be n × d with n ≥ 1 and d = \(architecture.inputDimension)")
        precondition(outputWeights.count == n * k, "w has \(outputWeights.count) entries, expected n·k = \(n * k)")
        self.network = network
        self.inputs = inputs
        self.outputWeights = outputWeights
        self.parameters = ParameterLayout(architecture: architecture)
        let activations = network.activations(inputs)
        var layerInputs = [inputs.storage]
        for l in 1..<architecture.depth { layerInputs.append(activations[l - 1].storage) }
        self.layerInputs = layerInputs
        self.errors = Self.backPropagate(network: network, layerInputs: layerInputs, outputVector: outputWeights)
    }

    /// P, the dimension of H_w.
    public var parameterCount: Int { network.parameterCount }

    /// Ψ w = Σ_{x,i} w_{x,i} ∇_θ f_i(x), the gradient of wᵀF (for w = ∇_F ℒ: the loss gradient).
    public var tangentFeaturesTimesWeights: [Double] {
        gradient(errors: errors)
    }

    /// H_w v, exactly (R-operator, see the type's documentation).
    /// - Precondition: `v.count == P`.
    public func product(_ v: [Double]) -> [Double] {
        let architecture = network.architecture
        precondition(v.count == parameterCount, "v has \(v.count) entries, expected P = \(parameterCount)")
        let sizes = architecture.layerSizes
        let depth = architecture.depth
        let n = inputs.rows
        var result = [Double](repeating: 0, count: parameterCount)
        // R(A_l) for l = 1…L−1 (index l − 1); R(A_0) = 0.
        var rActivations: [[Double]] = []
        v.withUnsafeBufferPointer { vp in
            for l in 1..<depth {
                let fanIn = sizes[l - 1], fanOut = sizes[l]
                var rz = [Double](repeating: 0, count: n * fanOut)
                rz.withUnsafeMutableBufferPointer { out in
                    if architecture.hasBias {
                        let c = vp.baseAddress! + parameters.biasOffsets[l - 1]
                        for r in 0..<n { (out.baseAddress! + r * fanOut).update(from: c, count: fanOut) }
                    }
                    layerInputs[l - 1].withUnsafeBufferPointer { a in
                        Double.gemm(transposeA: false, transposeB: true, m: n, n: fanOut, k: fanIn, alpha: 1,
                                    a: a.baseAddress!, lda: fanIn, b: vp.baseAddress! + parameters.weightOffsets[l - 1], ldb: fanIn,
                                    beta: 1, c: out.baseAddress!, ldc: fanOut)
                    }
                    if l > 1 {
                        rActivations[l - 2].withUnsafeBufferPointer { ra in
                            network.weights[l - 1].storage.withUnsafeBufferPointer { w in
                                Double.gemm(transposeA: false, transposeB: true, m: n, n: fanOut, k: fanIn, alpha: 1,
                                            a: ra.baseAddress!, lda: fanIn, b: w.baseAddress!, ldb: fanIn,
                                            beta: 1, c: out.baseAddress!, ldc: fanOut)
                            }
                        }
                    }
                    layerInputs[l].withUnsafeBufferPointer { mask in
                        Elementwise.gate(out.baseAddress!, by: mask.baseAddress!, count: n * fanOut)
                    }
                }
                rActivations.append(rz)
            }

            // Backward: R(D_L) = 0.
            var rDelta: [Double]? = nil
            result.withUnsafeMutableBufferPointer { out in
                for l in stride(from: depth, through: 1, by: -1) {
                    let fanIn = sizes[l - 1], fanOut = sizes[l]
                    let gradientW = out.baseAddress! + parameters.weightOffsets[l - 1]
                    // R(∂W_l) = R(D_l)ᵀ A_{l−1} + D_lᵀ R(A_{l−1}).
                    if let rd = rDelta {
                        rd.withUnsafeBufferPointer { rdp in
                            layerInputs[l - 1].withUnsafeBufferPointer { a in
                                Double.gemm(transposeA: true, transposeB: false, m: fanOut, n: fanIn, k: n, alpha: 1,
                                            a: rdp.baseAddress!, lda: fanOut, b: a.baseAddress!, ldb: fanIn,
                                            beta: 1, c: gradientW, ldc: fanIn)
                            }
                            if architecture.hasBias {
                                let gradientB = out.baseAddress! + parameters.biasOffsets[l - 1]
                                for r in 0..<n {
                                    for j in 0..<fanOut { gradientB[j] += rdp[r * fanOut + j] }
                                }
                            }
                        }
                    }
                    if l > 1 {
                        errors[l - 1].withUnsafeBufferPointer { d in
                            rActivations[l - 2].withUnsafeBufferPointer { ra in
                                Double.gemm(transposeA: true, transposeB: false, m: fanOut, n: fanIn, k: n, alpha: 1,
                                            a: d.baseAddress!, lda: fanOut, b: ra.baseAddress!, ldb: fanIn,
                                            beta: 1, c: gradientW, ldc: fanIn)
                            }
                        }
                        // R(D_{l−1}) = (R(D_l) W_l + D_l V_l) ⊙ M_{l−1}.
                        var next = [Double](repeating: 0, count: n * fanIn)
                        next.withUnsafeMutableBufferPointer { np in
                            errors[l - 1].withUnsafeBufferPointer { d in
                                Self.multiplyByWeights(d.baseAddress!, vp.baseAddress! + parameters.weightOffsets[l - 1],
                                                       rows: n, fanOut: fanOut, fanIn: fanIn, beta: 0, into: np.baseAddress!)
                            }
                            if let rd = rDelta {
                                rd.withUnsafeBufferPointer { rdp in
                                    network.weights[l - 1].storage.withUnsafeBufferPointer { w in
                                        Self.multiplyByWeights(rdp.baseAddress!, w.baseAddress!, rows: n, fanOut: fanOut, fanIn: fanIn,
                                                               beta: 1, into: np.baseAddress!)
                                    }
                                }
                            }
                            layerInputs[l - 1].withUnsafeBufferPointer { mask in
                                Elementwise.gate(np.baseAddress!, by: mask.baseAddress!, count: n * fanIn)
                            }
                        }
                        rDelta = next
                    }
                }
            }
        }
        return result
    }

    /// The dense P × P matrix H_w, built column by column from ``product(_:)`` (for tests and tiny networks).
    public func denseMatrix() -> Matrix<Double> {
        let p = parameterCount
        var matrix = Matrix<Double>(rows: p, columns: p)
        var unit = [Double](repeating: 0, count: p)
        for j in 0..<p {
            unit[j] = 1
            let column = product(unit)
            unit[j] = 0
            for i in 0..<p { matrix[i, j] = column[i] }
        }
        return matrix
    }

    // MARK: - Back-propagation of an output vector

    /// D_1 … D_L for D_L = v (n × k), D_{l−1} = (D_l W_l) ⊙ M_{l−1}.
    private static func backPropagate(network: DenseNetwork<Double>, layerInputs: [[Double]], outputVector: [Double]) -> [[Double]] {
        let sizes = network.architecture.layerSizes
        let depth = network.architecture.depth
        let n = layerInputs[0].count / max(1, sizes[0])
        var errors = [[Double]](repeating: [], count: depth)
        errors[depth - 1] = outputVector
        for l in stride(from: depth, to: 1, by: -1) {
            let fanIn = sizes[l - 1], fanOut = sizes[l]
            var next = [Double](repeating: 0, count: n * fanIn)
            next.withUnsafeMutableBufferPointer { np in
                errors[l - 1].withUnsafeBufferPointer { d in
                    network.weights[l - 1].storage.withUnsafeBufferPointer { w in
                        multiplyByWeights(d.baseAddress!, w.baseAddress!, rows: n, fanOut: fanOut, fanIn: fanIn,
                                          beta: 0, into: np.baseAddress!)
                    }
                }
                layerInputs[l - 1].withUnsafeBufferPointer { mask in
                    Elementwise.gate(np.baseAddress!, by: mask.baseAddress!, count: n * fanIn)
                }
            }
            errors[l - 2] = next
        }
        return errors
    }

    /// c ← a·W + β·c for n rows `a` of width fanOut and a fanOut × fanIn weight matrix W (row-major):
    /// the step that carries errors (or their R-derivatives) back through one layer.
    private static func multiplyByWeights(_ a: UnsafePointer<Double>, _ w: UnsafePointer<Double>, rows n: Int,
                                          fanOut: Int, fanIn: Int, beta: Double, into c: UnsafeMutablePointer<Double>) {
        Double.gemm(transposeA: false, transposeB: false, m: n, n: fanIn, k: fanOut, alpha: 1,
                    a: a, lda: fanOut, b: w, ldb: fanIn, beta: beta, c: c, ldc: fanIn)
    }

    /// ∂/∂θ of the back-propagated errors: ∂W_l = D_lᵀ A_{l−1}, ∂b_l = 1ᵀ D_l.
    private func gradient(errors: [[Double]]) -> [Double] {
        let sizes = network.architecture.layerSizes
        let n = inputs.rows
        var result = [Double](repeating: 0, count: parameterCount)
        result.withUnsafeMutableBufferPointer { out in
            for l in 1...network.architecture.depth {
                let fanIn = sizes[l - 1], fanOut = sizes[l]
                errors[l - 1].withUnsafeBufferPointer { d in
                    layerInputs[l - 1].withUnsafeBufferPointer { a in
                        Double.gemm(transposeA: true, transposeB: false, m: fanOut, n: fanIn, k: n, alpha: 1,
                                    a: d.baseAddress!, lda: fanOut, b: a.baseAddress!, ldb: fanIn,
                                    beta: 0, c: out.baseAddress! + parameters.weightOffsets[l - 1], ldc: fanIn)
                    }
                    if network.architecture.hasBias {
                        let b = out.baseAddress! + parameters.biasOffsets[l - 1]
                        for r in 0..<n { for j in 0..<fanOut { b[j] += d[r * fanOut + j] } }
                    }
                }
            }
        }
        return result
    }
}

extension OutputHessian {
    /// w = ∇_F ℒ for the mean loss ℒ = (1/n) Σ_x loss(f(x), y_x) at `network` on `inputs`
    /// (cross-entropy: w_{x,·} = (softmax(f(x)) − e_{y_x}) / n), sample-major.
    /// - Precondition: one label in 0..<k per input row.
    public static func lossOutputGradient(network: DenseNetwork<Double>, inputs: Matrix<Double>, labels: [Int],
                                          loss: LossFunction) -> (loss: Double, gradient: [Double]) {
        let n = inputs.rows
        let k = network.architecture.outputDimension
        precondition(labels.count == n && n > 0, "need one label per input row")
        let logits = network.logits(inputs)
        var gradient = [Double](repeating: 0, count: n * k)
        let summary = logits.storage.withUnsafeBufferPointer { f in
            gradient.withUnsafeMutableBufferPointer { g in
                loss.evaluate(logits: f.baseAddress!, labels: labels, classCount: k, gradient: g.baseAddress!,
                              gradientScale: 1 / Double(n))
            }
        }
        return (summary.lossSum / Double(n), gradient)
    }

    /// The squared norm of each layer's block (W_l and b_l) of a parameter-space vector:
    /// E_l(v) = ‖v|_l‖² for l = 1…L (index l − 1). For a unit vector the entries sum to 1.
    /// - Precondition: `v.count == architecture.parameterCount`.
    public static func layerEnergies(_ v: [Double], architecture: DenseArchitecture) -> [Double] {
        precondition(v.count == architecture.parameterCount, "v has \(v.count) entries, expected P = \(architecture.parameterCount)")
        let layout = ParameterLayout(architecture: architecture)
        var energies: [Double] = []
        for l in 0..<architecture.depth {
            let start = layout.weightOffsets[l]
            let end = l + 1 < architecture.depth ? layout.weightOffsets[l + 1] : layout.count
            var sum = 0.0
            for index in start..<end { sum += v[index] * v[index] }
            energies.append(sum)
        }
        return energies
    }
}
