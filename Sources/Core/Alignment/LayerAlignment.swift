import COpenBLAS
import Foundation

/// What ``LayerAlignment`` measures for one layer's tangent kernel K_l on a probe set.
public struct LayerKernelStatistics: Codable, Hashable, Sendable {
    /// l, 1-based.
    public var layer: Int
    /// A_l = ỸᵀK_lỸ / (‖CK_lC‖_F ‖Ỹ‖²) (paper Eq. 7); 0 when it is undefined: K_l or Ỹ centres
    /// to zero (e.g. every ReLU below the layer is dead), or the kernel is not finite (diverged weights).
    public var alignment: Double
    /// ỸᵀK_lỸ = Tr(K_l ỸỸᵀ), the layer's contribution to moving the output towards the targets (Eq. 5).
    public var targetProjection: Double
    /// ‖C K_l C‖_F.
    public var centredFrobeniusNorm: Double
    /// Tr(K_l).
    public var trace: Double
}

/// The layerwise alignments A_l of a network's tangent kernels with the probe labels
/// (paper Sections 2.1–2.2, Eq. 6–7), exactly, for probes of hundreds of samples.
///
/// For each layer it forms K_l = ((F_l + [bias]) ⊗ 11ᵀ) ⊙ B_l (see ``TangentKernel``) one block of
/// samples at a time, only on and below the diagonal (K_l is symmetric), in the network's
/// precision with BLAS gemm. A single pass over each block then accumulates, in Double,
/// ‖K_l‖²_F, the row sums R_{rj} = Σ_{x′} K_l[r, (x′, j)], K_lỸ and Tr(K_l), from which
///
///     ỸᵀK_lỸ,   ‖CK_lC‖²_F = ‖K_l‖²_F − 2 Tr(P K_l²) + Tr(P K_l P K_l)   (C = I − P)
///
/// follow (``KernelAlignment/centredFrobeniusSquared(frobeniusSquared:rowSumsByOutput:sampleCount:outputCount:centring:)``).
/// All sums come from the same rounded kernel entries, so the centring identities hold to Double rounding.
/// With a Float network the entries carry float32 rounding (relative ~1e-6); the tests bound the
/// resulting A_l against a float64 computation to 1e-4 relative.
/// Memory: one block of about 512 × nk scalars, reused across layers; no nk × nk matrix is stored.
public enum LayerAlignment {
    /// A_l for l = 1…L (index 0 is layer 1) on the probe set (paper Eq. 7).
    /// - Precondition: `probeFeatures` is n × d with n ≥ 1 and `probeLabels` holds n labels in 0..<k.
    public static func alignments(network: DenseNetwork<Float>, probeFeatures: Matrix<Float>, probeLabels: [Int],
                                  centring: Centring) -> [Double] {
        statistics(network: network, probeFeatures: probeFeatures, probeLabels: probeLabels, centring: centring).map(\.alignment)
    }

    /// A_l for l = 1…L in any precision (Double for exact checks).
    public static func alignments<Scalar: BLASScalar>(network: DenseNetwork<Scalar>, probeFeatures: Matrix<Scalar>,
                                                      probeLabels: [Int], centring: Centring) -> [Double] {
        statistics(network: network, probeFeatures: probeFeatures, probeLabels: probeLabels, centring: centring).map(\.alignment)
    }

    /// Alignment, target projection, centred Frobenius norm and trace of every layer's tangent kernel.
    /// - Parameter samplesPerBlock: samples per block of kernel rows (default: about 512 rows); any
    ///   value ≥ 1 gives the same result up to rounding.
    public static func statistics<Scalar: BLASScalar>(network: DenseNetwork<Scalar>, probeFeatures: Matrix<Scalar>,
                                                      probeLabels: [Int], centring: Centring,
                                                      samplesPerBlock: Int? = nil) -> [LayerKernelStatistics] {
        statistics(network: network, probeFeatures: probeFeatures, probeLabels: probeLabels, centrings: [centring],
                   samplesPerBlock: samplesPerBlock)[0]
    }

    /// The statistics under several centrings at once, from one pass over the kernels (the
    /// centring only changes Ỹ and the centred norm, both accumulated alongside; the gemm work
    /// is shared). Element c of the result belongs to `centrings[c]`.
    /// - Precondition: `centrings` is not empty.
    public static func statistics<Scalar: BLASScalar>(network: DenseNetwork<Scalar>, probeFeatures: Matrix<Scalar>,
                                                      probeLabels: [Int], centrings: [Centring],
                                                      samplesPerBlock: Int? = nil) -> [[LayerKernelStatistics]] {
        precondition(!centrings.isEmpty, "name at least one centring")
        let architecture = network.architecture
        let n = probeFeatures.rows
        let k = architecture.outputDimension
        precondition(n > 0, "the probe set needs at least one sample")
        precondition(probeLabels.count == n, "got \(probeLabels.count) labels for \(n) probe samples")
        precondition(probeFeatures.columns == architecture.inputDimension,
                     "probe features have \(probeFeatures.columns) columns but the network expects \(architecture.inputDimension)")
        let m = n * k
        let blockSamples = max(1, min(n, samplesPerBlock ?? max(1, 512 / k)))
        let centringCount = centrings.count
        // Ỹ for every centring, one after another (centring c at offset c·m).
        let targets = centrings.flatMap { $0.centredTargets(labels: probeLabels, classCount: k) }
        let targetNormsSquared = (0..<centringCount).map { c in targets[(c * m)..<((c + 1) * m)].reduce(0) { $0 + $1 * $1 } }
        let sizes = architecture.layerSizes
        let bias: Double = architecture.hasBias ? 1 : 0

        var forward = [Scalar](repeating: 0, count: n * n)
        var block = [Scalar](repeating: 0, count: blockSamples * k * m)
        // R (m × k), the mirror half of R stored by output (k × m, contiguous in the column), K Ỹ,
        // and one row of K_l with its factors F_l(x, ·) + [bias], all in Double.
        var rowSums = [Double](repeating: 0, count: m * k)
        var columnSums = [Double](repeating: 0, count: k * m)
        var kernelTimesTargets = [Double](repeating: 0, count: centringCount * m)
        var rowValues = [Double](repeating: 0, count: m)
        var rowFactors = [Double](repeating: 0, count: m)
        var results = [[LayerKernelStatistics]](
            repeating: [LayerKernelStatistics](repeating: LayerKernelStatistics(layer: 0, alignment: 0, targetProjection: 0,
                                                                                centredFrobeniusNorm: 0, trace: 0),
                                               count: architecture.depth),
            count: centringCount)

        network.forEachLayerTangentFactors(inputs: probeFeatures) { l, previous, gradients in
            let fanIn = sizes[l - 1]
            let fanOut = sizes[l]
            var frobeniusSquared = 0.0
            var trace = 0.0
            forward.withUnsafeMutableBufferPointer { f in
                Scalar.gemm(transposeA: false, transposeB: true, m: n, n: n, k: fanIn, alpha: 1, a: previous, lda: fanIn,
                            b: previous, ldb: fanIn, beta: 0, c: f.baseAddress!, ldc: n)
            }
            rowSums.withUnsafeMutableBufferPointer { rowSumsBuffer in
            columnSums.withUnsafeMutableBufferPointer { columnSumsBuffer in
            kernelTimesTargets.withUnsafeMutableBufferPointer { ktyBuffer in
            rowValues.withUnsafeMutableBufferPointer { valuesBuffer in
            rowFactors.withUnsafeMutableBufferPointer { factorsBuffer in
            forward.withUnsafeBufferPointer { fBuffer in
            block.withUnsafeMutableBufferPointer { blockBuffer in
            targets.withUnsafeBufferPointer { yBuffer in
                let rSums = rowSumsBuffer.baseAddress!
                let cSums = columnSumsBuffer.baseAddress!
                let kty = ktyBuffer.baseAddress!
                let y = yBuffer.baseAddress!
                let v = valuesBuffer.baseAddress!
                let factors = factorsBuffer.baseAddress!
                rSums.update(repeating: 0, count: m * k)
                cSums.update(repeating: 0, count: k * m)
                kty.update(repeating: 0, count: centringCount * m)
                for x0 in stride(from: 0, to: n, by: blockSamples) {
                    let x1 = min(n, x0 + blockSamples)
                    let r0 = x0 * k, r1 = x1 * k
                    // Rows r0..<r1 of B_l, columns 0..<r1 (the diagonal block and everything left of it).
                    Scalar.gemm(transposeA: false, transposeB: true, m: r1 - r0, n: r1, k: fanOut,
                                alpha: 1, a: gradients + r0 * fanOut, lda: fanOut,
                                b: gradients, ldb: fanOut, beta: 0, c: blockBuffer.baseAddress!, ldc: r1)
                    for r in r0..<r1 {
                        let x = r / k, i = r % k
                        let b = blockBuffer.baseAddress! + (r - r0) * r1
                        if r == r0 || i == 0 {
                            // (F_l(x, x′) + [bias]) spread over the k columns of sample x′.
                            let fRow = fBuffer.baseAddress! + x * n
                            for xp in 0..<x1 {
                                let factor = Double(fRow[xp]) + bias
                                for j in 0..<k { factors[xp * k + j] = factor }
                            }
                        }
                        // The row of K_l: v_s = K_l[r, s] for s < r1.
                        for s in 0..<r1 { v[s] = factors[s] * Double(b[s]) }
                        // Columns left of the diagonal block stand also for their mirrors (s, r);
                        // the diagonal block holds both (r, s) and (s, r) itself.
                        let lower = cblas_ddot(Int32(r0), v, 1, v, 1)
                        let diagonalBlock = cblas_ddot(Int32(r1 - r0), v + r0, 1, v + r0, 1)
                        frobeniusSquared += 2 * lower + diagonalBlock
                        for c in 0..<centringCount {
                            let yc = y + c * m, ktyc = kty + c * m
                            ktyc[r] += cblas_ddot(Int32(r1), v, 1, yc, 1)
                            cblas_daxpy(Int32(r0), yc[r], v, 1, ktyc, 1)
                        }
                        cblas_daxpy(Int32(r0), 1, v, 1, cSums + i * m, 1)
                        let rowSum = rSums + r * k
                        for xp in 0..<x1 {
                            for j in 0..<k { rowSum[j] += v[xp * k + j] }
                        }
                        trace += v[r]
                    }
                }
                for i in 0..<k {
                    for s in 0..<m { rSums[s * k + i] += cSums[i * m + s] }
                }
            }
            }
            }
            }
            }
            }
            }
            }
            for (c, centring) in centrings.enumerated() {
                var projection = 0.0
                for r in 0..<m { projection += targets[c * m + r] * kernelTimesTargets[c * m + r] }
                let centredSquared = KernelAlignment.centredFrobeniusSquared(
                    frobeniusSquared: frobeniusSquared, rowSumsByOutput: rowSums, sampleCount: n, outputCount: k, centring: centring)
                let norm = centredSquared.squareRoot()
                let defined = norm > 0 && norm.isFinite && projection.isFinite && targetNormsSquared[c] > 0
                let alignment = defined ? projection / (norm * targetNormsSquared[c]) : 0
                results[c][l - 1] = LayerKernelStatistics(layer: l, alignment: alignment, targetProjection: projection,
                                                          centredFrobeniusNorm: norm, trace: trace)
            }
        }
        return results
    }
}
