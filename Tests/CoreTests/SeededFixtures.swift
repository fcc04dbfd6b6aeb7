@testable import Core

/// Seeded small networks, matrices and vectors shared by the second-order tests.
enum SeededFixtures {
    /// A small Double network with He weights and, when `bias` is true, random non-zero biases.
    static func network(inputs d: Int, width: Int, depth: Int, outputs k: Int, bias: Bool, seed: UInt64) -> DenseNetwork<Double> {
        var generator = SeededGenerator(seed: seed)
        let architecture = NetworkArchitecture(inputDimension: d, width: width, depth: depth, outputDimension: k, hasBias: bias)
        var net = DenseNetwork<Double>(architecture: architecture, generator: &generator)
        if bias {
            for l in net.biases.indices { net.biases[l] = net.biases[l].map { _ in 0.3 * generator.nextNormal() } }
        }
        return net
    }

    /// A rows × columns matrix of standard normal entries.
    static func matrix(rows: Int, columns: Int, seed: UInt64) -> Matrix<Double> {
        var generator = SeededGenerator(seed: seed)
        return Matrix(rows: rows, columns: columns, storage: (0..<rows * columns).map { _ in generator.nextNormal() })
    }

    /// `count` standard normal entries.
    static func vector(_ count: Int, seed: UInt64) -> [Double] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in generator.nextNormal() }
    }
}
