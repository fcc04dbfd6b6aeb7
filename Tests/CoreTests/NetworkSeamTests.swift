import Foundation
import XCTest
@testable import Core

/// The network seam: ``Architecture`` encodes its dense case exactly as before, and
/// ``LayerAlignment`` measures any ``LayerKernelSource``, not only the dense network.
final class NetworkSeamTests: XCTestCase {
    private let shape = DenseArchitecture(inputDimension: 784, width: 100, depth: 10, outputDimension: 10, hasBias: true)

    private func sortedJSON<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    func testDenseCaseEncodesAsTheDenseShapeItself() throws {
        XCTAssertEqual(try sortedJSON(Architecture.dense(shape)), try sortedJSON(shape))
        XCTAssertEqual(try sortedJSON(Architecture.dense(shape)),
                       #"{"depth":10,"hasBias":true,"inputDimension":784,"outputDimension":10,"width":100}"#)
        let spec = RunSpec(dataset: .fashionMNIST, architecture: shape, optimizer: .sgd(learningRate: 0.003, momentum: 0.9, weightDecay: 5e-4),
                           stopping: .epochs(1))
        XCTAssertEqual(spec.architecture, .dense(shape))
        XCTAssertTrue(try sortedJSON(spec).contains(#""architecture":{"depth":10,"hasBias":true,"inputDimension":784,"outputDimension":10,"width":100}"#))
    }

    func testDecodingReadsUntaggedAndTaggedDenseAndRejectsUnknownKinds() throws {
        let decoder = JSONDecoder()
        let untagged = #"{"depth":3,"hasBias":false,"inputDimension":5,"outputDimension":2,"width":7}"#
        let tagged = #"{"kind":"dense","depth":3,"hasBias":false,"inputDimension":5,"outputDimension":2,"width":7}"#
        let expected = Architecture.dense(DenseArchitecture(inputDimension: 5, width: 7, depth: 3, outputDimension: 2, hasBias: false))
        XCTAssertEqual(try decoder.decode(Architecture.self, from: Data(untagged.utf8)), expected)
        XCTAssertEqual(try decoder.decode(Architecture.self, from: Data(tagged.utf8)), expected)
        let unknown = #"{"kind":"convolutional","depth":3}"#
        XCTAssertThrowsError(try decoder.decode(Architecture.self, from: Data(unknown.utf8))) { error in
            XCTAssertTrue("\(error)".contains("unknown network kind 'convolutional'"), "\(error)")
        }
    }

    func testCommonFieldsReadAndWriteThroughTheCase() {
        var architecture = Architecture.dense(shape)
        architecture.hasBias = false
        architecture.width = 64
        XCTAssertEqual(architecture.dense, DenseArchitecture(inputDimension: 784, width: 64, depth: 10, outputDimension: 10, hasBias: false))
        XCTAssertEqual(architecture.parameterCount, architecture.dense?.parameterCount)
    }

    /// A "layer type" that is not dense: explicit symmetric kernels K_l = M_l M_lᵀ handed out row by row.
    private struct ExplicitKernel: LayerKernel {
        let matrix: Matrix<Double>
        let sampleCount: Int
        let outputCount: Int
        mutating func forEachRow(ofSamples samples: Range<Int>, _ body: (Int, UnsafePointer<Double>) -> Void) {
            let end = samples.upperBound * outputCount
            for r in (samples.lowerBound * outputCount)..<end {
                let row = (0..<end).map { matrix[r, $0] }
                row.withUnsafeBufferPointer { body(r, $0.baseAddress!) }
            }
        }
    }

    private struct ExplicitSource: LayerKernelSource {
        typealias Scalar = Double
        let kernels: [Matrix<Double>]
        let kernelInputDimension = 3
        let kernelOutputDimension: Int
        var kernelLayerCount: Int { kernels.count }
        func forEachLayerKernel(probe: Matrix<Double>, samplesPerBlock: Int, _ body: (Int, inout ExplicitKernel) -> Void) {
            // Visit the layers out of order: the accumulator must not depend on it.
            for l in kernels.indices.reversed() {
                var kernel = ExplicitKernel(matrix: kernels[l], sampleCount: probe.rows, outputCount: kernelOutputDimension)
                body(l + 1, &kernel)
            }
        }
    }

    func testAlignmentOfAnyLayerKernelMatchesTheDefinition() {
        let labels = [0, 2, 1, 2, 0, 1, 1]
        let n = labels.count, k = 3, m = n * k
        var generator = SeededGenerator(seed: 11)
        let kernels: [Matrix<Double>] = (0..<3).map { _ in
            var factor = Matrix<Double>(rows: m, columns: 5)
            for index in factor.storage.indices { factor.storage[index] = generator.nextNormal() }
            return Matrix.product(factor, transposed: false, factor, transposed: true)
        }
        let source = ExplicitSource(kernels: kernels, kernelOutputDimension: k)
        let probe = Matrix<Double>(rows: n, columns: 3)
        for blockSamples in [1, 2, 3, n] {
            let measured = LayerAlignment.statistics(network: source, probeFeatures: probe, probeLabels: labels,
                                                     centrings: Centring.allCases, samplesPerBlock: blockSamples)
            for (c, centring) in Centring.allCases.enumerated() {
                for (l, kernel) in kernels.enumerated() {
                    let stats = measured[c][l]
                    XCTAssertEqual(stats.layer, l + 1)
                    let expected = KernelAlignment.alignment(kernel: kernel, labels: labels, classCount: k, centring: centring)
                    XCTAssertEqual(stats.alignment, expected, accuracy: 1e-12 * abs(expected) + 1e-15, "\(centring) l=\(l + 1) block \(blockSamples)")
                    let centred = centring.centred(kernel, outputCount: k)
                    let norm = centred.storage.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    XCTAssertEqual(stats.centredFrobeniusNorm, norm, accuracy: 1e-10 * norm)
                    let trace = (0..<m).reduce(0.0) { $0 + kernel[$1, $1] }
                    XCTAssertEqual(stats.trace, trace, accuracy: 1e-10 * trace)
                }
            }
        }
    }

    func testDenseKernelRowsAreTheExplicitLayerKernel() {
        let architecture = DenseArchitecture(inputDimension: 4, width: 6, depth: 3, outputDimension: 2, hasBias: true)
        var generator = SeededGenerator(seed: 5)
        var network = DenseNetwork<Double>(architecture: architecture, generator: &generator)
        for l in network.biases.indices { network.biases[l] = network.biases[l].map { _ in 0.1 * generator.nextNormal() } }
        var probe = Matrix<Double>(rows: 5, columns: 4)
        for index in probe.storage.indices { probe.storage[index] = generator.nextNormal() }
        let n = probe.rows, k = 2
        var seen = Set<Int>()
        network.forEachLayerKernel(probe: probe, samplesPerBlock: 2) { l, kernel in
            seen.insert(l)
            let explicit = TangentKernel.layerKernel(network: network, inputs: probe, layer: l)
            for x0 in stride(from: 0, to: n, by: 2) {
                let x1 = min(n, x0 + 2)
                var rows = 0
                kernel.forEachRow(ofSamples: x0..<x1) { r, entries in
                    rows += 1
                    for s in 0..<(x1 * k) {
                        XCTAssertEqual(entries[s], explicit[r, s], accuracy: 1e-12 * max(1, abs(explicit[r, s])), "l=\(l) (\(r), \(s))")
                    }
                }
                XCTAssertEqual(rows, (x1 - x0) * k)
            }
        }
        XCTAssertEqual(seen, [1, 2, 3])
    }
}
