import Foundation

/// An ordinary least-squares line y = intercept + slope·x with its standard
/// errors, a confidence interval for the slope, and R².
public struct LinearFit: Codable, Equatable, Sendable {
    /// The fitted slope.
    public let slope: Double
    /// The fitted intercept.
    public let intercept: Double
    /// Standard error of the slope (nil when there are only two points).
    public let slopeStandardError: Double?
    /// Coefficient of determination.
    public let rSquared: Double
    /// Number of points used.
    public let count: Int

    /// Fits the line by OLS. Non-finite pairs are dropped.
    /// - Throws: ``FitError/tooFewPoints`` when fewer than two usable points
    ///   remain, ``FitError/degenerate`` when all x are equal.
    public init(x: [Double], y: [Double]) throws {
        precondition(x.count == y.count, "x and y differ in length")
        let pairs = zip(x, y).filter { $0.0.isFinite && $0.1.isFinite }
        guard pairs.count >= 2 else { throw FitError.tooFewPoints(pairs.count) }
        let n = Double(pairs.count)
        let meanX = pairs.reduce(0) { $0 + $1.0 } / n
        let meanY = pairs.reduce(0) { $0 + $1.1 } / n
        var sxx = 0.0, sxy = 0.0, syy = 0.0
        for (xi, yi) in pairs {
            sxx += (xi - meanX) * (xi - meanX)
            sxy += (xi - meanX) * (yi - meanY)
            syy += (yi - meanY) * (yi - meanY)
        }
        // All x equal is tested exactly: the centred sum of squares of identical values can be a
        // few 1e-30 above zero through rounding of the mean (six copies of log 10), which would
        // give a "slope" made of rounding noise.
        guard sxx > 0, pairs.contains(where: { $0.0 != pairs[0].0 }) else { throw FitError.degenerate }
        slope = sxy / sxx
        intercept = meanY - slope * meanX
        let residual = max(0, syy - slope * sxy)
        rSquared = syy > 0 ? 1 - residual / syy : 1
        count = pairs.count
        slopeStandardError = pairs.count > 2 ? (residual / (n - 2) / sxx).squareRoot() : nil
    }

    /// The two-sided confidence interval for the slope at the given level
    /// (Student t with n − 2 degrees of freedom); nil with only two points.
    public func slopeConfidenceInterval(level: Double = 0.95) -> ClosedRange<Double>? {
        guard let se = slopeStandardError, count > 2 else { return nil }
        let t = StudentT.quantile(0.5 + level / 2, degreesOfFreedom: Double(count - 2))
        return (slope - t * se)...(slope + t * se)
    }

    /// The intercept C of the line y = fixedSlope·x + C that minimises the
    /// squared error (the mean of y − fixedSlope·x), with the root-mean-square
    /// residual of that fit.
    public static func interceptForFixedSlope(_ fixedSlope: Double, x: [Double], y: [Double]) throws
        -> (intercept: Double, rmsResidual: Double)
    {
        let pairs = zip(x, y).filter { $0.0.isFinite && $0.1.isFinite }
        guard !pairs.isEmpty else { throw FitError.tooFewPoints(0) }
        let c = pairs.reduce(0) { $0 + ($1.1 - fixedSlope * $1.0) } / Double(pairs.count)
        let ss = pairs.reduce(0) { $0 + pow($1.1 - fixedSlope * $1.0 - c, 2) }
        return (c, (ss / Double(pairs.count)).squareRoot())
    }
}

/// Why a fit could not be made.
public enum FitError: Error, CustomStringConvertible, Equatable {
    /// Fewer than two finite points.
    case tooFewPoints(Int)
    /// All x values are equal.
    case degenerate

    public var description: String {
        switch self {
        case .tooFewPoints(let n): return "a line needs at least two finite points, got \(n)"
        case .degenerate: return "all x values are equal, so no slope can be fitted"
        }
    }
}

/// Student's t distribution: CDF through the regularised incomplete beta
/// function (continued fraction, modified Lentz), quantiles by bisection.
public enum StudentT {
    /// P(T ≤ t) for ν degrees of freedom.
    public static func cdf(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        let x = nu / (nu + t * t)
        let tail = 0.5 * regularizedIncompleteBeta(x, a: nu / 2, b: 0.5)
        return t >= 0 ? 1 - tail : tail
    }

    /// The p-quantile (0 < p < 1) for ν degrees of freedom.
    public static func quantile(_ p: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(p > 0 && p < 1 && nu > 0)
        var low = -1e6, high = 1e6
        for _ in 0..<200 {
            let mid = (low + high) / 2
            if cdf(mid, degreesOfFreedom: nu) < p { low = mid } else { high = mid }
            if high - low < 1e-12 * max(1, abs(mid)) { break }
        }
        return (low + high) / 2
    }

    /// I_x(a, b), the regularised incomplete beta function.
    static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * continuedFraction(x, a: a, b: b) / a
        }
        return 1 - exp(logFront) * continuedFraction(1 - x, a: b, b: a) / b
    }

    private static func continuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...400 {
            let m = Double(m)
            var numerator = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + numerator * d; if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            numerator = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + numerator * d; if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return h
    }
}
