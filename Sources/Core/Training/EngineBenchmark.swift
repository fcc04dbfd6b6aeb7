import COpenBLAS
import Foundation

/// Timings of the training engine and the alignment computation on this machine, for
/// `reproduce bench`. Every measurement runs an operation often enough to last at least
/// `minimumSeconds`, divides by the count, and repeats that `repeats` times.
public enum EngineBenchmark {
    /// Repeated measurements of the seconds one operation takes.
    public struct Timing: Sendable {
        /// Seconds per operation, one entry per repeat.
        public var seconds: [Double]

        public init(seconds: [Double]) { self.seconds = seconds }

        /// The median of ``seconds``.
        public var median: Double {
            let sorted = seconds.sorted()
            guard !sorted.isEmpty else { return 0 }
            let middle = sorted.count / 2
            return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        }

        /// (max − min) / median: the relative spread of the repeats.
        public var relativeSpread: Double {
            guard let low = seconds.min(), let high = seconds.max(), median > 0 else { return 0 }
            return (high - low) / median
        }
    }

    /// One BLAS sgemm call, C (m × n) ← op(A) op(B) with inner dimension k.
    public struct GemmShape: Hashable, Sendable, CustomStringConvertible {
        public var m: Int
        public var n: Int
        public var k: Int
        public var transposeA: Bool
        public var transposeB: Bool
        /// What the product is for, e.g. "forward 2", "weight gradient 1".
        public var role: String

        /// 2mnk floating-point operations.
        public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }

        public var description: String {
            "\(m)×\(n)×\(k) (\(transposeA ? "Aᵀ" : "A")·\(transposeB ? "Bᵀ" : "B"))"
        }
    }

    /// The number of threads OpenBLAS uses.
    public static var blasThreadCount: Int { Int(openblas_get_num_threads()) }

    /// The sgemm calls of one training step of ``Trainer`` (same shapes and transposes, in order):
    /// forward Z_l = A_{l−1}W_lᵀ, then for l = L…1 the weight gradient D_lᵀA_{l−1} and, for l ≥ 2,
    /// the back-propagated error D_l W_l.
    public static func trainingStepGemms(architecture: DenseArchitecture, batchSize b: Int) -> [GemmShape] {
        let sizes = architecture.layerSizes
        var shapes: [GemmShape] = []
        for l in 1..<sizes.count {
            shapes.append(GemmShape(m: b, n: sizes[l], k: sizes[l - 1], transposeA: false, transposeB: true, role: "forward \(l)"))
        }
        for l in stride(from: sizes.count - 1, through: 1, by: -1) {
            shapes.append(GemmShape(m: sizes[l], n: sizes[l - 1], k: b, transposeA: true, transposeB: false, role: "weight gradient \(l)"))
            if l > 1 {
                shapes.append(GemmShape(m: b, n: sizes[l - 1], k: sizes[l], transposeA: false, transposeB: false, role: "error \(l - 1)"))
            }
        }
        return shapes
    }

    /// Seconds for running `shapes` once, back to back, on random operands (the sgemm work alone).
    public static func timeGemms(_ shapes: [GemmShape], repeats: Int, minimumSeconds: Double = 0.2) -> Timing {
        let workload = GemmWorkload(shapes)
        return measure(repeats: repeats, minimumSeconds: minimumSeconds) { workload.run() }
    }

    /// A list of sgemm calls with their own random operands.
    private final class GemmWorkload {
        let shapes: [GemmShape]
        var buffers: [(a: [Float], b: [Float], c: [Float])]

        init(_ shapes: [GemmShape]) {
            var generator = SeededGenerator(seed: 1)
            self.shapes = shapes
            buffers = shapes.map { shape in
                (randomFloats(shape.m * shape.k, &generator), randomFloats(shape.k * shape.n, &generator),
                 [Float](repeating: 0, count: shape.m * shape.n))
            }
        }

        func run() {
            for index in shapes.indices {
                let s = shapes[index]
                buffers[index].a.withUnsafeBufferPointer { a in
                    buffers[index].b.withUnsafeBufferPointer { b in
                        buffers[index].c.withUnsafeMutableBufferPointer { c in
                            Float.gemm(transposeA: s.transposeA, transposeB: s.transposeB, m: s.m, n: s.n, k: s.k, alpha: 1,
                                       a: a.baseAddress!, lda: s.transposeA ? s.m : s.k,
                                       b: b.baseAddress!, ldb: s.transposeB ? s.k : s.n,
                                       beta: 0, c: c.baseAddress!, ldc: s.n)
                        }
                    }
                }
            }
        }
    }

    /// A seeded trainer (SGD with momentum, cross-entropy) and four random batches for timing steps.
    private static func stepWorkload(architecture: DenseArchitecture, batchSize: Int)
        -> (trainer: Trainer, batches: [(Matrix<Float>, [Int])])
    {
        var generator = SeededGenerator(seed: 2)
        let batches = (0..<4).map { _ in
            (Matrix(rows: batchSize, columns: architecture.inputDimension,
                    storage: randomFloats(batchSize * architecture.inputDimension, &generator)),
             (0..<batchSize).map { _ in generator.nextInt(below: architecture.outputDimension) })
        }
        let trainer = Trainer(network: DenseNetwork(architecture: architecture, generator: &generator),
                              optimizer: .sgd(learningRate: 1e-3, momentum: 0.9, weightDecay: 0), loss: .crossEntropy)
        return (trainer, batches)
    }

    /// Seconds per training step and seconds for the same step's sgemm calls run alone
    /// (``trainingStepGemms(architecture:batchSize:)``), measured alternately.
    public static func timeTrainingStepAndItsGemms(architecture: DenseArchitecture, batchSize: Int, repeats: Int,
                                                   minimumSeconds: Double = 0.2) -> (step: Timing, gemms: Timing) {
        var (trainer, batches) = stepWorkload(architecture: architecture, batchSize: batchSize)
        var next = 0
        let gemms = GemmWorkload(trainingStepGemms(architecture: architecture, batchSize: batchSize))
        let timings = measureInterleaved(repeats: repeats, minimumSeconds: minimumSeconds, [
            {
                let batch = batches[next % batches.count]
                next += 1
                trainer.step(features: batch.0, labels: batch.1)
            },
            { gemms.run() },
        ])
        return (timings[0], timings[1])
    }

    /// Seconds to compute all A_l (``LayerAlignment``, full centring) of a He-initialised network
    /// on `probeCount` random probe samples with balanced labels.
    public static func timeAlignments(architecture: DenseArchitecture, probeCount: Int, repeats: Int) -> Timing {
        var generator = SeededGenerator(seed: 3)
        let network = DenseNetwork<Float>(architecture: architecture, generator: &generator)
        let probe = Matrix(rows: probeCount, columns: architecture.inputDimension,
                           storage: randomFloats(probeCount * architecture.inputDimension, &generator))
        let labels = (0..<probeCount).map { $0 % architecture.outputDimension }
        return measure(repeats: repeats, minimumSeconds: 0) {
            _ = LayerAlignment.alignments(network: network, probeFeatures: probe, probeLabels: labels, centring: .full)
        }
    }

    private static func randomFloats(_ count: Int, _ generator: inout SeededGenerator) -> [Float] {
        (0..<count).map { _ in Float(generator.nextNormal()) }
    }

    /// Runs `operation` once to warm up, then `repeats` times a loop of it lasting ≥ `minimumSeconds`.
    private static func measure(repeats: Int, minimumSeconds: Double, _ operation: () -> Void) -> Timing {
        withoutActuallyEscaping(operation) { measureInterleaved(repeats: repeats, minimumSeconds: minimumSeconds, [$0])[0] }
    }

    /// Like ``measure(repeats:minimumSeconds:_:)`` for several operations, alternating them within
    /// every repeat so that a change in the machine's load affects all of them alike.
    private static func measureInterleaved(repeats: Int, minimumSeconds: Double, _ operations: [() -> Void]) -> [Timing] {
        let clock = ContinuousClock()
        let counts = operations.map { operation -> Int in
            let single = max(seconds(clock.measure(operation)), 1e-9)
            return max(1, Int((minimumSeconds / single).rounded(.up)))
        }
        var samples = [[Double]](repeating: [], count: operations.count)
        for _ in 0..<max(1, repeats) {
            for (index, operation) in operations.enumerated() {
                let elapsed = clock.measure { for _ in 0..<counts[index] { operation() } }
                samples[index].append(seconds(elapsed) / Double(counts[index]))
            }
        }
        return samples.map { Timing(seconds: $0) }
    }

    private static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}
