import Foundation

/// The optimiser and its hyperparameters, with PyTorch's update rules (all state starts at 0,
/// t counts steps from 1, g is the mini-batch gradient of the mean loss, θ a parameter):
///
/// - `sgd` (torch.optim.SGD, dampening 0, no Nesterov): g ← g + λθ;  v ← μv + g  (v = g at t = 1);
///   θ ← θ − ηv.  With μ = 0 this is plain SGD θ ← θ − η(g + λθ).
/// - `adam` (torch.optim.Adam, L2 penalty added to the gradient, not AdamW): g ← g + λθ;
///   m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
///   θ ← θ − (η / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε).
///
/// Weight decay applies to every parameter, biases included (PyTorch's default parameter groups).
public enum OptimizerSettings: Codable, Hashable, Sendable {
    case sgd(learningRate: Double, momentum: Double, weightDecay: Double)
    case adam(learningRate: Double, beta1: Double, beta2: Double, epsilon: Double, weightDecay: Double)

    /// Plain SGD with learning rate η and no momentum or weight decay.
    public static func plainSGD(learningRate: Double) -> OptimizerSettings {
        .sgd(learningRate: learningRate, momentum: 0, weightDecay: 0)
    }

    /// Adam with PyTorch's defaults β₁ = 0.9, β₂ = 0.999, ε = 1e−8 and no weight decay.
    public static func defaultAdam(learningRate: Double = 1e-3) -> OptimizerSettings {
        .adam(learningRate: learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0)
    }

    /// η, the learning rate.
    public var learningRate: Double {
        switch self {
        case .sgd(let learningRate, _, _): return learningRate
        case .adam(let learningRate, _, _, _, _): return learningRate
        }
    }

    /// Number of per-parameter state buffers (SGD: the momentum buffer; Adam: m and v).
    var stateBufferCount: Int {
        switch self {
        case .sgd: return 1
        case .adam: return 2
        }
    }

    /// Throws when a hyperparameter is outside its range: a positive finite learning rate η,
    /// momentum 0 ≤ μ < 1, weight decay λ ≥ 0, 0 ≤ β < 1, ε ≥ 0, all finite.
    public func validate() throws {
        switch self {
        case let .sgd(learningRate, momentum, weightDecay):
            try Self.require(learningRate > 0 && learningRate.isFinite, "learning rate", learningRate, "a positive number such as 0.003")
            try Self.require(momentum >= 0 && momentum < 1, "momentum", momentum, "a value in [0, 1) such as 0.9")
            try Self.require(weightDecay >= 0 && weightDecay.isFinite, "weight decay", weightDecay, "0 or a positive number such as 5e-4")
        case let .adam(learningRate, beta1, beta2, epsilon, weightDecay):
            try Self.require(learningRate > 0 && learningRate.isFinite, "learning rate", learningRate, "a positive number such as 0.001")
            try Self.require(beta1 >= 0 && beta1 < 1, "beta1", beta1, "a value in [0, 1) such as 0.9")
            try Self.require(beta2 >= 0 && beta2 < 1, "beta2", beta2, "a value in [0, 1) such as 0.999")
            try Self.require(epsilon >= 0 && epsilon.isFinite, "epsilon", epsilon, "0 or a small positive number such as 1e-8")
            try Self.require(weightDecay >= 0 && weightDecay.isFinite, "weight decay", weightDecay, "0 or a positive number such as 5e-4")
        }
    }

    private static func require(_ condition: Bool, _ name: String, _ value: Double, _ requirement: String) throws {
        if !condition { throw OptimizerSettingsError.outOfRange(name: name, value: value, requirement: requirement) }
    }

    /// One update of `count` parameters in place, for step number `step` (1-based), with the
    /// state buffers this optimiser keeps (`second` is used by Adam only).
    func update(parameters: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, count: Int,
                first: UnsafeMutablePointer<Float>, second: UnsafeMutablePointer<Float>?, step: Int) {
        switch self {
        case let .sgd(learningRate, momentum, weightDecay):
            let eta = Float(learningRate), mu = Float(momentum), lambda = Float(weightDecay)
            if momentum == 0 {
                for i in 0..<count {
                    parameters[i] -= eta * (gradient[i] + lambda * parameters[i])
                }
            } else {
                for i in 0..<count {
                    let g = gradient[i] + lambda * parameters[i]
                    let v = mu * first[i] + g
                    first[i] = v
                    parameters[i] -= eta * v
                }
            }
        case let .adam(learningRate, beta1, beta2, epsilon, weightDecay):
            guard let second else { preconditionFailure("Adam needs its second-moment buffer") }
            let t = Double(step)
            let stepSize = Float(learningRate / (1 - Foundation.pow(beta1, t)))
            let correction2 = Float((1 - Foundation.pow(beta2, t)).squareRoot())
            let b1 = Float(beta1), b2 = Float(beta2), eps = Float(epsilon), lambda = Float(weightDecay)
            let oneMinusB1 = Float(1 - beta1), oneMinusB2 = Float(1 - beta2)
            for i in 0..<count {
                let g = gradient[i] + lambda * parameters[i]
                let m = b1 * first[i] + oneMinusB1 * g
                let v = b2 * second[i] + oneMinusB2 * g * g
                first[i] = m
                second[i] = v
                parameters[i] -= stepSize * m / (v.squareRoot() / correction2 + eps)
            }
        }
    }
}

/// A hyperparameter outside its valid range.
public enum OptimizerSettingsError: Error, CustomStringConvertible, Equatable {
    /// `name` is `value`; `requirement` says what it must be instead.
    case outOfRange(name: String, value: Double, requirement: String)

    public var description: String {
        switch self {
        case let .outOfRange(name, value, requirement):
            return "the optimiser's \(name) is \(value); use \(requirement)"
        }
    }
}
