import Foundation

/// The tangent-feature matrix Ψ ∈ ℝ^{P×nk} of a dense network on a fixed input set (paper Eq. 3,
/// Ψ(x) = ∇_θ f(x)ᵀ, columns sample-major: (x, i) at x·k + i), without ever forming it:
///
/// - ``transposedProduct(_:)``: Ψᵀv ∈ ℝ^{nk} (the Jacobian–vector product, forward mode:
///   R(Z_l) = R(A_{l−1}) W_lᵀ + A_{l−1} V_lᵀ + 1 c_lᵀ, R(A_l) = R(Z_l) ⊙ 1[Z_l > 0], Ψᵀv = R(Z_L));
/// - ``product(_:)``: Ψu ∈ ℝ^P (back-propagation of u);
/// - ``layerSquaredNorms()`` and ``layerSquaredDistances(to:)``: ‖Ψ_l‖²_F and ‖Ψ′_l − Ψ_l‖²_F per layer,
///   in closed form. Column (x, i) of the weight block of layer l is the outer product
///   d_l^{(i)}(x) a_{l−1}(x)ᵀ of the back-propagated error of output i and the layer's input, so
///   ‖d′a′ᵀ − d aᵀ‖²_F = ‖d′‖²‖a′‖² + ‖d‖²‖a‖² − 2 (d′·d)(a′·a) (plus ‖d′ − d‖² for the bias block).
public struct TangentFeatureMap: Sendable {
    /// The network at which Ψ is taken.
    public let network: DenseNetwork<Double>
    /// The inputs, one per row (n × d).
    public let inputs: Matrix<Double>
    /// A_0 = X, A_1 … A_{L−1} (post-ReLU).
    let layerInputs: [Matrix<Double>]
    let layout: ParameterLayout

    /// Prepares Ψ for `network` on `inputs`.
    /// - Precondition: `inputs` is n × d with n ≥ 1 and d the network's input dimension.
    public init(network: DenseNetwork<Double>, inputs: Matrix<Double>) {
        precondition(inputs.rows > 0 && inputs.columns == network.architecture.inputDimension,
                     "inputs must be n × d with n ≥ 1 and d = \(network.architecture.inputDimension)")
        self.network = network
        self.inputs = inputs
        self.layout = ParameterLayout(architecture: network.architecture)
        self.layerInputs = [inputs] + network.activations(inputs).prefix(network.architecture.depth - 1)
    }

    /// n·k, the number of columns of Ψ.
    public var columnCount: Int { inputs.rows * network.architecture.outputDimension }

    /// W_l's block of a parameter vector as an N_l × N_{l−1} matrix (l is 1-based).
    private func weightBlock(_ v: [Double], layer l: Int) -> Matrix<Double> {
        let sizes = network.architecture.layerSizes
        let start = layout.weightOffsets[l - 1]
        return Matrix(rows: sizes[l], columns: sizes[l - 1], storage: Array(v[start..<start + sizes[l] * sizes[l - 1]]))
    }

    /// Ψᵀv = (∇_θ f_i(x) · v)_{x,i} ∈ ℝ^{nk}, sample-major.
    /// - Precondition: `v.count == P`.
    public func transposedProduct(_ v: [Double]) -> [Double] {
        let architecture = network.architecture
        precondition(v.count == architecture.parameterCount, "v has \(v.count) entries, expected P = \(architecture.parameterCount)")
        let n = inputs.rows
        var tangent = Matrix<Double>(rows: n, columns: architecture.inputDimension)  // R(A_0) = 0
        for l in 1...architecture.depth {
            var rz = Matrix.product(layerInputs[l - 1], transposed: false, weightBlock(v, layer: l), transposed: true)
            if l > 1 {
                let carried = Matrix.product(tangent, transposed: false, network.weights[l - 1], transposed: true)
                for index in rz.storage.indices { rz.storage[index] += carried.storage[index] }
            }
            if architecture.hasBias {
                let start = layout.biasOffsets[l - 1]
                for r in 0..<n { for j in 0..<rz.columns { rz.storage[r * rz.columns + j] += v[start + j] } }
            }
            if l < architecture.depth {
                let mask = layerInputs[l]
                for index in rz.storage.indices where !(mask.storage[index] > 0) { rz.storage[index] = 0 }
            }
            tangent = rz
        }
        return tangent.storage
    }

    /// Ψu = Σ_{x,i} u_{x,i} ∇_θ f_i(x) ∈ ℝ^P.
    /// - Precondition: `u.count == n·k`.
    public func product(_ u: [Double]) -> [Double] {
        OutputHessian(network: network, inputs: inputs, outputWeights: u).tangentFeaturesTimesWeights
    }

    /// D_l^{(i)} for every output i (outer index) and layer l (inner index l − 1): the error of
    /// output i back-propagated to Z_l, n × N_l; D_L^{(i)} = 1 e_iᵀ.
    private func outputErrors() -> [[Matrix<Double>]] {
        let architecture = network.architecture
        let n = inputs.rows, k = architecture.outputDimension
        return (0..<k).map { i in
            var errors = [Matrix<Double>](repeating: Matrix(rows: 0, columns: 0), count: architecture.depth)
            var top = Matrix<Double>(rows: n, columns: k)
            for r in 0..<n { top.storage[r * k + i] = 1 }
            errors[architecture.depth - 1] = top
            for l in stride(from: architecture.depth, to: 1, by: -1) {
                var next = Matrix.product(errors[l - 1], network.weights[l - 1])
                let mask = layerInputs[l - 1]
                for index in next.storage.indices where !(mask.storage[index] > 0) { next.storage[index] = 0 }
                errors[l - 2] = next
            }
            return errors
        }
    }

    private static func rowDots(_ a: Matrix<Double>, _ b: Matrix<Double>) -> [Double] {
        (0..<a.rows).map { r in
            var sum = 0.0
            for j in 0..<a.columns { sum += a.storage[r * a.columns + j] * b.storage[r * b.columns + j] }
            return sum
        }
    }

    /// ‖Ψ_l‖²_F = Tr(K_l) for l = 1…L (index l − 1): the squared Frobenius norm of layer l's rows of Ψ
    /// (weights and, if present, biases).
    public func layerSquaredNorms() -> [Double] {
        let errors = outputErrors()
        let architecture = network.architecture
        return (1...architecture.depth).map { l in
            let a = Self.rowDots(layerInputs[l - 1], layerInputs[l - 1])
            var total = 0.0
            for perOutput in errors {
                let d = Self.rowDots(perOutput[l - 1], perOutput[l - 1])
                for r in d.indices { total += d[r] * (a[r] + (architecture.hasBias ? 1 : 0)) }
            }
            return total
        }
    }

    /// ‖Ψ_l(other) − Ψ_l(self)‖²_F for l = 1…L (index l − 1), in closed form (see the type's documentation).
    /// - Precondition: `other` has the same architecture and inputs.
    public func layerSquaredDistances(to other: TangentFeatureMap) -> [Double] {
        precondition(other.network.architecture == network.architecture && other.inputs == inputs,
                     "the two maps must share architecture and inputs")
        let mine = outputErrors(), theirs = other.outputErrors()
        let architecture = network.architecture
        return (1...architecture.depth).map { l in
            let a = Self.rowDots(layerInputs[l - 1], layerInputs[l - 1])
            let b = Self.rowDots(other.layerInputs[l - 1], other.layerInputs[l - 1])
            let ab = Self.rowDots(layerInputs[l - 1], other.layerInputs[l - 1])
            var total = 0.0
            for i in mine.indices {
                let d = mine[i][l - 1], e = theirs[i][l - 1]
                let dd = Self.rowDots(d, d), ee = Self.rowDots(e, e), de = Self.rowDots(d, e)
                for r in dd.indices {
                    total += ee[r] * b[r] + dd[r] * a[r] - 2 * de[r] * ab[r]
                    if architecture.hasBias { total += ee[r] + dd[r] - 2 * de[r] }
                }
            }
            return max(0, total)
        }
    }
}

/// The loss Hessian of the mean cross-entropy and its decomposition (paper Eq. 20):
///
///     ∂²ℒ/∂θ² = H_w + Ψ (∂²ℒ/∂F²) Ψᵀ,   ∂²ℒ/∂F² = blockdiag_x (diag(p_x) − p_x p_xᵀ) / n,
///
/// with w = ∇_F ℒ, p_x = softmax(f(x)), H_w the output Hessian (``OutputHessian``) and Ψ the
/// tangent features (``TangentFeatureMap``). Products are exact: H_w v by the R-operator, Ψᵀv forward,
/// Ψ s backward, and the output curvature in closed form.
public struct CrossEntropyLossHessian: Sendable {
    /// H_w for w = ∇_F ℒ.
    public let outputHessian: OutputHessian
    /// Ψ.
    public let features: TangentFeatureMap
    /// p_x = softmax(f(x)), sample-major.
    public let probabilities: [Double]
    /// Mean cross-entropy ℒ.
    public let loss: Double

    /// Prepares the decomposition at `network` on (`inputs`, `labels`).
    /// - Precondition: one label in 0..<k per input row.
    public init(network: DenseNetwork<Double>, inputs: Matrix<Double>, labels: [Int]) {
        let (loss, w) = OutputHessian.lossOutputGradient(network: network, inputs: inputs, labels: labels, loss: .crossEntropy)
        self.loss = loss
        self.outputHessian = OutputHessian(network: network, inputs: inputs, outputWeights: w)
        self.features = TangentFeatureMap(network: network, inputs: inputs)
        let k = network.architecture.outputDimension
        let logits = network.logits(inputs).storage
        var probabilities = [Double](repeating: 0, count: logits.count)
        for r in 0..<inputs.rows {
            let row = logits[r * k..<(r + 1) * k]
            let top = row.max() ?? 0
            let exps = row.map { Foundation.exp($0 - top) }
            let sum = exps.reduce(0, +)
            for i in 0..<k { probabilities[r * k + i] = exps[i] / sum }
        }
        self.probabilities = probabilities
    }

    /// w = ∇_F ℒ.
    public var outputGradient: [Double] { outputHessian.outputWeights }
    /// ∇_θ ℒ = Ψw.
    public var gradient: [Double] { outputHessian.tangentFeaturesTimesWeights }

    /// (∂²ℒ/∂F²) s for s ∈ ℝ^{nk}.
    public func outputCurvatureProduct(_ s: [Double]) -> [Double] {
        let n = features.inputs.rows, k = features.network.architecture.outputDimension
        precondition(s.count == n * k, "s has \(s.count) entries, expected n·k = \(n * k)")
        var result = [Double](repeating: 0, count: s.count)
        for r in 0..<n {
            var ps = 0.0
            for i in 0..<k { ps += probabilities[r * k + i] * s[r * k + i] }
            for i in 0..<k { result[r * k + i] = probabilities[r * k + i] * (s[r * k + i] - ps) / Double(n) }
        }
        return result
    }

    /// The Gauss–Newton part Ψ (∂²ℒ/∂F²) Ψᵀ v.
    public func gaussNewtonProduct(_ v: [Double]) -> [Double] {
        features.product(outputCurvatureProduct(features.transposedProduct(v)))
    }

    /// (∂²ℒ/∂θ²) v = H_w v + Ψ (∂²ℒ/∂F²) Ψᵀ v (Eq. 20).
    public func product(_ v: [Double]) -> [Double] {
        let first = outputHessian.product(v), second = gaussNewtonProduct(v)
        return first.indices.map { first[$0] + second[$0] }
    }
}
