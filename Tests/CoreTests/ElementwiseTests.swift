import XCTest
@testable import Core

/// The SIMD ReLU kernels against a plain loop, at every length up to three vectors (so each tail
/// length of both lane widths is met) and with the awkward values: ±0, NaN, ±∞, subnormals.
final class ElementwiseTests: XCTestCase {
    private static func values<Scalar: BinaryFloatingPoint>(_ count: Int, seed: UInt64) -> [Scalar] {
        var generator = SeededGenerator(seed: seed)
        let special: [Scalar] = [0, -0, .nan, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 1, -1]
        return (0..<count).map { i in
            i % 3 == 0 ? special[Int(generator.next() % UInt64(special.count))] : Scalar(generator.nextNormal())
        }
    }

    private func checkRectify<Scalar: BLASScalar & BinaryFloatingPoint>(_: Scalar.Type) {
        for count in 0...25 {
            var x: [Scalar] = Self.values(count, seed: UInt64(count))
            // Reference: max(x, 0) with NaN kept (a diverged run must stay visibly diverged).
            let expected = x.map { $0.isNaN ? $0 : ($0 > 0 ? $0 : 0) }
            x.withUnsafeMutableBufferPointer { Elementwise.rectify($0.baseAddress!, count: count) }
            for i in 0..<count {
                XCTAssertEqual(x[i].isNaN, expected[i].isNaN, "\(Scalar.self) n=\(count) i=\(i)")
                if !expected[i].isNaN { XCTAssertEqual(x[i], expected[i], "\(Scalar.self) n=\(count) i=\(i)") }
                XCTAssertFalse(x[i] < 0, "no negative survives: \(Scalar.self) n=\(count) i=\(i)")
            }
        }
    }

    private func checkGate<Scalar: BLASScalar & BinaryFloatingPoint>(_: Scalar.Type) {
        for count in 0...25 {
            var x: [Scalar] = Self.values(count, seed: 100 + UInt64(count))
            let mask: [Scalar] = Self.values(count, seed: 200 + UInt64(count))
            // Reference: keep x where mask > 0 (NaN masks zero it), else 0 — even where x is NaN.
            let expected = zip(x, mask).map { value, m in m > 0 ? value : 0 }
            x.withUnsafeMutableBufferPointer { v in
                mask.withUnsafeBufferPointer { m in Elementwise.gate(v.baseAddress!, by: m.baseAddress!, count: count) }
            }
            for i in 0..<count {
                XCTAssertEqual(x[i].isNaN, expected[i].isNaN, "\(Scalar.self) n=\(count) i=\(i)")
                if !expected[i].isNaN { XCTAssertEqual(x[i], expected[i], "\(Scalar.self) n=\(count) i=\(i)") }
            }
        }
    }

    func testRectifyMatchesAPlainLoopInFloatAndDouble() {
        checkRectify(Float.self)
        checkRectify(Double.self)
    }

    func testGateMatchesAPlainLoopInFloatAndDouble() {
        checkGate(Float.self)
        checkGate(Double.self)
    }
}
