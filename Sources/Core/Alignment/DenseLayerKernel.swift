import Foundation

/// The tangent kernel of one dense layer (paper Eq. 9), the fast path of ``LayerKernel``:
///
///     K_l[(x, i), (x′, j)] = (F_l(x, x′) + [bias]) · B_l[(x, i), (x′, j)],
///     F_l = A_{l−1} A_{l−1}ᵀ (n × n),   B_l = G_l G_lᵀ (nk × nk),
///
/// with A_{l−1} the layer's inputs and G_l the gradients of the logits with respect to its
/// pre-activations (``DenseNetwork/forEachLayerTangentFactors(inputs:_:)``). F_l is formed once
/// with gemm; B_l one block of rows at a time (rows of the block times all rows up to the
/// block's end), in the network's precision; each entry is then multiplied out in Double.
public struct DenseLayerKernel<Scalar: BLASScalar>: LayerKernel {
    public let sampleCount: Int
    public let outputCount: Int
    private let fanOut: Int
    private let bias: Double
    private let gradients: UnsafePointer<Scalar>
    private let workspace: DenseKernelWorkspace<Scalar>

    /// - Parameters:
    ///   - previous: A_{l−1}, n × fanIn row-major; used only here (F_l is formed at once).
    ///   - gradients: G_l, nk × fanOut row-major; must stay valid while the kernel is used.
    init(previous: UnsafePointer<Scalar>, fanIn: Int, gradients: UnsafePointer<Scalar>, fanOut: Int,
         sampleCount n: Int, outputCount k: Int, hasBias: Bool, workspace: DenseKernelWorkspace<Scalar>) {
        precondition(workspace.sampleCount == n && workspace.outputCount == k, "the workspace has another probe size")
        sampleCount = n
        outputCount = k
        self.fanOut = fanOut
        bias = hasBias ? 1 : 0
        self.gradients = gradients
        self.workspace = workspace
        Scalar.gemm(transposeA: false, transposeB: true, m: n, n: n, k: fanIn, alpha: 1, a: previous, lda: fanIn,
                    b: previous, ldb: fanIn, beta: 0, c: workspace.forward, ldc: n)
    }

    public mutating func forEachRow(ofSamples samples: Range<Int>, _ body: (_ row: Int, _ entries: UnsafePointer<Double>) -> Void) {
        let k = outputCount, n = sampleCount
        let x0 = samples.lowerBound, x1 = samples.upperBound
        precondition(x0 >= 0 && x1 <= n && x1 - x0 <= workspace.blockSamples, "block \(samples) does not fit the workspace")
        let r0 = x0 * k, r1 = x1 * k
        let block = workspace.block
        let factors = workspace.factors
        let values = workspace.values
        // Rows r0..<r1 of B_l, columns 0..<r1 (the diagonal block and everything left of it).
        Scalar.gemm(transposeA: false, transposeB: true, m: r1 - r0, n: r1, k: fanOut,
                    alpha: 1, a: gradients + r0 * fanOut, lda: fanOut,
                    b: gradients, ldb: fanOut, beta: 0, c: block, ldc: r1)
        for r in r0..<r1 {
            let x = r / k, i = r % k
            let b = block + (r - r0) * r1
            if r == r0 || i == 0 {
                // (F_l(x, x′) + [bias]) spread over the k columns of sample x′.
                let fRow = workspace.forward + x * n
                for xp in 0..<x1 {
                    let factor = Double(fRow[xp]) + bias
                    for j in 0..<k { factors[xp * k + j] = factor }
                }
            }
            for s in 0..<r1 { values[s] = factors[s] * Double(b[s]) }
            body(r, UnsafePointer(values))
        }
    }
}

/// The scratch memory of ``DenseLayerKernel`` for one probe size, reused across layers:
/// F_l (n × n), one block of B_l (blockSamples·k × nk), one row of factors and one of entries.
final class DenseKernelWorkspace<Scalar: BLASScalar> {
    let sampleCount: Int
    let outputCount: Int
    let blockSamples: Int
    let forward: UnsafeMutablePointer<Scalar>
    let block: UnsafeMutablePointer<Scalar>
    let factors: UnsafeMutablePointer<Double>
    let values: UnsafeMutablePointer<Double>

    init(sampleCount n: Int, outputCount k: Int, blockSamples: Int) {
        sampleCount = n
        outputCount = k
        self.blockSamples = blockSamples
        let m = n * k
        forward = .allocate(capacity: n * n)
        forward.initialize(repeating: 0, count: n * n)
        block = .allocate(capacity: blockSamples * k * m)
        block.initialize(repeating: 0, count: blockSamples * k * m)
        factors = .allocate(capacity: m)
        factors.initialize(repeating: 0, count: m)
        values = .allocate(capacity: m)
        values.initialize(repeating: 0, count: m)
    }

    deinit {
        forward.deallocate()
        block.deallocate()
        factors.deallocate()
        values.deallocate()
    }
}

extension DenseNetwork: LayerKernelSource {
    public var kernelInputDimension: Int { architecture.inputDimension }
    public var kernelOutputDimension: Int { architecture.outputDimension }
    public var kernelLayerCount: Int { architecture.depth }

    /// The dense kernels from one forward and one batched backward pass (layers L down to 1).
    public func forEachLayerKernel(probe: Matrix<Scalar>, samplesPerBlock: Int,
                                   _ body: (_ layer: Int, _ kernel: inout DenseLayerKernel<Scalar>) -> Void) {
        let n = probe.rows, k = architecture.outputDimension
        let sizes = architecture.layerSizes
        let workspace = DenseKernelWorkspace<Scalar>(sampleCount: n, outputCount: k, blockSamples: max(1, min(n, samplesPerBlock)))
        forEachLayerTangentFactors(inputs: probe) { l, previous, gradients in
            var kernel = DenseLayerKernel(previous: previous, fanIn: sizes[l - 1], gradients: gradients, fanOut: sizes[l],
                                          sampleCount: n, outputCount: k, hasBias: architecture.hasBias, workspace: workspace)
            body(l, &kernel)
        }
    }
}
