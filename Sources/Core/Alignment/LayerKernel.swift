import Foundation

/// One layer's tangent kernel K_l on a probe of n samples and k outputs, handed out row by row
/// within blocks of samples, so that no nk × nk matrix is ever stored.
///
/// K_l[(x, i), (x′, j)] = ⟨∂f_i(x)/∂θ_l, ∂f_j(x′)/∂θ_l⟩, indexed sample-major (row r = x·k + i).
/// What a layer type supplies is only how to form these entries (paper Eq. 9 for a dense layer:
/// ``DenseLayerKernel``); the centring and Frobenius accumulation that turns them into A_l
/// (``LayerAlignment``) holds for any layer type and lives elsewhere.
public protocol LayerKernel {
    /// n, the probe samples.
    var sampleCount: Int { get }
    /// k, the outputs per sample.
    var outputCount: Int { get }

    /// Calls `body` for every row r of the samples `samples` (r from samples.lowerBound·k up to
    /// samples.upperBound·k, ascending) with the entries K_l[r, s] for s < samples.upperBound·k:
    /// the block's rows, from the first column up to and including the block's diagonal part.
    /// The pointer is valid only during the call. Blocks are asked for in ascending order.
    mutating func forEachRow(ofSamples samples: Range<Int>, _ body: (_ row: Int, _ entries: UnsafePointer<Double>) -> Void)
}

/// A network whose layerwise tangent kernels K_1 … K_L can be measured by ``LayerAlignment``.
///
/// A new kind of layer (e.g. convolutional) conforms its network here with its own
/// ``LayerKernel``; nothing in the alignment accumulation changes.
public protocol LayerKernelSource {
    /// The scalar the network computes in.
    associatedtype Scalar: BLASScalar
    /// The kernel type of its layers.
    associatedtype Kernel: LayerKernel

    /// d, the input features a probe sample must have.
    var kernelInputDimension: Int { get }
    /// k, the outputs.
    var kernelOutputDimension: Int { get }
    /// L, the layers with a tangent kernel.
    var kernelLayerCount: Int { get }

    /// Calls `body` once per layer (in any order, each l in 1…L once) with that layer's kernel
    /// on `probe` (n × d), which will be asked for blocks of at most `samplesPerBlock` samples.
    /// The kernel is valid only during the call.
    func forEachLayerKernel(probe: Matrix<Scalar>, samplesPerBlock: Int, _ body: (_ layer: Int, _ kernel: inout Kernel) -> Void)
}
