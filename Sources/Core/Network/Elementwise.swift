/// Branch-free elementwise kernels for the ReLU and its derivative, written with SIMD vectors
/// (a compare-and-branch per element mispredicts on random signs and cannot vectorise).
enum Elementwise {
    /// x ← max(x, 0) for `count` entries (NaN stays NaN).
    @inline(__always)
    static func rectify<Scalar: BLASScalar>(_ values: UnsafeMutablePointer<Scalar>, count: Int) {
        if Scalar.self == Float.self {
            UnsafeMutableRawPointer(values).withMemoryRebound(to: Float.self, capacity: count) { rectify8($0, count) }
        } else if Scalar.self == Double.self {
            UnsafeMutableRawPointer(values).withMemoryRebound(to: Double.self, capacity: count) { rectify4($0, count) }
        } else {
            for i in 0..<count where values[i] <= 0 { values[i] = 0 }
        }
    }

    /// x_i ← 0 wherever mask_i ≤ 0 (the ReLU derivative at z = 0 is 0), keeping x_i elsewhere.
    /// `mask` holds post-ReLU activations, which are positive exactly where z > 0.
    @inline(__always)
    static func gate<Scalar: BLASScalar>(_ values: UnsafeMutablePointer<Scalar>, by mask: UnsafePointer<Scalar>, count: Int) {
        if Scalar.self == Float.self {
            UnsafeMutableRawPointer(values).withMemoryRebound(to: Float.self, capacity: count) { v in
                UnsafeRawPointer(mask).withMemoryRebound(to: Float.self, capacity: count) { m in gate8(v, m, count) }
            }
        } else if Scalar.self == Double.self {
            UnsafeMutableRawPointer(values).withMemoryRebound(to: Double.self, capacity: count) { v in
                UnsafeRawPointer(mask).withMemoryRebound(to: Double.self, capacity: count) { m in gate4(v, m, count) }
            }
        } else {
            for i in 0..<count where !(mask[i] > 0) { values[i] = 0 }
        }
    }

    private static func rectify8(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
        zero(p, by: p, count, as: SIMD8<Float>.self, lanes: { v, _ in v .<= 0 }, scalar: { v, _ in v <= 0 })
    }
    private static func rectify4(_ p: UnsafeMutablePointer<Double>, _ count: Int) {
        zero(p, by: p, count, as: SIMD4<Double>.self, lanes: { v, _ in v .<= 0 }, scalar: { v, _ in v <= 0 })
    }
    private static func gate8(_ p: UnsafeMutablePointer<Float>, _ mask: UnsafePointer<Float>, _ count: Int) {
        zero(p, by: mask, count, as: SIMD8<Float>.self, lanes: { _, m in .!(m .> 0) }, scalar: { _, m in !(m > 0) })
    }
    private static func gate4(_ p: UnsafeMutablePointer<Double>, _ mask: UnsafePointer<Double>, _ count: Int) {
        zero(p, by: mask, count, as: SIMD4<Double>.self, lanes: { _, m in .!(m .> 0) }, scalar: { _, m in !(m > 0) })
    }

    /// x_i ← 0 wherever `scalar(x_i, mask_i)` holds, `Vector.scalarCount` entries at a time with the
    /// same test on whole vectors (`lanes`), the tail one by one. `mask` may be `p` itself.
    @inline(__always)
    private static func zero<Vector: SIMD & BitwiseCopyable>(
        _ p: UnsafeMutablePointer<Vector.Scalar>, by mask: UnsafePointer<Vector.Scalar>, _ count: Int, as _: Vector.Type,
        lanes: (Vector, Vector) -> SIMDMask<Vector.MaskStorage>, scalar: (Vector.Scalar, Vector.Scalar) -> Bool
    ) where Vector.Scalar: BinaryFloatingPoint {
        let raw = UnsafeMutableRawPointer(p)
        let maskRaw = UnsafeRawPointer(mask)
        let stride = MemoryLayout<Vector.Scalar>.stride
        let width = Vector().scalarCount
        var i = 0
        while i + width <= count {
            let v = raw.loadUnaligned(fromByteOffset: i * stride, as: Vector.self)
            let m = maskRaw.loadUnaligned(fromByteOffset: i * stride, as: Vector.self)
            raw.storeBytes(of: v.replacing(with: 0, where: lanes(v, m)), toByteOffset: i * stride, as: Vector.self)
            i += width
        }
        while i < count { if scalar(p[i], mask[i]) { p[i] = 0 }; i += 1 }
    }
}
