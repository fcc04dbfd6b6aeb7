import Foundation

/// A lower bound on the memory a run needs, computed before anything is allocated, so that a
/// run that cannot fit is refused with a sentence instead of aborting in an allocation.
///
/// Counted, in float32 (4 bytes) and in Double arithmetic (a huge width cannot overflow):
/// - the parameters P times (2 + s): weights, their gradient and the optimiser's s state
///   buffers (SGD momentum: 1; Adam: 2);
/// - the training activations and their gradients: 2 · batch · Σ_l N_l;
/// - when alignments are measured, the tangent factors of the probe (n = probe size):
///   the activations n · Σ_l N_l and two nk × max(N, k) gradient buffers.
/// The dataset and everything below a few megabytes are left out: the estimate only decides
/// whether a run is hopeless, which is what its message says.
public struct MemoryEstimate: Sendable, Equatable {
    /// Trainable parameters P (as a Double: it may exceed Int for absurd widths).
    public let parameterCount: Double
    /// Copies of P held during training (weights, gradient, optimiser state).
    public let parameterCopies: Int
    /// The whole estimate, in bytes.
    public let bytes: Double

    /// The estimate for one run.
    public init(spec: RunSpec) {
        let a = spec.architecture
        // Units per layer N_0 … N_L (for another kind of network: its layers' output sizes).
        let sizes: [Double]
        var parameters = 0.0
        switch a {
        case let .dense(shape):
            sizes = [Double(shape.inputDimension)]
                + Array(repeating: Double(shape.width), count: max(0, shape.depth - 1)) + [Double(shape.outputDimension)]
            for l in 1..<sizes.count {
                parameters += sizes[l] * sizes[l - 1] + (shape.hasBias ? sizes[l] : 0)
            }
        }
        let copies = 2 + spec.optimizer.stateBufferCount
        let scalar = Double(MemoryLayout<Float>.size)
        let unitsPerSample = sizes.reduce(0, +)
        var scalars = parameters * Double(copies) + 2 * Double(spec.batchSize) * unitsPerSample
        if spec.alignment.measuresAnything {
            let probe = Double(max(0, spec.probePerClass) * spec.dataset.classCount)
            let k = Double(a.outputDimension)
            scalars += probe * unitsPerSample + 2 * probe * k * max(Double(a.width), k)
        }
        parameterCount = parameters
        parameterCopies = copies
        bytes = scalars * scalar
    }

    /// The machine's physical memory in bytes.
    public static var physicalMemory: Double { Double(ProcessInfo.processInfo.physicalMemory) }

    /// Bytes as a short text with a decimal unit, e.g. "3.2 GB".
    public static func text(bytes: Double) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
        var value = bytes
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(Int(value)) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}
