import Foundation

/// What Appendix G measures for one layer l on a probe (paper G.1, G.4, G.5), from the exact
/// spectra of the centred tangent kernel C K_l C and of the Fisher dual S^{1/2} K_l S^{1/2}.
public struct LayerSpectrumStatistics: Codable, Sendable, Equatable {
    /// l, 1-based.
    public var layer: Int
    /// λ_i / λ_1 of C K_l C for i = 1 … min(top, nk) (Fig 19).
    public var normalisedEigenvalues: [Double]
    /// R_l = Σλ_i²/λ_1² of C K_l C (Fig 20b).
    public var stableRank: Double
    /// Σ_i (λ_i/λ_1)⟨u_i, Ŷ⟩² with u_i the eigenvectors of C K_l C and Ŷ = Ỹ/‖Ỹ‖ (Fig 20c).
    public var correlation: Double
    /// R_l^{-1/2} · correlation: A_l from the spectrum (Appendix G.1).
    public var spectralAlignment: Double
    /// A_l as the engine computes it (``LayerAlignment``, paper Eq. 7) on the same float64 network and probe.
    public var engineAlignment: Double
    /// |spectralAlignment − engineAlignment| / |engineAlignment| (0 when both are 0).
    public var identityRelativeError: Double
    /// Stable rank of the uncentred kernel K_l = Ψ_lᵀΨ_l (the NTK of Fig 21's solid lines).
    public var uncentredStableRank: Double
    /// Stable rank of the empirical Fisher information Ψ_l S Ψ_lᵀ (Figs 21, 22), through its dual.
    public var fisherStableRank: Double
    /// Σ_i (λ_i^F/λ_1^F)⟨μ_i, Ŷ⟩² with μ_i the eigenvectors of the dual S^{1/2} K_l S^{1/2} (Fig 23).
    public var fisherCorrelation: Double
    /// λ_i^F / λ_1^F for the top eigenvalues of the Fisher information.
    public var fisherNormalisedEigenvalues: [Double]
    /// The largest relative eigen-residual max_i ‖M u_i − λ_i u_i‖/|λ_1| over the two decompositions with vectors (C K_l C and the Fisher dual).
    public var maxResidual: Double

}

/// The spectra of every layer at one moment, with the method that gave them.
public struct SpectraSnapshot: Codable, Sendable, Equatable {
    /// Optimiser steps taken when measured.
    public var step: Int
    /// The probe the spectra are measured on ("train": the training probe with its training labels).
    public var probe: String
    /// nk, the dimension of the decomposed matrices.
    public var dimension: Int
    /// The eigen-solver (``KernelSpectrum/method``).
    public var method: String
    /// Index 0 = layer 1.
    public var layers: [LayerSpectrumStatistics]

    /// The largest identity error over the layers.
    public var maxIdentityRelativeError: Double { layers.map(\.identityRelativeError).max() ?? 0 }
    /// The largest eigen-residual over the layers.
    public var maxResidual: Double { layers.map(\.maxResidual).max() ?? 0 }
}

/// Appendix G's layerwise spectra of a dense network on a probe, exactly: for each layer the
/// nk × nk kernel K_l (``TangentKernel``, float64), C K_l C and S^{1/2} K_l S^{1/2} decomposed whole by
/// LAPACK (``KernelSpectrum``), and A_l checked against the engine's (``LayerAlignment``).
///
/// The identity A_l = R_l^{-1/2} Σ (λ_i/λ_1)⟨u_i, Ŷ⟩² is exact when Ŷ is Eq. 7's centred target
/// Ỹ = CY divided by its norm and the spectrum is that of C K_l C with the same C: then CŶ = Ŷ (C is
/// an orthogonal projection), so ỸᵀK_lỸ/‖Ỹ‖² = ŶᵀCK_lCŶ = Σλ_i⟨u_i,Ŷ⟩² and ‖CK_lC‖_F = λ_1√R_l.
/// Cost: per layer three nk × nk decompositions (two with vectors; K_l's eigenvalues only), O(L·(nk)³).
public enum LayerSpectra {
    /// The statistics of every layer (index 0 = layer 1).
    /// - Parameters:
    ///   - centring: the centring of A_l and Ỹ (the run's, Eq. 6 by default).
    ///   - top: how many normalised eigenvalues to keep per layer (Fig 19 shows 200).
    /// - Throws: ``EigenDecompositionError`` (a non-finite kernel, e.g. diverged weights).
    public static func measure<Scalar: BLASScalar>(network: DenseNetwork<Scalar>, probeFeatures: Matrix<Scalar>, probeLabels: [Int],
                                                   centring: Centring, top: Int = 200) throws -> [LayerSpectrumStatistics] {
        let exact = network.converted(to: Double.self)
        let inputs = Matrix<Double>(rows: probeFeatures.rows, columns: probeFeatures.columns, storage: probeFeatures.storage.map { Double($0) })
        let k = network.architecture.outputDimension
        let target = centring.centredTargets(labels: probeLabels, classCount: k)
        let engine = LayerAlignment.statistics(network: exact, probeFeatures: inputs, probeLabels: probeLabels, centring: centring)
        let hessian = try SoftmaxHessian(logits: exact.logits(inputs))
        var result = [LayerSpectrumStatistics?](repeating: nil, count: network.architecture.depth)
        var failure: Error?
        TangentKernel.forEachLayerKernel(network: exact, inputs: inputs) { l, kernel in
            guard failure == nil else { return }
            do {
                result[l - 1] = try statistics(layer: l, kernel: kernel, target: target, centring: centring, outputCount: k,
                                               hessian: hessian, engineAlignment: engine[l - 1].alignment, top: top)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return result.compactMap { $0 }
    }

    /// The statistics of one layer's kernel K_l (nk × nk).
    public static func statistics(layer: Int, kernel: Matrix<Double>, target: [Double], centring: Centring, outputCount k: Int,
                                  hessian: SoftmaxHessian, engineAlignment: Double, top: Int) throws -> LayerSpectrumStatistics {
        let centred = try KernelSpectrum(of: centring.centred(kernel, outputCount: k))
        let uncentredValues = try symmetricEigenvalues(kernel)
        let fisher = try KernelSpectrum(of: hessian.dual(of: kernel))
        let rank = centred.stableRank
        let correlation = centred.correlation(with: target)
        let spectral = correlation / rank.squareRoot()
        let scale = abs(engineAlignment)
        let error = scale > 0 ? abs(spectral - engineAlignment) / scale : (spectral == 0 ? 0 : .infinity)
        return LayerSpectrumStatistics(
            layer: layer, normalisedEigenvalues: centred.normalisedTop(top), stableRank: rank, correlation: correlation,
            spectralAlignment: spectral, engineAlignment: engineAlignment, identityRelativeError: error.isNaN ? .infinity : error,
            uncentredStableRank: KernelSpectrum.stableRank(of: uncentredValues), fisherStableRank: fisher.stableRank,
            fisherCorrelation: fisher.correlation(with: target), fisherNormalisedEigenvalues: fisher.normalisedTop(top),
            maxResidual: max(centred.maxResidual, fisher.maxResidual))
    }
}
