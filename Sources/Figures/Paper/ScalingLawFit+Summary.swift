import Core
import Foundation

extension ScalingLawFit {
    /// "0.72 (95% CI: OLS [0.6, 0.84], bootstrap [0.55, 0.9]); R² 0.93"
    public var summary: String {
        func range(_ r: ClosedRange<Double>?) -> String {
            r.map { "[\(NumberText.format($0.lowerBound)), \(NumberText.format($0.upperBound))]" } ?? "—"
        }
        return "\(NumberText.format(free.slope)) (95% CI: bootstrap \(range(bootstrapInterval)), OLS \(range(olsInterval))); "
            + "intercept \(NumberText.format(free.intercept)), R² \(NumberText.format(free.rSquared)), "
            + "\(pointCount) points at \(depthCount) depths"
    }
}
