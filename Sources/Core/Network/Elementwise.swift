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
        let raw = UnsafeMutableRawPointer(p)
        let stride = MemoryLayout<Float>.stride
        var i = 0
        while i + 8 <= count {
            let v = raw.loadUnaligned(fromByteOffset: i * stride, as: SIMD8<Float>.self)
            raw.storeBytes(of: v.replacing(with: 0, where: v .<= 0), toByteOffset: i * stride, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { if p[i] <= 0 { p[i] = 0 }; i += 1 }
    }

    private static func rectify4(_ p: UnsafeMutablePointer<Double>, _ count: Int) {
        let raw = UnsafeMutableRawPointer(p)
        let stride = MemoryLayout<Double>.stride
        var i = 0
        while i + 4 <= count {
            let v = raw.loadUnaligned(fromByteOffset: i * stride, as: SIMD4<Double>.self)
            raw.storeBytes(of: v.replacing(with: 0, where: v .<= 0), toByteOffset: i * stride, as: SIMD4<Double>.self)
            i += 4
        }
        while i < count { if p[i] <= 0 { p[i] = 0 }; i += 1 }
    }

    private static func gate8(_ p: UnsafeMutablePointer<Float>, _ mask: UnsafePointer<Float>, _ count: Int) {
        let raw = UnsafeMutableRawPointer(p)
        let maskRaw = UnsafeRawPointer(mask)
        let stride = MemoryLayout<Float>.stride
        var i = 0
        while i + 8 <= count {
            let v = raw.loadUnaligned(fromByteOffset: i * stride, as: SIMD8<Float>.self)
            let m = maskRaw.loadUnaligned(fromByteOffset: i * stride, as: SIMD8<Float>.self)
            raw.storeBytes(of: v.replacing(with: 0, where: .!(m .> 0)), toByteOffset: i * stride, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { if !(mask[i] > 0) { p[i] = 0 }; i += 1 }
    }

    private static func gate4(_ p: UnsafeMutablePointer<Double>, _ mask: UnsafePointer<Double>, _ count: Int) {
        let raw = UnsafeMutableRawPointer(p)
        let maskRaw = UnsafeRawPointer(mask)
        let stride = MemoryLayout<Double>.stride
        var i = 0
        while i + 4 <= count {
            let v = raw.loadUnaligned(fromByteOffset: i * stride, as: SIMD4<Double>.self)
            let m = maskRaw.loadUnaligned(fromByteOffset: i * stride, as: SIMD4<Double>.self)
            raw.storeBytes(of: v.replacing(with: 0, where: .!(m .> 0)), toByteOffset: i * stride, as: SIMD4<Double>.self)
            i += 4
        }
        while i < count { if !(mask[i] > 0) { p[i] = 0 }; i += 1 }
    }
}
