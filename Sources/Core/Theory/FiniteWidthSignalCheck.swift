import Foundation

/// A Monte Carlo check that finite-width random ReLU networks follow the
/// infinite-width recursions of Appendix A.3.
///
/// Network (paper Eq. 8, no biases, He initialisation W ~ N(0, 2/fan_in)):
/// z_1 = W_1 x, z_l = W_l φ(z_{l−1}) for 2 ≤ l ≤ L, with a single output
/// (N_L = 1, so f = z_L). Two inputs x, x' lie on the sphere of radius √d with
/// x·x'/d = c_1 exactly.
///
/// Measured per layer, across the N neurons of one network:
/// - forward correlation ĉ_l = ⟨z_l(x), z_l(x')⟩ / (‖z_l(x)‖ ‖z_l(x')‖), to be
///   compared with c_l of ``CorrelationSequence``;
/// - backward correlation ρ̂_l = ⟨δ_l(x), δ_l(x')⟩ / (‖δ_l(x)‖ ‖δ_l(x')‖) with
///   δ_l = ∂f/∂z_l, to be compared with ζ_L/ζ_l = ∏_{k=l}^{L−1} g'(c_k)
///   (the gradient variances q̃_l(x, x) are constant in l because g'(1) = 1).
///
/// Each network's layer weights are drawn from their own derived random stream,
/// so the backward pass regenerates them instead of storing L·N² numbers.
public struct FiniteWidthSignalCheck: Sendable {
    /// Parameters of one Monte Carlo experiment.
    public struct Configuration: Codable, Hashable, Sendable {
        /// Input dimension d.
        public var inputDimension: Int
        /// Hidden width N.
        public var width: Int
        /// Depth L (number of weight layers; the last maps N → 1).
        public var depth: Int
        /// Correlation c_1 = x·x'/d of the two inputs.
        public var initialCorrelation: Double
        /// Number of independent networks.
        public var networks: Int
        /// Seed of the whole experiment.
        public var seed: UInt64

        public init(inputDimension: Int, width: Int, depth: Int, initialCorrelation: Double, networks: Int, seed: UInt64) {
            self.inputDimension = inputDimension
            self.width = width
            self.depth = depth
            self.initialCorrelation = initialCorrelation
            self.networks = networks
            self.seed = seed
        }
    }

    /// What one experiment measured.
    public struct Result: Codable, Sendable {
        /// The configuration measured.
        public var configuration: Configuration
        /// Mean over networks of ĉ_l, l = 1…L−1.
        public var forwardCorrelation: [Double]
        /// Mean over networks of ρ̂_l, l = 1…L−1.
        public var backwardCorrelation: [Double]
        /// Infinite-width c_l, l = 1…L−1.
        public var theoryForward: [Double]
        /// Infinite-width ζ_L/ζ_l, l = 1…L−1.
        public var theoryBackward: [Double]
        /// max_l |mean ĉ_l − c_l|.
        public var maxForwardDeviation: Double
        /// max_l |mean ρ̂_l − ζ_L/ζ_l|.
        public var maxBackwardDeviation: Double
        /// Root mean square over networks and layers of ĉ_l − c_l (the
        /// single-network error, which shrinks as N^{−1/2}).
        public var forwardRMSError: Double
        /// Root mean square over networks and layers of ρ̂_l − ζ_L/ζ_l.
        public var backwardRMSError: Double
    }

    /// The configuration to run.
    public let configuration: Configuration

    public init(_ configuration: Configuration) {
        precondition(configuration.depth >= 2 && configuration.width >= 1 && configuration.inputDimension >= 2)
        precondition(configuration.networks >= 1)
        precondition(abs(configuration.initialCorrelation) < 1)
        self.configuration = configuration
    }

    /// Runs the experiment.
    public func run() -> Result {
        let cfg = configuration
        let L = cfg.depth
        let theory = CorrelationSequence(initialCorrelation: cfg.initialCorrelation, count: L)
        let theoryForward = (1..<L).map { theory.correlation(layer: $0) }
        let theoryBackward = (1..<L).map { theory.backwardRatio(layer: $0, depth: L) }
        var sumForward = [Double](repeating: 0, count: L - 1)
        var sumBackward = [Double](repeating: 0, count: L - 1)
        var squaredForward = 0.0, squaredBackward = 0.0
        let root = SeededGenerator(seed: cfg.seed)
        for network in 0..<cfg.networks {
            let stream = root.derived("network-\(network)")
            let (forward, backward) = measure(stream: stream)
            for l in 0..<(L - 1) {
                sumForward[l] += forward[l]
                sumBackward[l] += backward[l]
                squaredForward += pow(forward[l] - theoryForward[l], 2)
                squaredBackward += pow(backward[l] - theoryBackward[l], 2)
            }
        }
        let count = Double(cfg.networks)
        let meanForward = sumForward.map { $0 / count }
        let meanBackward = sumBackward.map { $0 / count }
        let cells = count * Double(L - 1)
        return Result(
            configuration: cfg,
            forwardCorrelation: meanForward,
            backwardCorrelation: meanBackward,
            theoryForward: theoryForward,
            theoryBackward: theoryBackward,
            maxForwardDeviation: zip(meanForward, theoryForward).map { abs($0 - $1) }.max() ?? 0,
            maxBackwardDeviation: zip(meanBackward, theoryBackward).map { abs($0 - $1) }.max() ?? 0,
            forwardRMSError: (squaredForward / cells).squareRoot(),
            backwardRMSError: (squaredBackward / cells).squareRoot())
    }

    /// The two inputs as the columns of a d × 2 matrix.
    private func inputs(_ generator: inout SeededGenerator) -> Matrix<Double> {
        let d = configuration.inputDimension
        var u = (0..<d).map { _ in generator.nextNormal() }
        var v = (0..<d).map { _ in generator.nextNormal() }
        let normU = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
        u = u.map { $0 / normU }
        let projection = zip(u, v).reduce(0) { $0 + $1.0 * $1.1 }
        v = zip(v, u).map { $0 - projection * $1 }
        let normV = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        v = v.map { $0 / normV }
        let c = configuration.initialCorrelation
        let s = (1 - c * c).squareRoot()
        let radius = Double(d).squareRoot()
        var x = Matrix<Double>(rows: d, columns: 2)
        for i in 0..<d {
            x[i, 0] = radius * u[i]
            x[i, 1] = radius * (c * u[i] + s * v[i])
        }
        return x
    }

    /// He-initialised weights of layer l (rows × columns), from the layer's own stream.
    private func weights(layer l: Int, stream: SeededGenerator) -> Matrix<Double> {
        let cfg = configuration
        let fanIn = l == 1 ? cfg.inputDimension : cfg.width
        let fanOut = l == cfg.depth ? 1 : cfg.width
        var generator = stream.derived("layer-\(l)")
        let scale = (2.0 / Double(fanIn)).squareRoot()
        var w = Matrix<Double>(rows: fanOut, columns: fanIn)
        for i in 0..<w.storage.count { w.storage[i] = scale * generator.nextNormal() }
        return w
    }

    private static func correlation(_ m: Matrix<Double>) -> Double {
        var xy = 0.0, xx = 0.0, yy = 0.0
        for i in 0..<m.rows {
            let a = m[i, 0], b = m[i, 1]
            xy += a * b; xx += a * a; yy += b * b
        }
        return xx > 0 && yy > 0 ? xy / (xx * yy).squareRoot() : 0
    }

    /// Forward and backward correlations of one network, layers 1…L−1.
    private func measure(stream: SeededGenerator) -> ([Double], [Double]) {
        let L = configuration.depth
        var inputGenerator = stream.derived("inputs")
        var activation = inputs(&inputGenerator)
        var preActivations: [Matrix<Double>] = []
        var forward: [Double] = []
        for l in 1...L {
            let z = Matrix.product(weights(layer: l, stream: stream), activation)
            if l < L {
                preActivations.append(z)
                forward.append(Self.correlation(z))
                activation = Matrix(rows: z.rows, columns: 2, storage: z.storage.map { max(0, $0) })
            }
        }
        var backward = [Double](repeating: 0, count: L - 1)
        var delta = Matrix<Double>(rows: 1, columns: 2, repeating: 1)  // ∂f/∂z_L
        for l in stride(from: L - 1, through: 1, by: -1) {
            var upstream = Matrix.product(weights(layer: l + 1, stream: stream), transposed: true, delta)
            let z = preActivations[l - 1]
            for i in 0..<upstream.storage.count where z.storage[i] <= 0 { upstream.storage[i] = 0 }
            delta = upstream
            backward[l - 1] = Self.correlation(delta)
        }
        return (forward, backward)
    }
}
