import Foundation

/// Every id a figure may emit, typed once: figures, the report and the tests name claims by
/// these cases, never by string literals. A case is either a claim of `paper-targets.json`
/// (the test `ClaimIDTests` checks both directions) or one of ``sensitivityMeasurements``,
/// which are measured and reported but carry no verdict (declared under `informational`). Adding a claim: add it to
/// `paper-targets.json`, add its case here, emit it from its figure.
public enum ClaimID: String, Codable, CaseIterable, Sendable, CustomStringConvertible {
    // theory
    case theoryForwardExponent = "theory.forward.exponent"
    case theoryForwardConstant = "theory.forward.constant"
    case theoryBackwardExponent = "theory.backward.exponent"
    case theoryBackwardAlpha = "theory.backward.alpha"
    case theoryEquilibriumSlopeAsymptotic = "theory.equilibrium.slope.asymptotic"
    case theoryEquilibriumSlopeAsymptoticAllInitialCorrelations = "theory.equilibrium.slope.asymptotic.allInitialCorrelations"
    case theoryEquilibriumSlopeDepths10to100 = "theory.equilibrium.slope.depths10to100"
    case theoryEquilibriumSlopeDepths100to1000 = "theory.equilibrium.slope.depths100to1000"
    case theoryFiniteWidthForwardErrorExponent = "theory.finiteWidth.forwardErrorExponent"
    case theoryFiniteWidthBackwardErrorExponent = "theory.finiteWidth.backwardErrorExponent"
    case theoryFiniteWidthForwardError = "theory.finiteWidth.forwardError"
    case theoryFiniteWidthBackwardError = "theory.finiteWidth.backwardError"
    // thmA
    case thmAFeatureIdentityMaxRelativeError = "thmA.featureIdentity.maxRelativeError"
    case thmAGradientStepMaxRelativeError = "thmA.gradientStep.maxRelativeError"
    case thmAFirstOrderErrorExponent = "thmA.firstOrder.errorExponent"
    case thmAWithBiasesFeatureIdentityError = "thmA.withBiases.featureIdentityError"
    // fig1
    case fig1HierarchyFashionMNIST = "fig1.hierarchy.fashion-mnist"
    case fig1HierarchyCIFAR10 = "fig1.hierarchy.cifar10"
    // fig2
    case fig2HierarchyMNIST = "fig2.hierarchy.mnist"
    case fig2EarlyRiseMNIST = "fig2.earlyRise.mnist"
    case fig2HierarchyCIFAR10 = "fig2.hierarchy.cifar10"
    case fig2EarlyRiseCIFAR10 = "fig2.earlyRise.cifar10"
    // fig3
    case fig3FashionMNISTSlope = "fig3.fashionMNIST.slope"
    case fig3FashionMNISTSlopeQuick = "fig3.fashionMNIST.slope.quick"
    case fig3FashionMNISTFixedSlopeResidual = "fig3.fashionMNIST.fixedSlopeResidual"
    case fig3FashionMNISTFixedSlopeResidualQuick = "fig3.fashionMNIST.fixedSlopeResidual.quick"
    case fig3MNISTSlope = "fig3.mnist.slope"
    case fig3CIFAR10Slope = "fig3.cifar10.slope"
    case fig3FashionMNISTSlopeQuickBand = "fig3.fashionMNIST.slope.quickBand"
    case fig3FashionMNISTSlopePerOutputCentring = "fig3.fashionMNIST.slope.perOutputCentring"
    case fig3FashionMNISTSlopePerOutputCentringQuick = "fig3.fashionMNIST.slope.perOutputCentring.quick"
    case fig3MNISTSlopePerOutputCentring = "fig3.mnist.slope.perOutputCentring"
    case fig3CIFAR10SlopePerOutputCentring = "fig3.cifar10.slope.perOutputCentring"
    case fig3FashionMNISTSlopeFullCentring = "fig3.fashionMNIST.slope.fullCentring"
    case fig3FashionMNISTSlopeFullCentringQuick = "fig3.fashionMNIST.slope.fullCentring.quick"
    // fig3 under --protocol authors and authors-generic (results kept beside the paper protocol's)
    case fig3FashionMNISTSlopeAuthors = "fig3.fashionMNIST.slope.authors"
    case fig3FashionMNISTSlopeAuthorsQuick = "fig3.fashionMNIST.slope.authors.quick"
    case fig3FashionMNISTFixedSlopeResidualAuthors = "fig3.fashionMNIST.fixedSlopeResidual.authors"
    case fig3FashionMNISTFixedSlopeResidualAuthorsQuick = "fig3.fashionMNIST.fixedSlopeResidual.authors.quick"
    case fig3FashionMNISTSlopeAuthorsFullCentring = "fig3.fashionMNIST.slope.authors.fullCentring"
    case fig3FashionMNISTSlopeAuthorsFullCentringQuick = "fig3.fashionMNIST.slope.authors.fullCentring.quick"
    case fig3FashionMNISTSlopeAuthorsGeneric = "fig3.fashionMNIST.slope.authors-generic"
    case fig3FashionMNISTSlopeAuthorsGenericQuick = "fig3.fashionMNIST.slope.authors-generic.quick"
    case fig3FashionMNISTFixedSlopeResidualAuthorsGeneric = "fig3.fashionMNIST.fixedSlopeResidual.authors-generic"
    case fig3FashionMNISTFixedSlopeResidualAuthorsGenericQuick = "fig3.fashionMNIST.fixedSlopeResidual.authors-generic.quick"
    case fig3FashionMNISTSlopeAuthorsGenericFullCentring = "fig3.fashionMNIST.slope.authors-generic.fullCentring"
    case fig3FashionMNISTSlopeAuthorsGenericFullCentringQuick = "fig3.fashionMNIST.slope.authors-generic.fullCentring.quick"
    // fig4 (hyperparameter grid, Fashion-MNIST FFNN)
    case fig4PeakHeightTestLossCorrelation = "fig4.peakHeight.testLossCorrelation"
    case fig4PeakHeightLossGapCorrelation = "fig4.peakHeight.lossGapCorrelation"
    case fig4PeakHeightBatchSizeCorrelation = "fig4.peakHeight.batchSizeCorrelation"
    case fig4PeakHeightLearningRateCorrelation = "fig4.peakHeight.learningRateCorrelation"
    case fig4PeakCentralityBatchSizeCorrelation = "fig4.peakCentrality.batchSizeCorrelation"
    case fig4PeakCentralityLearningRateCorrelation = "fig4.peakCentrality.learningRateCorrelation"
    // fig5
    case fig5FashionMNISTUpdateCorrelationEarly = "fig5.fashionMNIST.updateCorrelation.early"
    case fig5FashionMNISTEnergyLayer7OverExtremesAtRise = "fig5.fashionMNIST.energy.layer7OverExtremesAtRise"
    case fig5FashionMNISTEigenvaluePeakAtRise = "fig5.fashionMNIST.eigenvalue.peakAtRise"
    case fig5CIFAR10UpdateCorrelationEarly = "fig5.cifar10.updateCorrelation.early"
    case fig5CIFAR10EnergyLayer7OverExtremesAtRise = "fig5.cifar10.energy.layer7OverExtremesAtRise"
    case fig5CIFAR10EigenvaluePeakAtRise = "fig5.cifar10.eigenvalue.peakAtRise"
    // fig6
    case fig6FashionMNISTInitial = "fig6.fashionMNIST.initial"
    case fig6FashionMNISTFirstEpochMinimum = "fig6.fashionMNIST.firstEpochMinimum"
    case fig6CIFAR10Initial = "fig6.cifar10.initial"
    case fig6CIFAR10FirstEpochMinimum = "fig6.cifar10.firstEpochMinimum"
    // fig7
    case fig7HierarchyKMNIST = "fig7.hierarchy.kmnist"
    case fig7EarlyRiseKMNIST = "fig7.earlyRise.kmnist"
    case fig7HierarchyFashionMNIST = "fig7.hierarchy.fashion-mnist"
    case fig7EarlyRiseFashionMNIST = "fig7.earlyRise.fashion-mnist"
    // fig8
    case fig8InterceptLowerLearningRate = "fig8.intercept.lowerLearningRate"
    case fig8InterceptLargerBatch = "fig8.intercept.largerBatch"
    case fig8InterceptLowerLearningRateQuick = "fig8.intercept.lowerLearningRate.quick"
    case fig8InterceptLargerBatchQuick = "fig8.intercept.largerBatch.quick"
    // fig9
    case fig9Hierarchy = "fig9.hierarchy"
    case fig9Lr005TestAccuracy = "fig9.lr0.05.testAccuracy"
    case fig9Lr005TestLoss = "fig9.lr0.05.testLoss"
    // fig10
    case fig10Hierarchy = "fig10.hierarchy"
    case fig10Lr005TestAccuracy = "fig10.lr0.05.testAccuracy"
    case fig10Lr005TestLoss = "fig10.lr0.05.testLoss"
    // gofe
    case gofeEq20LossHessianMaxRelativeError = "gofe.eq20.lossHessian.maxRelativeError"
    case gofeEq21EquivalenceMaxRelativeError = "gofe.eq21.equivalence.maxRelativeError"
    case gofeEq22FeatureUpdateCosineEarly = "gofe.eq22.featureUpdate.cosine.early"
    case gofeEq24FeatureAnisotropyRatio = "gofe.eq24.featureAnisotropy.ratio"
    case gofeEq24KernelAnisotropyRatio = "gofe.eq24.kernelAnisotropy.ratio"
    case gofeEq25GrowthRankCorrelation = "gofe.eq25.growthRankCorrelation"

    // Appendix F: fig16, fig17 (LFM), fig18 (frozen networks), table4 (width and the NNGP limit)
    case fig16LFMUnderperformsMNIST = "fig16.lfmUnderperforms.mnist"
    case fig16LFMUnderperformsFashionMNIST = "fig16.lfmUnderperforms.fashion-mnist"
    case fig16LFMLowerPeakMNIST = "fig16.lfmLowerPeak.mnist"
    case fig16LFMLowerPeakFashionMNIST = "fig16.lfmLowerPeak.fashion-mnist"
    case fig16LFMPlateauMNIST = "fig16.lfmPlateau.mnist"
    case fig16LFMPlateauFashionMNIST = "fig16.lfmPlateau.fashion-mnist"
    case fig17LFMUnderperformsCIFAR10 = "fig17.lfmUnderperforms.cifar10"
    case fig17LFMUnderperformsFashionMNIST = "fig17.lfmUnderperforms.fashion-mnist"
    case fig18PeakTowardCentreMNIST = "fig18.peakTowardCentre.mnist"
    case fig18PeakTowardCentreFashionMNIST = "fig18.peakTowardCentre.fashion-mnist"
    case fig18BackwardEvolutionMNIST = "fig18.backwardEvolution.mnist"
    case fig18BackwardEvolutionFashionMNIST = "fig18.backwardEvolution.fashion-mnist"
    case table4NNGPDistanceSlopeMNIST = "table4.nngpDistanceSlope.mnist"
    case table4NNGPDistanceSlopeFashionMNIST = "table4.nngpDistanceSlope.fashion-mnist"
    case table4AccuracyWidthSlopeMNIST = "table4.accuracyWidthSlope.mnist"
    case table4AccuracyWidthSlopeFashionMNIST = "table4.accuracyWidthSlope.fashion-mnist"

    // fig13 (FFNN analogue)
    case fig13SaliencySGDMinusAdam = "fig13.saliency.sgdMinusAdam"
    // Appendix G (FFNN analogues of Figs 20–23)
    case fig20IdentityMaxRelativeError = "fig20.identity.maxRelativeError"
    case fig20StableRankRandomLabelsLead = "fig20.stableRank.randomLabelsLead"
    case fig20CorrelationBestLeadMiddleLayers = "fig20.correlation.bestLeadMiddleLayers"
    case fig21NTKBoundsFisherFraction = "fig21.ntkBoundsFisher.fraction"
    case fig22FisherStableRankAccuracySpearman = "fig22.fisherStableRank.accuracySpearman"
    case fig23FisherCorrelationMean = "fig23.fisherCorrelation.mean"
    // The hierarchy claims with A_l centred per output instead of Eq. 6 (sensitivity, no verdict)
    case fig1HierarchyFashionMNISTPerOutputCentring = "fig1.hierarchy.fashion-mnist.perOutputCentring"
    case fig1HierarchyCIFAR10PerOutputCentring = "fig1.hierarchy.cifar10.perOutputCentring"
    case fig2HierarchyMNISTPerOutputCentring = "fig2.hierarchy.mnist.perOutputCentring"
    case fig2EarlyRiseMNISTPerOutputCentring = "fig2.earlyRise.mnist.perOutputCentring"
    case fig2HierarchyCIFAR10PerOutputCentring = "fig2.hierarchy.cifar10.perOutputCentring"
    case fig2EarlyRiseCIFAR10PerOutputCentring = "fig2.earlyRise.cifar10.perOutputCentring"
    case fig7HierarchyKMNISTPerOutputCentring = "fig7.hierarchy.kmnist.perOutputCentring"
    case fig7EarlyRiseKMNISTPerOutputCentring = "fig7.earlyRise.kmnist.perOutputCentring"
    case fig7HierarchyFashionMNISTPerOutputCentring = "fig7.hierarchy.fashion-mnist.perOutputCentring"
    case fig7EarlyRiseFashionMNISTPerOutputCentring = "fig7.earlyRise.fashion-mnist.perOutputCentring"
    case fig9HierarchyPerOutputCentring = "fig9.hierarchy.perOutputCentring"
    case fig10HierarchyPerOutputCentring = "fig10.hierarchy.perOutputCentring"

    /// Measured and reported, deliberately absent from `paper-targets.json` (no verdict): the
    /// Fig 3 slope under the other centring convention than the protocol's (per output for the
    /// paper's protocols, Eq. 6 for those that centre per output), a sensitivity to the convention.
    public static let sensitivityMeasurements: Set<ClaimID> = [
        .fig3FashionMNISTSlopePerOutputCentring, .fig3FashionMNISTSlopePerOutputCentringQuick,
        .fig3MNISTSlopePerOutputCentring, .fig3CIFAR10SlopePerOutputCentring,
        .fig3FashionMNISTSlopeFullCentring, .fig3FashionMNISTSlopeFullCentringQuick,
        .fig3FashionMNISTSlopeAuthorsFullCentring, .fig3FashionMNISTSlopeAuthorsFullCentringQuick,
        .fig3FashionMNISTSlopeAuthorsGenericFullCentring, .fig3FashionMNISTSlopeAuthorsGenericFullCentringQuick,
    .fig1HierarchyFashionMNISTPerOutputCentring, .fig1HierarchyCIFAR10PerOutputCentring, .fig2HierarchyMNISTPerOutputCentring, .fig2EarlyRiseMNISTPerOutputCentring,
        .fig2HierarchyCIFAR10PerOutputCentring, .fig2EarlyRiseCIFAR10PerOutputCentring, .fig7HierarchyKMNISTPerOutputCentring, .fig7EarlyRiseKMNISTPerOutputCentring,
        .fig7HierarchyFashionMNISTPerOutputCentring, .fig7EarlyRiseFashionMNISTPerOutputCentring, .fig9HierarchyPerOutputCentring, .fig10HierarchyPerOutputCentring,
    ]

    /// The same measurement with A_l centred per output, when this id has such a sensitivity twin.
    public var perOutputCentringTwin: ClaimID? { ClaimID(rawValue: rawValue + ".perOutputCentring") }

    /// Ids declared in `paper-targets.json` before any figure emits them (a claim being built);
    /// empty today. Every other declared id must be a case of this enum.
    public static let planned: Set<String> = []

    /// The id as written in `paper-targets.json` and `results.json`.
    public var description: String { rawValue }

    /// The figure that emits it (the part before the first dot).
    public var figure: String { String(rawValue.prefix { $0 != "." }) }
}
