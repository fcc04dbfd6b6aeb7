import XCTest
@testable import Core

/// The seeded generator, BLAS matrix products and the OpenBLAS kernel choice.
final class SeededGeneratorTests: XCTestCase {
    func testSameSeedSameSequenceDifferentSeedsDiffer() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let sa = (0..<100).map { _ in a.next() }
        XCTAssertEqual(sa, (0..<100).map { _ in b.next() })
        XCTAssertNotEqual(sa, (0..<100).map { _ in c.next() })
    }

    func testKnownFirstOutputs() {
        // SplitMix64 from seed 0 gives 0xE220A8397B1DCDAF first (a published test value);
        // the xoshiro256** state is filled with the first four.
        var sm = SplitMix64(state: 0)
        XCTAssertEqual(sm.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(sm.next(), 0x6E78_9E6A_A1B9_65F4)
    }

    func testDerivedStreamsAreIndependentAndStable() {
        let root = SeededGenerator(seed: 7)
        var x = root.derived("init"), y = root.derived("init"), z = root.derived("batches")
        let first = x.next()
        XCTAssertEqual(first, y.next())
        XCTAssertNotEqual(first, z.next())
    }

    func testUniformAndNormalMoments() {
        var generator = SeededGenerator(seed: 1)
        let n = 200_000
        let uniforms = (0..<n).map { _ in generator.nextUniform() }
        XCTAssertTrue(uniforms.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(uniforms.reduce(0, +) / Double(n), 0.5, accuracy: 0.005)
        let normals = (0..<n).map { _ in generator.nextNormal() }
        let mean = normals.reduce(0, +) / Double(n)
        let variance = normals.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
        XCTAssertEqual(mean, 0, accuracy: 0.01)
        XCTAssertEqual(variance, 1, accuracy: 0.015)
        // Tail mass beyond 2σ: 4.55%.
        XCTAssertEqual(Double(normals.filter { abs($0) > 2 }.count) / Double(n), 0.0455, accuracy: 0.003)
    }

    func testShuffleIsAPermutationAndIntsAreInRange() {
        var generator = SeededGenerator(seed: 3)
        var values = Array(0..<50)
        generator.shuffle(&values)
        XCTAssertEqual(values.sorted(), Array(0..<50))
        XCTAssertNotEqual(values, Array(0..<50))
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<7000 { counts[generator.nextInt(below: 7)] += 1 }
        XCTAssertTrue(counts.allSatisfy { abs($0 - 1000) < 150 }, "\(counts)")
    }
}

final class MatrixProductTests: XCTestCase {
    private func naive(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Matrix<Double> {
        var c = Matrix<Double>(rows: a.rows, columns: b.columns)
        for i in 0..<a.rows { for j in 0..<b.columns { for k in 0..<a.columns { c[i, j] += a[i, k] * b[k, j] } } }
        return c
    }

    func testProductsWithEveryTransposeAgainstLoops() {
        var generator = SeededGenerator(seed: 9)
        func random(_ r: Int, _ c: Int) -> Matrix<Double> {
            Matrix(rows: r, columns: c, storage: (0..<(r * c)).map { _ in generator.nextNormal() })
        }
        let a = random(4, 3), b = random(3, 5)
        let expected = naive(a, b)
        let variants = [
            Matrix.product(a, b),
            Matrix.product(a.transposed, transposed: true, b),
            Matrix.product(a, transposed: false, b.transposed, transposed: true),
            Matrix.product(a.transposed, transposed: true, b.transposed, transposed: true),
        ]
        for product in variants {
            XCTAssertEqual(product.rows, 4)
            XCTAssertEqual(product.columns, 5)
            for (x, y) in zip(product.storage, expected.storage) { XCTAssertEqual(x, y, accuracy: 1e-12) }
        }
        let f = Matrix<Float>(rows: 2, columns: 2, storage: [1, 2, 3, 4])
        XCTAssertEqual((f * f).storage, [7, 10, 15, 22])
    }

    func testEmptyInnerDimensionGivesZeros() {
        let a = Matrix<Double>(rows: 2, columns: 0), b = Matrix<Double>(rows: 0, columns: 3)
        XCTAssertEqual(Matrix.product(a, b).storage, [0, 0, 0, 0, 0, 0])
    }
}

final class BLASRuntimeTests: XCTestCase {
    func testCoreTypeIsRecommendedOnlyForGenericKernels() {
        let avx512: Set<String> = ["avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl"]
        XCTAssertEqual(BLASRuntime.recommendedCoreType(environment: [:], activeCore: "Prescott", flags: avx512), "SkylakeX")
        XCTAssertEqual(BLASRuntime.recommendedCoreType(environment: [:], activeCore: "Prescott", flags: ["avx", "avx2", "fma"]), "Haswell")
        XCTAssertEqual(BLASRuntime.recommendedCoreType(environment: [:], activeCore: "Prescott", flags: ["avx"]), "SandyBridge")
        XCTAssertNil(BLASRuntime.recommendedCoreType(environment: [:], activeCore: "Prescott", flags: ["sse3"]))
        XCTAssertNil(BLASRuntime.recommendedCoreType(environment: [:], activeCore: "Zen", flags: avx512), "a recognised CPU keeps its kernel")
        XCTAssertNil(BLASRuntime.recommendedCoreType(environment: ["OPENBLAS_CORETYPE": "Haswell"], activeCore: "Prescott", flags: avx512),
                     "an explicit choice by the user wins")
    }

    func testTheActiveKernelIsReported() {
        XCTAssertFalse(BLASRuntime.coreName.isEmpty)
    }
}
