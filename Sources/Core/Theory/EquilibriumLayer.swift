import Foundation

/// The layer where forward and backward information losses balance
/// (paper Section 3.4, Theorems 1–2, Corollary 1).
///
/// Definitions used here (infinite width, inputs with initial correlation c_1):
/// - forward information loss at layer l: IL_f(l) = 1 − c_l, which decreases
///   as 9π²/(2 l²) (Theorem 1);
/// - backward information loss at layer l of a depth-L network:
///   IL_b(l; L) = ζ_L / ζ_l = ∏_{k=l}^{L−1} g'(c_k), the gradient covariance
///   relative to the output, which increases towards 1 as l → L and behaves as
///   (l/L)³ for l ≪ L (Theorem 2).
///
/// The equilibrium layer l*(L) is the crossing IL_f(l) = IL_b(l; L). Both
/// sides are monotone in l, so the crossing is unique; between integer layers
/// it is located by linear interpolation of log IL_f − log IL_b, giving a
/// continuous l* (exact at integers). Asymptotically
/// 9π²/(2 l²) = (l/L)³, i.e. l* ≈ (9π²/2)^{1/5} · L^{3/5} (Corollary 1).
public enum EquilibriumLayer {
    /// l*(L) for one depth. Requires `sequence.count >= L`.
    /// Returns nil when no crossing exists in [1, L] (cannot happen for c_1 < 1
    /// and L ≥ 2 unless the forward loss is already below the backward one at l = 1).
    public static func crossing(depth L: Int, sequence: CorrelationSequence) -> Double? {
        precondition(L >= 2 && sequence.count >= L, "sequence too short for depth \(L)")
        func gap(_ l: Int) -> Double {
            // log IL_f − log IL_b: positive for small l, negative near L.
            log(sequence.oneMinusCorrelation[l - 1]) - (sequence.logZeta(L) - sequence.logZeta(l))
        }
        guard gap(1) > 0 else { return nil }
        guard gap(L) <= 0 else { return nil }
        // Binary search for the last l with gap(l) > 0.
        var low = 1, high = L  // gap(low) > 0 ≥ gap(high)
        while high - low > 1 {
            let mid = (low + high) / 2
            if gap(mid) > 0 { low = mid } else { high = mid }
        }
        let gLow = gap(low), gHigh = gap(high)
        return Double(low) + gLow / (gLow - gHigh)
    }

    /// The asymptotic constant (9π²/2)^{1/5} of l* ≈ const · L^{3/5}.
    public static let asymptoticPrefactor = pow(9 * Double.pi * Double.pi / 2, 0.2)

    /// The limit of l²·(1 − c_l) as l → ∞ (Theorem 1): 9π²/2.
    public static let forwardLossConstant = 9 * Double.pi * Double.pi / 2
}
