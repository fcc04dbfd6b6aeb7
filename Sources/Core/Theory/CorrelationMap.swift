import Foundation

/// The ReLU correlation map of infinite-width signal propagation
/// (paper Appendix A.3, Eq. 3):
///
///     g(c) = (c·arcsin c + √(1 − c²)) / π + c / 2,     g'(c) = arcsin(c) / π + 1/2.
///
/// With He initialisation, the correlation between the pre-activations of two
/// inputs evolves as c_{l+1} = g(c_l), and the gradient covariance is
/// multiplied by g'(c_l) at each layer on the way back.
///
/// Near c = 1 the direct formula loses all precision (1 − g(c) is a difference
/// of nearly equal numbers), so the iteration is carried out on the angle
/// θ = arccos c, for which
///
///     1 − g(c) = ε + ((θ − sin θ) − ε·θ) / π,   ε = 1 − c = 2 sin²(θ/2),
///     g'(c)    = 1 − θ / π,
///
/// with θ − sin θ taken from its Taylor series when θ is small. This keeps full
/// relative precision in 1 − c_l even at l = 10^5, where 1 − c_l ≈ 4·10⁻⁹.
public enum CorrelationMap {
    /// g(c) by its defining formula, for c ∈ [−1, 1].
    public static func g(_ c: Double) -> Double {
        let clamped = min(1, max(-1, c))
        return (clamped * asin(clamped) + (1 - clamped * clamped).squareRoot()) / .pi + clamped / 2
    }

    /// g'(c) = arcsin(c)/π + 1/2, for c ∈ [−1, 1].
    public static func derivative(_ c: Double) -> Double {
        asin(min(1, max(-1, c))) / .pi + 0.5
    }

    /// θ − sin θ without cancellation for small θ.
    static func thetaMinusSine(_ theta: Double) -> Double {
        guard abs(theta) < 0.25 else { return theta - sin(theta) }
        // θ³/3! − θ⁵/5! + θ⁷/7! − …, summed until the terms vanish.
        let t2 = theta * theta
        var term = theta * t2 / 6
        var sum = 0.0
        var k = 3.0
        while abs(term) > 1e-18 * abs(sum) || sum == 0 {
            sum += term
            term *= -t2 / ((k + 1) * (k + 2))
            k += 2
            if k > 41 { break }
        }
        return sum
    }

    /// One step of the map in angle form: given θ = arccos c, returns
    /// (1 − g(c), arccos g(c)).
    static func step(theta: Double) -> (oneMinus: Double, theta: Double) {
        let half = sin(theta / 2)
        let epsilon = 2 * half * half
        let next = epsilon + (thetaMinusSine(theta) - epsilon * theta) / .pi
        let nextTheta = 2 * asin(min(1, (next / 2).squareRoot()))
        return (next, nextTheta)
    }
}

/// The forward correlations c_1, c_2, …, c_n of the recursion c_{l+1} = g(c_l),
/// stored as the information loss 1 − c_l (exact to full relative precision)
/// and as the factors g'(c_l) of the backward recursion.
public struct CorrelationSequence: Sendable {
    /// 1 − c_l for l = 1…count (index 0 holds layer 1).
    public let oneMinusCorrelation: [Double]
    /// log g'(c_l) for l = 1…count.
    public let logDerivative: [Double]
    /// Prefix sums S_m = Σ_{k=1}^{m−1} log g'(c_k) = log ζ_m, for m = 1…count+1 (S_1 = 0).
    private let logZeta: [Double]

    /// Iterates the map from c_1 for `count` layers.
    /// - Precondition: −1 ≤ c_1 < 1 and count ≥ 1.
    public init(initialCorrelation c1: Double, count: Int) {
        precondition(c1 >= -1 && c1 < 1, "the initial correlation must lie in [−1, 1)")
        precondition(count >= 1, "at least one layer")
        var losses = [Double](repeating: 0, count: count)
        var logs = [Double](repeating: 0, count: count)
        var zeta = [Double](repeating: 0, count: count + 1)
        var theta = acos(c1)
        var oneMinus = 1 - c1
        for l in 0..<count {
            losses[l] = oneMinus
            logs[l] = log1p(-theta / .pi)
            zeta[l + 1] = zeta[l] + logs[l]
            let next = CorrelationMap.step(theta: theta)
            oneMinus = next.oneMinus
            theta = next.theta
        }
        oneMinusCorrelation = losses
        logDerivative = logs
        logZeta = zeta
    }

    /// Number of layers computed.
    public var count: Int { oneMinusCorrelation.count }

    /// The correlation c_l (1-based layer index).
    public func correlation(layer l: Int) -> Double { 1 - oneMinusCorrelation[l - 1] }

    /// log ζ_m = Σ_{k=1}^{m−1} log g'(c_k) (Appendix A.3, Eq. 4), for 1 ≤ m ≤ count + 1.
    public func logZeta(_ m: Int) -> Double { logZeta[m - 1] }

    /// The backward information ratio ζ_L / ζ_l = ∏_{k=l}^{L−1} g'(c_k): the
    /// gradient covariance at layer l relative to the output layer.
    /// - Precondition: 1 ≤ l ≤ L ≤ count + 1.
    public func backwardRatio(layer l: Int, depth L: Int) -> Double {
        exp(logZeta(L) - logZeta(l))
    }
}
