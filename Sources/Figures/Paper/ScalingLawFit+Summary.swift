import Core
import Foundation

extension ScalingLawFit {
    /// "0.72 (95% CI: bootstrap [0.55, 0.9], OLS [0.6, 0.84], depth means [0.58, 0.86]; verdict [0.55, 0.9]); intercept …"
    public var summary: String {
        func range(_ r: ClosedRange<Double>?) -> String { r.map(NumberText.range) ?? "—" }
        return "\(NumberText.format(free.slope)) (95% CI: bootstrap \(range(bootstrapInterval)), OLS \(range(olsInterval)), "
            + "depth means \(range(depthMeansInterval)); verdict \(range(verdictInterval))); "
            + "intercept \(NumberText.format(free.intercept)), R² \(NumberText.format(free.rSquared)), "
            + "\(pointCount) points at \(depthCount) depths"
    }
}
