import Foundation

/// A fully connected ReLU network with its own weights in every layer
/// (paper Eq. 8 / Appendix A; shape in ``DenseArchitecture``).
///
/// Forward pass on a batch X (n × d, one sample per row):
///
///     A_0 = X,   Z_l = A_{l−1} W_lᵀ + 1 b_lᵀ,   A_l = max(Z_l, 0)  (l < L),   logits = Z_L  (n × k).
///
/// Storage: `weights[l−1]` is W_l (N_l × N_{l−1}, row-major) and `biases[l−1]` is b_l
/// (N_l entries, or empty when the architecture has no biases). Products run on BLAS gemm.
///
/// The flattened parameter vector θ (used for gradients, optimiser state and
/// finite-difference tests) lists the layers in order, each as W_l row by row
/// followed by b_l: θ = (W_1, b_1, W_2, b_2, …, W_L, b_L).
public struct DenseNetwork<Scalar: BLASScalar>: Sendable {
    /// The shape of the network.
    public let architecture: DenseArchitecture
    /// W_1 … W_L; `weights[l−1]` has N_l rows and N_{l−1} columns.
    public var weights: [Matrix<Scalar>]
    /// b_1 … b_L; each has N_l entries, or is empty when `architecture.hasBias` is false.
    public var biases: [[Scalar]]

    /// A network with He initialisation (He et al., 2015; the paper's Edge-of-Chaos
    /// choice): every weight W_l[i, j] ~ N(0, 2/N_{l−1}) independently, biases 0.
    ///
    /// Weights are drawn layer by layer, row by row, one `nextNormal()` each, so the
    /// network is a deterministic function of the generator's state. With tied hidden weights
    /// every layer is still drawn (so the other layers match the untied network of the same
    /// stream), then layers 3…L−1 take layer 2's weights: one N(0, 2/N) matrix used L − 2 times.
    /// - Precondition: every dimension of `architecture` is at least 1.
    public init(architecture: DenseArchitecture, generator: inout SeededGenerator) {
        precondition((try? architecture.validate()) != nil,
                     "network dimensions must be positive: \(architecture)")
        let sizes = architecture.layerSizes
        var weights: [Matrix<Scalar>] = []
        var biases: [[Scalar]] = []
        for l in 1..<sizes.count {
            let fanIn = sizes[l - 1]
            let standardDeviation = (2.0 / Double(fanIn)).squareRoot()
            var storage = [Scalar](repeating: 0, count: sizes[l] * fanIn)
            for index in storage.indices {
                storage[index] = Scalar(generator.nextNormal() * standardDeviation)
            }
            weights.append(Matrix(rows: sizes[l], columns: fanIn, storage: storage))
            biases.append(architecture.hasBias ? [Scalar](repeating: 0, count: sizes[l]) : [])
        }
        let tied = architecture.tiedLayerIndices
        for index in tied.dropFirst() { weights[index] = weights[tied.lowerBound] }
        self.architecture = architecture
        self.weights = weights
        self.biases = biases
    }

    /// A He-initialised network of a run specification's architecture.
    /// - Precondition: `architecture` is ``Architecture/dense(_:)``.
    public init(architecture: Architecture, generator: inout SeededGenerator) {
        guard let shape = architecture.dense else { preconditionFailure("\(architecture) is not a fully connected network") }
        self.init(architecture: shape, generator: &generator)
    }

    /// A network with the given parameters.
    /// - Throws: ``NetworkParameterError`` when a matrix or bias has the wrong size for `architecture`.
    public init(architecture: DenseArchitecture, weights: [Matrix<Scalar>], biases: [[Scalar]]) throws {
        try architecture.validate()
        let sizes = architecture.layerSizes
        guard weights.count == architecture.depth, biases.count == architecture.depth else {
            throw NetworkParameterError.layerCount(expected: architecture.depth, weights: weights.count, biases: biases.count)
        }
        for l in 1..<sizes.count {
            let w = weights[l - 1]
            guard w.rows == sizes[l], w.columns == sizes[l - 1] else {
                throw NetworkParameterError.weightShape(layer: l, expected: (sizes[l], sizes[l - 1]), actual: (w.rows, w.columns))
            }
            let expectedBias = architecture.hasBias ? sizes[l] : 0
            guard biases[l - 1].count == expectedBias else {
                throw NetworkParameterError.biasLength(layer: l, expected: expectedBias, actual: biases[l - 1].count)
            }
        }
        if let layer = Self.firstUntiedLayer(architecture, weights: weights, biases: biases) {
            throw NetworkParameterError.untiedCopy(layer: layer)
        }
        self.architecture = architecture
        self.weights = weights
        self.biases = biases
    }

    /// A network whose parameters are read from the flattened vector θ = (W_1, b_1, …, W_L, b_L).
    /// - Throws: ``NetworkParameterError/parameterCount(expected:actual:)`` when θ has the wrong length.
    public init(architecture: DenseArchitecture, flattenedParameters theta: [Scalar]) throws {
        try architecture.validate()
        guard theta.count == architecture.parameterCount else {
            throw NetworkParameterError.parameterCount(expected: architecture.parameterCount, actual: theta.count)
        }
        let sizes = architecture.layerSizes
        var weights: [Matrix<Scalar>] = []
        var biases: [[Scalar]] = []
        var offset = 0
        for l in 1..<sizes.count {
            let count = sizes[l] * sizes[l - 1]
            weights.append(Matrix(rows: sizes[l], columns: sizes[l - 1], storage: Array(theta[offset..<offset + count])))
            offset += count
            if architecture.hasBias {
                biases.append(Array(theta[offset..<offset + sizes[l]]))
                offset += sizes[l]
            } else {
                biases.append([])
            }
        }
        try self.init(architecture: architecture, weights: weights, biases: biases)
    }

    /// P, the number of trainable parameters (weights and biases).
    public var parameterCount: Int { architecture.parameterCount }

    /// θ = (W_1, b_1, W_2, b_2, …, W_L, b_L), each W_l row by row.
    public var flattenedParameters: [Scalar] {
        var theta: [Scalar] = []
        theta.reserveCapacity(parameterCount)
        for l in weights.indices {
            theta.append(contentsOf: weights[l].storage)
            theta.append(contentsOf: biases[l])
        }
        return theta
    }

    /// The same network with every parameter converted to `T` (rounding to nearest).
    public func converted<T: BLASScalar>(to type: T.Type) -> DenseNetwork<T> {
        DenseNetwork<T>(
            uncheckedArchitecture: architecture,
            weights: weights.map { Matrix<T>(rows: $0.rows, columns: $0.columns, storage: $0.storage.map { T($0) }) },
            biases: biases.map { $0.map { T($0) } })
    }

    /// With tied hidden weights, the first layer (1-based) whose weights or bias are not the same
    /// values as layer 2's (NaN matching NaN); nil when every copy matches or nothing is tied.
    static func firstUntiedLayer(_ architecture: DenseArchitecture, weights: [Matrix<Scalar>], biases: [[Scalar]]) -> Int? {
        let tied = architecture.tiedLayerIndices
        func same(_ a: [Scalar], _ b: [Scalar]) -> Bool {
            a.elementsEqual(b) { $0 == $1 || ($0.isNaN && $1.isNaN) }
        }
        return tied.dropFirst().first { index in
            !same(weights[index].storage, weights[tied.lowerBound].storage) || !same(biases[index], biases[tied.lowerBound])
        }.map { $0 + 1 }
    }

    /// Builds a network from parts already known to be consistent.
    init(uncheckedArchitecture: DenseArchitecture, weights: [Matrix<Scalar>], biases: [[Scalar]]) {
        self.architecture = uncheckedArchitecture
        self.weights = weights
        self.biases = biases
    }

    /// The logits f(x) = z_L(x) for every row of `inputs` (n × d), as an n × k matrix.
    /// - Precondition: `inputs.columns == architecture.inputDimension`.
    public func logits(_ inputs: Matrix<Scalar>) -> Matrix<Scalar> {
        precondition(inputs.columns == architecture.inputDimension,
                     "inputs have \(inputs.columns) columns but the network expects \(architecture.inputDimension)")
        let n = inputs.rows
        let k = architecture.outputDimension
        guard n > 0 else { return Matrix(rows: 0, columns: k) }
        let layout = ActivationLayout(architecture: architecture, rows: n)
        var activations = [Scalar](repeating: 0, count: layout.totalCount)
        inputs.storage.withUnsafeBufferPointer { input in
            activations.withUnsafeMutableBufferPointer { buffer in
                forwardPass(input: input.baseAddress!, rows: n, activations: buffer.baseAddress!)
            }
        }
        let start = layout.offset(layer: architecture.depth)
        return Matrix(rows: n, columns: k, storage: Array(activations[start..<start + n * k]))
    }

    /// All post-activations of a batch: element l−1 is A_l = φ(Z_l) (n × N_l) for l = 1…L−1,
    /// and the last element is the logits Z_L (n × k). Used by kernel computations and tests.
    public func activations(_ inputs: Matrix<Scalar>) -> [Matrix<Scalar>] {
        precondition(inputs.columns == architecture.inputDimension,
                     "inputs have \(inputs.columns) columns but the network expects \(architecture.inputDimension)")
        let n = inputs.rows
        let sizes = architecture.layerSizes
        guard n > 0 else { return sizes.dropFirst().map { Matrix(rows: 0, columns: $0) } }
        let layout = ActivationLayout(architecture: architecture, rows: n)
        var buffer = [Scalar](repeating: 0, count: layout.totalCount)
        inputs.storage.withUnsafeBufferPointer { input in
            buffer.withUnsafeMutableBufferPointer { b in
                forwardPass(input: input.baseAddress!, rows: n, activations: b.baseAddress!)
            }
        }
        return (1..<sizes.count).map { l in
            let start = layout.offset(layer: l)
            return Matrix(rows: n, columns: sizes[l], storage: Array(buffer[start..<start + n * sizes[l]]))
        }
    }
}

/// Why a set of parameters does not fit an architecture.
public enum NetworkParameterError: Error, CustomStringConvertible {
    case layerCount(expected: Int, weights: Int, biases: Int)
    case weightShape(layer: Int, expected: (Int, Int), actual: (Int, Int))
    case biasLength(layer: Int, expected: Int, actual: Int)
    case parameterCount(expected: Int, actual: Int)
    /// A layer of a tied-weight network whose weights or bias differ from layer 2's.
    case untiedCopy(layer: Int)

    public var description: String {
        switch self {
        case let .layerCount(expected, weights, biases):
            return "The network needs \(expected) layers but got \(weights) weight matrices and \(biases) bias vectors; pass one of each per layer."
        case let .weightShape(layer, expected, actual):
            return "Weight matrix of layer \(layer) is \(actual.0)×\(actual.1) but the architecture needs \(expected.0)×\(expected.1)."
        case let .biasLength(layer, expected, actual):
            return "Bias of layer \(layer) has \(actual) entries but the architecture needs \(expected) (0 when the network has no biases)."
        case let .parameterCount(expected, actual):
            return "The parameter vector has \(actual) entries but the architecture has \(expected) parameters."
        case let .untiedCopy(layer):
            return "Layer \(layer) of a network with tied hidden weights differs from layer 2; every N → N layer must hold the same weights and bias."
        }
    }
}
