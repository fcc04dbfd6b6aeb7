import ArgumentParser
import Core

// The enum-valued flags. Each is parsed by ArgumentParser from its allowed spellings, which
// `--help` lists ("values: …"); a wrong value is a usage error (exit 64) naming them.

extension DatasetName: ExpressibleByArgument {}

/// `--optimizer`: which optimiser trains the network.
enum OptimizerChoice: String, CaseIterable, ExpressibleByArgument {
    /// SGD with momentum and weight decay (PyTorch's `torch.optim.SGD`).
    case sgd
    /// Adam with β₁ 0.9, β₂ 0.999, ε 1e-8 and L2 weight decay.
    case adam
}

/// `--loss`: the training loss (``LossFunction``).
enum LossChoice: String, CaseIterable, ExpressibleByArgument {
    case crossEntropy = "cross-entropy"
    case meanSquaredError = "mse"

    var loss: LossFunction {
        switch self {
        case .crossEntropy: return .crossEntropy
        case .meanSquaredError: return .meanSquaredError
        }
    }
}

/// `--centring`: the centring of kernel and targets in A_l (``Centring``).
enum CentringChoice: String, CaseIterable, ExpressibleByArgument {
    case full
    case none
    case perOutput = "per-output"

    /// Accepts the listed spellings in any case, and `peroutput` (accepted before the flag was typed).
    init?(argument: String) {
        let lowered = argument.lowercased()
        self.init(rawValue: lowered == "peroutput" ? "per-output" : lowered)
    }

    var centring: Centring {
        switch self {
        case .full: return .full
        case .none: return Centring.none
        case .perOutput: return .perOutput
        }
    }
}
