import COpenBLAS
import Foundation

/// What ``LayerAlignment`` measures for one layer's tangent kernel K_l on a probe set.
public struct LayerKernelStatistics: Codable, Hashable, Sendable {
    /// l, 1-based.
    public var layer: Int
    /// A_l = ỸᵀK_lỸ / (‖CK_lC‖_F ‖Ỹ‖²) (paper Eq. 7); 0 when it is undefined: K_l or Ỹ centres
    /// to zero (e.g. every ReLU below the layer is dead; below ``KernelAlignment/undefinedBelow`` ×
    /// ‖K_l‖_F counts as zero), or the kernel is not finite (diverged weights).
    public var alignment: Double
    /// ỸᵀK_lỸ = Tr(K_l ỸỸᵀ), the layer's contribution to moving the output towards the targets (Eq. 5).
    public var targetProjection: Double
    /// ‖C K_l C‖_F.
    public var centredFrobeniusNorm: Double
    /// Tr(K_l).
    public var trace: Double
}

/// The layerwise alignments A_l of a network's tangent kernels with the probe labels
/// (paper Sections 2.1–2.2, Eq. 6–7), exactly, for probes of hundreds of samples, for any
/// network that hands out its layers' kernels (``LayerKernelSource``; the dense one is
/// ``DenseLayerKernel``: K_l = ((F_l + [bias]) ⊗ 11ᵀ) ⊙ B_l, see ``TangentKernel``).
///
/// Each layer's kernel is visited one block of samples at a time, only on and below the
/// diagonal (K_l is symmetric). A single pass over each block accumulates, in Double,
/// ‖K_l‖²_F, the row sums R_{rj} = Σ_{x′} K_l[r, (x′, j)], K_lỸ and Tr(K_l)
/// (``KernelStatisticsAccumulator``), from which
///
///     ỸᵀK_lỸ,   ‖CK_lC‖²_F = ‖K_l‖²_F − 2 Tr(P K_l²) + Tr(P K_l P K_l)   (C = I − P)
///
/// follow (``KernelAlignment/centredFrobeniusSquared(frobeniusSquared:rowSumsByOutput:sampleCount:outputCount:centring:)``).
/// All sums come from the same rounded kernel entries, so the centring identities hold to Double rounding.
/// With a Float network the entries carry float32 rounding (relative ~1e-6); the tests bound the
/// resulting A_l against a float64 computation to 1e-4 relative.
/// Memory: one block of about 512 × nk scalars, reused across layers; no nk × nk matrix is stored.
public enum LayerAlignment {
    /// A_l for l = 1…L (index 0 is layer 1) on the probe set (paper Eq. 7), in any precision (Double for exact checks).
    /// - Precondition: `probeFeatures` is n × d with n ≥ 1 and `probeLabels` holds n labels in 0..<k.
    public static func alignments<Network: LayerKernelSource>(network: Network, probeFeatures: Matrix<Network.Scalar>,
                                                              probeLabels: [Int], centring: Centring) -> [Double] {
        statistics(network: network, probeFeatures: probeFeatures, probeLabels: probeLabels, centring: centring).map(\.alignment)
    }

    /// Alignment, target projection, centred Frobenius norm and trace of every layer's tangent kernel.
    /// - Parameter samplesPerBlock: samples per block of kernel rows (default: about 512 rows); any
    ///   value ≥ 1 gives the same result up to rounding.
    public static func statistics<Network: LayerKernelSource>(network: Network, probeFeatures: Matrix<Network.Scalar>,
                                                              probeLabels: [Int], centring: Centring,
                                                              samplesPerBlock: Int? = nil) -> [LayerKernelStatistics] {
        statistics(network: network, probeFeatures: probeFeatures, probeLabels: probeLabels, centrings: [centring],
                   samplesPerBlock: samplesPerBlock)[0]
    }

    /// The statistics under several centrings at once, from one pass over the kernels (the
    /// centring only changes Ỹ and the centred norm, both accumulated alongside; the kernel
    /// work is shared). Element c of the result belongs to `centrings[c]`.
    /// - Precondition: `centrings` is not empty.
    public static func statistics<Network: LayerKernelSource>(network: Network, probeFeatures: Matrix<Network.Scalar>,
                                                              probeLabels: [Int], centrings: [Centring],
                                                              samplesPerBlock: Int? = nil) -> [[LayerKernelStatistics]] {
        precondition(!centrings.isEmpty, "name at least one centring")
        let n = probeFeatures.rows
        let k = network.kernelOutputDimension
        precondition(n > 0, "the probe set needs at least one sample")
        precondition(probeLabels.count == n, "got \(probeLabels.count) labels for \(n) probe samples")
        precondition(probeFeatures.columns == network.kernelInputDimension,
                     "probe features have \(probeFeatures.columns) columns but the network expects \(network.kernelInputDimension)")
        let blockSamples = max(1, min(n, samplesPerBlock ?? max(1, 512 / k)))
        let accumulator = KernelStatisticsAccumulator(labels: probeLabels, outputCount: k, centrings: centrings)
        var results = [[LayerKernelStatistics]](
            repeating: [LayerKernelStatistics](repeating: LayerKernelStatistics(layer: 0, alignment: 0, targetProjection: 0,
                                                                                centredFrobeniusNorm: 0, trace: 0),
                                               count: network.kernelLayerCount),
            count: centrings.count)
        network.forEachLayerKernel(probe: probeFeatures, samplesPerBlock: blockSamples) { l, kernel in
            let layer = accumulator.statistics(of: &kernel, layer: l, samplesPerBlock: blockSamples)
            for c in centrings.indices { results[c][l - 1] = layer[c] }
        }
        return results
    }
}

/// Turns the entries of one layer's kernel (any ``LayerKernel``) into its statistics under
/// several centrings, in one pass over the lower triangle, block of samples by block of samples.
/// Its Double buffers (R, its mirror half, K Ỹ for every centring) are reused across layers.
final class KernelStatisticsAccumulator {
    private let sampleCount: Int
    private let outputCount: Int
    private let centrings: [Centring]
    /// Ỹ for every centring, one after another (centring c at offset c·m).
    private let targets: [Double]
    private let targetNormsSquared: [Double]
    /// R (m × k), the mirror half of R stored by output (k × m, contiguous in the column), and K Ỹ.
    private let rowSums: UnsafeMutablePointer<Double>
    private let columnSums: UnsafeMutablePointer<Double>
    private let kernelTimesTargets: UnsafeMutablePointer<Double>

    init(labels: [Int], outputCount k: Int, centrings: [Centring]) {
        let n = labels.count, m = n * k
        sampleCount = n
        outputCount = k
        self.centrings = centrings
        targets = centrings.flatMap { $0.centredTargets(labels: labels, classCount: k) }
        targetNormsSquared = centrings.indices.map { [targets] c in targets[(c * m)..<((c + 1) * m)].reduce(0) { $0 + $1 * $1 } }
        rowSums = .allocate(capacity: m * k)
        rowSums.initialize(repeating: 0, count: m * k)
        columnSums = .allocate(capacity: k * m)
        columnSums.initialize(repeating: 0, count: k * m)
        kernelTimesTargets = .allocate(capacity: centrings.count * m)
        kernelTimesTargets.initialize(repeating: 0, count: centrings.count * m)
    }

    deinit {
        rowSums.deallocate()
        columnSums.deallocate()
        kernelTimesTargets.deallocate()
    }

    /// The statistics of layer `layer` (element c for `centrings[c]`).
    func statistics<Kernel: LayerKernel>(of kernel: inout Kernel, layer: Int, samplesPerBlock: Int) -> [LayerKernelStatistics] {
        let n = sampleCount, k = outputCount, m = n * k
        precondition(kernel.sampleCount == n && kernel.outputCount == k, "the kernel belongs to another probe")
        let centringCount = centrings.count
        let rSums = rowSums, cSums = columnSums, kty = kernelTimesTargets
        rSums.update(repeating: 0, count: m * k)
        cSums.update(repeating: 0, count: k * m)
        kty.update(repeating: 0, count: centringCount * m)
        var frobeniusSquared = 0.0
        var trace = 0.0
        targets.withUnsafeBufferPointer { yBuffer in
            let y = yBuffer.baseAddress!
            for x0 in stride(from: 0, to: n, by: samplesPerBlock) {
                let x1 = min(n, x0 + samplesPerBlock)
                let r0 = x0 * k
                let r1 = x1 * k
                kernel.forEachRow(ofSamples: x0..<x1) { r, v in
                    let i = r % k
                    // Columns left of the block stand also for their mirrors (s, r);
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
        }
        for i in 0..<k {
            for s in 0..<m { rSums[s * k + i] += cSums[i * m + s] }
        }
        let rowSumsByOutput = Array(UnsafeBufferPointer(start: rSums, count: m * k))
        return centrings.enumerated().map { c, centring in
            var projection = 0.0
            for r in 0..<m { projection += targets[c * m + r] * kty[c * m + r] }
            let centredSquared = KernelAlignment.centredFrobeniusSquared(
                frobeniusSquared: frobeniusSquared, rowSumsByOutput: rowSumsByOutput, sampleCount: n, outputCount: k, centring: centring)
            let norm = centredSquared.squareRoot()
            let defined = norm > KernelAlignment.undefinedBelow * frobeniusSquared.squareRoot() && norm.isFinite
                && projection.isFinite && targetNormsSquared[c] > 0
            let alignment = defined ? projection / (norm * targetNormsSquared[c]) : 0
            return LayerKernelStatistics(layer: layer, alignment: alignment, targetProjection: projection,
                                         centredFrobeniusNorm: norm, trace: trace)
        }
    }
}
