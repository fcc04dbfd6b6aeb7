import Core
import Foundation

extension ScalingLawFit {
    /// "0.72 (95% CI: bootstrap [0.55, 0.9], OLS [0.6, 0.84], depth means [0.58, 0.86]; verdict [0.55, 0.9]); intercept …"
    public var summary: String {
        return "\(NumberText.format(free.slope)) (95% CI: bootstrap \(NumberText.rangeOrDash(bootstrapInterval)), OLS \(NumberText.rangeOrDash(olsInterval)), "
            + "depth means \(NumberText.rangeOrDash(depthMeansInterval)); verdict \(NumberText.rangeOrDash(verdictInterval))); "
            + "intercept \(NumberText.format(free.intercept)), R² \(NumberText.format(free.rSquared)), "
            + "\(pointCount) points at \(depthCount) depths"
    }
}
