import Core
import XCTest
@testable import Figures

final class ScalingLawTests: XCTestCase {
    // MARK: Protocols and tables

    func testPaperTablesMatchTheAppendix() {
        XCTAssertEqual(PaperDepthTables.fashionMNIST.map(\.learningRate),
                       [0.003, 0.004, 0.004, 0.002, 0.001, 0.0007, 0.0003, 0.0002, 0.0001, 0.00007])  // Table 2
        XCTAssertEqual(PaperDepthTables.fashionMNIST.map(\.depth), Array(stride(from: 10, through: 100, by: 10)))
        XCTAssertEqual(PaperDepthTables.cifar10.map(\.width), Array(repeating: 256, count: 10))
        XCTAssertEqual(PaperDepthTables.cifar10.last?.paperEpochs, 700)
        XCTAssertEqual(PaperDepthTables.mnist[6].learningRate, 0.0002)
        XCTAssertEqual(PaperDepthTables.mnist[8].paperTestAccuracy, 0.961)
        XCTAssertEqual(PaperDepthTables.fashionMNIST.last?.paperEpochs, 300)  // Table 2's last row (L = 100)
        XCTAssertEqual(PaperDepthTables.fashionMNIST.last?.paperTestAccuracy, 0.88)
    }

    func testProtocolBuildsThePaperRunSpecs() throws {
        let paper = ScalingLawProtocol.paper(.fashionMNIST, seeds: 2)
        let specs = paper.specs(baseSeed: 10)
        XCTAssertEqual(specs.count, 20)
        XCTAssertEqual(specs.map(\.seed).prefix(4), [10, 11, 10, 11])
        let deepest = try XCTUnwrap(specs.last)
        XCTAssertEqual(deepest.architecture.depth, 100)
        XCTAssertEqual(deepest.architecture.width, 100)
        XCTAssertEqual(deepest.stopping, .trainLossBelow(threshold: 0.1, maxEpochs: 300))  // Table 2: 300 epochs at L = 100
        XCTAssertEqual(specs[12].stopping, .trainLossBelow(threshold: 0.1, maxEpochs: 200))  // depth 70: Table 2
        XCTAssertEqual(deepest.optimizer, .sgd(learningRate: 0.00007, momentum: 0.9, weightDecay: 5e-4))
        XCTAssertNil(deepest.trainSubsetPerClass)
        XCTAssertEqual(deepest.batchSize, 128)
        XCTAssertFalse(deepest.alignment.atInitialisation)
        XCTAssertTrue(deepest.alignment.atStop)
        XCTAssertNoThrow(try deepest.validate())

        let slower = paper.varied(name: "b", learningRateScale: 0.25)
        XCTAssertEqual(slower.spec(for: PaperDepthTables.fashionMNIST[0], seed: 0).optimizer.learningRate, 0.00075, accuracy: 1e-15)
        let bigger = paper.varied(name: "c", batchSize: 512, epochCapScale: 4)
        XCTAssertEqual(bigger.spec(for: PaperDepthTables.fashionMNIST[0], seed: 0).batchSize, 512)
        // Table 2 gives 100 epochs at depth 10; depth 100 has none and falls back to 300.
        XCTAssertEqual(bigger.spec(for: PaperDepthTables.fashionMNIST[0], seed: 0).stopping, .trainLossBelow(threshold: 0.1, maxEpochs: 400))
        XCTAssertEqual(bigger.spec(for: PaperDepthTables.fashionMNIST[9], seed: 0).stopping, .trainLossBelow(threshold: 0.1, maxEpochs: 1200))
        XCTAssertEqual(paper.varied(name: "one", seedsPerDepth: 1).specs(baseSeed: 10).count, 10)
        // Fig 8(a) is Fig 3's protocol: same runs, same cache entries.
        XCTAssertEqual(paper.varied(name: "a").specs(baseSeed: 10).map(\.configurationHash), specs.map(\.configurationHash))
    }

    func testQuickProtocolAndCandidatesAreValid() throws {
        for candidate in ScalingLawProtocol.calibrationCandidates(.fashionMNIST) {
            for spec in candidate.specs(baseSeed: 0) { XCTAssertNoThrow(try spec.validate(), candidate.name) }
        }
        XCTAssertEqual(Set(ScalingLawProtocol.calibrationCandidates(.fashionMNIST).map(\.name)).count,
                       ScalingLawProtocol.calibrationCandidates(.fashionMNIST).count)
        XCTAssertThrowsError(try Fig3Figure.protocolFor(.fashionMNIST, profile: .quick, candidate: "nope"))
        XCTAssertEqual(try Fig3Figure.protocolFor(.fashionMNIST, profile: .full, candidate: "nope").name, "paper")
        // The centring study's candidate is the quick protocol with only the centring changed.
        let perOutput = try Fig3Figure.protocolFor(.fashionMNIST, profile: .quick, candidate: "sub200-lr1-L50-perOutput")
        let quickSpecs = ScalingLawProtocol.quick(.fashionMNIST).specs(baseSeed: 1)
        let perOutputSpecs = perOutput.specs(baseSeed: 1)
        XCTAssertEqual(perOutputSpecs.map(\.alignment.centring), Array(repeating: .perOutput, count: quickSpecs.count))
        XCTAssertEqual(perOutputSpecs.map { spec in var copy = spec; copy.alignment.centring = .full; return copy }, quickSpecs)
        XCTAssertEqual(ScalingLawProtocol.quick(.fashionMNIST).centring, .full)
    }

    // MARK: Curve from records

    func testCurveTakesPeaksFromTheFinalTrainingProbeAlignment() throws {
        let protocolUsed = ScalingLawProtocol(
            name: "t", dataset: .fashionMNIST, depths: Array(PaperDepthTables.fashionMNIST.prefix(2)), trainPerClass: 10,
            probePerClass: 2, usesPaperEpochs: false, fixedEpochCap: 1, seedsPerDepth: 2)
        let specs = protocolUsed.specs(baseSeed: 0)
        func record(_ spec: RunSpec, peak: Int, stop: StopReason) -> RunRecord {
            let L = spec.architecture.depth
            let train = (1...L).map { $0 == peak ? 1.0 : 0.5 / Double($0) }
            let test = (1...L).map { $0 == 1 ? 1.0 : 0.1 }
            return RunRecord(spec: spec, trainingSampleCount: 100, stepsPerEpoch: 1, epochs: [],
                             alignments: [AlignmentSnapshot(step: 1, epoch: 1, trainProbe: train, testProbe: test)],
                             stopReason: stop, totalSteps: 1, finalTrain: Evaluation(loss: 0.1, accuracy: 1),
                             finalTest: Evaluation(loss: 0.2, accuracy: 0.8), wallSeconds: 2, machine: "", finalWeightsFile: nil)
        }
        let results: [Result<RunRecord, Error>] = [
            .success(record(specs[0], peak: 3, stop: .thresholdReached)),
            .success(record(specs[1], peak: 4, stop: .epochCap)),
            .success(record(specs[2], peak: 7, stop: .thresholdReached)),
            .success(record(specs[3], peak: 9, stop: .diverged)),
        ]
        let curve = ScalingLawCurve(protocolUsed: protocolUsed, baseSeed: 0, results: results)
        XCTAssertEqual(curve.points.map(\.peakLayer), [3, 4, 7])
        XCTAssertEqual(curve.depths[0].cappedRuns, 1)
        XCTAssertEqual(curve.depths[1].divergedRuns, 1)
        // Layer 3: 1 for the seed peaking there, 0.5/3 for the other; layer 4: 0.5/4 and 1.
        XCTAssertEqual(curve.depths[0].meanRelativeProfile[2], 0.5 * (1 + 0.5 / 3), accuracy: 1e-12)
        XCTAssertEqual(curve.depths[0].meanRelativeProfile[3], 0.5 * (0.5 / 4 + 1), accuracy: 1e-12)
        XCTAssertEqual(curve.depths[0].geometricMeanPeak ?? 0, (3.0 * 4).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(curve.testProbeFit?.free.slope ?? .nan, 0, accuracy: 1e-12)
        XCTAssertNotNil(curve.fit)
        XCTAssertEqual(curve.trainingSeconds, 6)
        let measurements = ScalingLawClaims.measurements(curve, dataset: .fashionMNIST, profile: .quick)
        XCTAssertEqual(measurements.map(\.claimId), [.fig3FashionMNISTSlopeQuick, .fig3FashionMNISTFixedSlopeResidualQuick, .fig3FashionMNISTSlopeQuickBand])

        // Bug caught: a network that never trained (at the cap with chance accuracy, as deep
        // tied-weight networks end) giving an l* from the profile of a collapsed network.
        var untrained = record(specs[1], peak: 5, stop: .epochCap)
        untrained.finalTrain = Evaluation(loss: 2.3026, accuracy: 0.1)
        var barelyTrained = record(specs[0], peak: 2, stop: .epochCap)
        barelyTrained.finalTrain = Evaluation(loss: 2.0, accuracy: 0.21)
        let withCollapsed = ScalingLawCurve(protocolUsed: protocolUsed, baseSeed: 0, results: [
            .success(barelyTrained), .success(untrained), results[2], results[3],
        ])
        XCTAssertEqual(withCollapsed.points.map(\.peakLayer), [2, 7])
        XCTAssertEqual(withCollapsed.depths[0].collapsedRuns, 1)
        XCTAssertEqual(withCollapsed.depths[0].cappedRuns, 1, "a capped run above twice chance is kept")
        XCTAssertEqual(withCollapsed.collapsedRunCount, 1)
        XCTAssertEqual(withCollapsed.divergedRunCount, 1)
        // A depth whose runs are all left out has no result but keeps its count.
        var alsoUntrained = record(specs[0], peak: 2, stop: .epochCap)
        alsoUntrained.finalTrain = Evaluation(loss: 2.3026, accuracy: 0.1)
        let noneUsable = ScalingLawCurve(protocolUsed: protocolUsed, baseSeed: 0, results: [
            .success(alsoUntrained), .success(untrained), results[2], results[3],
        ])
        XCTAssertEqual(noneUsable.depths.map(\.setting.depth), [protocolUsed.depths[1].depth])
        XCTAssertEqual(noneUsable.collapsedRunCount, 2)
        // OLS through (10, 3), (10, 4), (20, 7), computed here (the diverged run is left out): catches
        // a measurement taken from the test-probe fit, one that keeps the diverged run's l* = 9,
        // or a fit on l* instead of log l*. (Comparing with curve.fit, which it is copied from, could not fail.)
        let meanAtTen: Double = (log(3.0) + log(4.0)) / 2
        let expectedSlope: Double = (log(7.0) - meanAtTen) / log(2.0)
        XCTAssertEqual(measurements[0].value ?? .nan, expectedSlope, accuracy: 1e-12)
        XCTAssertNil(measurements[0].partialBecause)
        XCTAssertNil(curve.completenessSentence)
        // The verdict's interval is the fit's hull (two depths: bootstrap and OLS), and the detail lists l*.
        let fit = try XCTUnwrap(curve.fit)
        let ols = try XCTUnwrap(fit.olsInterval), bootstrap = try XCTUnwrap(fit.bootstrapInterval)
        XCTAssertNil(fit.depthMeansInterval)
        XCTAssertEqual(measurements[0].method, .clusterBootstrapOrDepthMeansT)
        XCTAssertEqual(measurements[0].interval?.lower, min(ols.lowerBound, bootstrap.lowerBound))
        XCTAssertEqual(measurements[0].interval?.upper, max(ols.upperBound, bootstrap.upperBound))
        XCTAssertTrue(measurements[0].detail.contains("l* 10: 3, 4; 20: 7;"), measurements[0].detail)
        // The band belongs to the chosen quick protocol only; protocol "t" is another one.
        XCTAssertNil(measurements[2].value)
        XCTAssertTrue(measurements[2].notRunReason?.contains("protocol 't'") ?? false, measurements[2].notRunReason ?? "")
    }

    /// A record whose final training-probe alignment peaks at `peak`.
    private func record(_ spec: RunSpec, peak: Int) -> RunRecord {
        let L = spec.architecture.depth
        let steps = (100 + spec.batchSize - 1) / spec.batchSize
        return RunRecord(spec: spec, trainingSampleCount: 100, stepsPerEpoch: steps,
                         epochs: [EpochEntry(epoch: 1, step: steps, batches: steps, trainLoss: 0.1, trainAccuracy: 1,
                                             testLoss: 0.2, testAccuracy: 0.8, wallSeconds: 1)],
                         alignments: [AlignmentSnapshot(step: steps, epoch: 1, trainProbe: (1...L).map { $0 == peak ? 1.0 : 0.1 },
                                                        testProbe: (1...L).map { $0 == peak ? 1.0 : 0.1 })],
                         stopReason: .thresholdReached, totalSteps: steps, finalTrain: Evaluation(loss: 0.1, accuracy: 1),
                         finalTest: Evaluation(loss: 0.2, accuracy: 0.8), wallSeconds: 1, machine: "", finalWeightsFile: nil)
    }

    func testPeaksUnderAnotherCentringComeFromTheKeptAlignments() throws {
        let protocolUsed = ScalingLawProtocol(
            name: "t", dataset: .fashionMNIST, depths: Array(PaperDepthTables.fashionMNIST.prefix(2)), trainPerClass: 10,
            probePerClass: 2, usesPaperEpochs: false, fixedEpochCap: 1, seedsPerDepth: 2)
        let specs = protocolUsed.specs(baseSeed: 1)
        func keeping(_ spec: RunSpec, peak: Int, perOutputPeak: Int?) -> RunRecord {
            var result = record(spec, peak: peak)
            if let perOutputPeak {
                let values = (1...spec.architecture.depth).map { $0 == perOutputPeak ? 2.0 : 0.5 }
                result.alignments[0].otherCentrings = [CentredAlignments(centring: .perOutput, trainProbe: values, testProbe: values)]
            }
            return result
        }
        let curve = ScalingLawCurve(protocolUsed: protocolUsed, baseSeed: 1, results: [
            .success(keeping(specs[0], peak: 1, perOutputPeak: 4)), .success(keeping(specs[1], peak: 1, perOutputPeak: nil)),
            .success(keeping(specs[2], peak: 8, perOutputPeak: 8)), .success(keeping(specs[3], peak: 6, perOutputPeak: 8)),
        ])
        XCTAssertNil(curve.alternative(centring: .full), "the protocol's own centring is not an alternative")
        XCTAssertNil(curve.alternative(centring: .none), "no run kept it")
        let perOutput = try XCTUnwrap(curve.alternative(centring: .perOutput))
        XCTAssertEqual(perOutput.peaks.map(\.peakLayer), [4, 8, 8])
        XCTAssertEqual(perOutput.runsWithout, 1)
        XCTAssertEqual(perOutput.peaksText, "10: 4; 20: 8, 8")
        XCTAssertEqual(perOutput.fit?.free.slope ?? .nan, 1, accuracy: 1e-12)  // l* doubles when L doubles
        XCTAssertTrue(curve.perOutputCentringSentence?.contains("1 run(s) were recorded before") ?? false)
    }

    func testInterceptShiftComparesOnlyRunsBothProtocolsFinished() throws {
        let base = ScalingLawProtocol(
            name: "a", dataset: .fashionMNIST, depths: Array(PaperDepthTables.fashionMNIST.prefix(3)), trainPerClass: 10,
            probePerClass: 2, usesPaperEpochs: false, fixedEpochCap: 1, seedsPerDepth: 1)
        let varied = base.varied(name: "b", learningRateScale: 0.25)
        let baseSpecs = base.specs(baseSeed: 1), variedSpecs = varied.specs(baseSeed: 1)  // depths 10, 20, 30
        let a = ScalingLawCurve(protocolUsed: base, baseSeed: 1, results: [
            .success(record(baseSpecs[0], peak: 2)), .success(record(baseSpecs[1], peak: 4)), .success(record(baseSpecs[2], peak: 20)),
        ])
        let b = ScalingLawCurve(protocolUsed: varied, baseSeed: 1, results: [
            .success(record(variedSpecs[0], peak: 3)), .success(record(variedSpecs[1], peak: 5)),
            .failure(RunSchedulerError.notInCache(variedSpecs[2].label)),
        ])
        let shift = try XCTUnwrap(InterceptShift(base: a, varied: b))
        XCTAssertEqual(shift.pairCount, 2)
        XCTAssertEqual(shift.depthCount, 2)
        // Depth 30 (present only in a, with a large l*) does not enter: C over depths 10 and 20 only.
        XCTAssertEqual(shift.base, (log(2.0) - 0.6 * log(10.0) + log(4.0) - 0.6 * log(20.0)) / 2, accuracy: 1e-12)
        XCTAssertEqual(shift.shift, (log(3.0 / 2) + log(5.0 / 4)) / 2, accuracy: 1e-12)
        // The paired t-interval over the two depths' differences, written out: mean ± t(0.975, 1)·s/√2.
        let d = [log(3.0 / 2), log(5.0 / 4)]
        let s = abs(d[0] - d[1]) / 2.0.squareRoot()
        let t = try XCTUnwrap(shift.depthMeansInterval)
        XCTAssertEqual(t.lowerBound, shift.shift - 12.706204736174698 * s / 2.0.squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(t.upperBound, shift.shift + 12.706204736174698 * s / 2.0.squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(shift.verdictInterval, t, "two depths: the bootstrap's range lies inside the t-interval")
        let lonely = ScalingLawCurve(protocolUsed: varied, baseSeed: 1, results: [
            .success(record(variedSpecs[0], peak: 3)), .failure(RunSchedulerError.notInCache(variedSpecs[1].label)),
            .failure(RunSchedulerError.notInCache(variedSpecs[2].label)),
        ])
        XCTAssertNil(InterceptShift(base: a, varied: lonely), "one shared depth cannot give an intercept shift")
    }

    func testRunsAbsentFromTheCacheMakeAPartialCurveThatSaysWhatIsMissing() throws {
        let protocolUsed = ScalingLawProtocol(
            name: "t", dataset: .fashionMNIST, depths: Array(PaperDepthTables.fashionMNIST.prefix(3)), trainPerClass: 10,
            probePerClass: 2, usesPaperEpochs: false, fixedEpochCap: 1, seedsPerDepth: 2)
        let specs = protocolUsed.specs(baseSeed: 4)  // depths 10, 10, 20, 20, 30, 30; seeds 4, 5
        let results: [Result<RunRecord, Error>] = [
            .success(record(specs[0], peak: 2)), .success(record(specs[1], peak: 3)),
            .success(record(specs[2], peak: 5)), .failure(RunSchedulerError.notInCache(specs[3].label)),
            .failure(RunSchedulerError.notInCache(specs[4].label)), .failure(RunSchedulerError.notInCache(specs[5].label)),
        ]
        let curve = ScalingLawCurve(protocolUsed: protocolUsed, baseSeed: 4, results: results)
        XCTAssertNil(curve.firstError, "absent runs are not failures")
        XCTAssertEqual(curve.missingRuns, [specs[3].label, specs[4].label, specs[5].label])
        XCTAssertEqual(curve.depths.map(\.setting.depth), [10, 20])
        let sentence = try XCTUnwrap(curve.completenessSentence)
        XCTAssertTrue(sentence.contains("3 of 6 planned runs"), sentence)
        XCTAssertTrue(sentence.contains("L = 20: seed 5; L = 30: seed 4, 5"), sentence)
        let measurements = ScalingLawClaims.measurements(curve, dataset: .fashionMNIST, profile: .full)
        XCTAssertEqual(measurements.map(\.claimId), [.fig3FashionMNISTSlope, .fig3FashionMNISTFixedSlopeResidual])
        XCTAssertEqual(measurements.map(\.partialBecause), [sentence, sentence])
        // Three points at two depths: log l* = slope · log L + c through (10, 2), (10, 3), (20, 5).
        let expectedSlope = (log(5.0) - (log(2.0) + log(3.0)) / 2) / log(2.0)
        XCTAssertEqual(measurements[0].value ?? .nan, expectedSlope, accuracy: 1e-12)

        let nothing = ScalingLawCurve(protocolUsed: protocolUsed, baseSeed: 4,
                                      results: specs.map { .failure(RunSchedulerError.notInCache($0.label)) })
        let notRun = ScalingLawClaims.measurements(nothing, dataset: .fashionMNIST, profile: .full)
        XCTAssertTrue(notRun.allSatisfy { $0.value == nil && ($0.notRunReason ?? "").contains("none of the 6 planned runs is in the cache") })
    }

    func testSeedsOverrideKeepsTheCacheEntriesAndSuspendsTheQuickBand() throws {
        let paperFive = try Fig3Figure.protocolFor(.fashionMNIST, profile: .full)
        let paperTwo = try Fig3Figure.protocolFor(.fashionMNIST, profile: .full, seedsPerDepth: 2)
        XCTAssertEqual(paperFive.seedsPerDepth, ScalingLawProtocol.fullSeeds)
        XCTAssertEqual(paperTwo.seedsPerDepth, 2)
        // Seeds 1 and 2 are the same runs (same cache entries) as under the default five seeds.
        let five = Set(paperFive.specs(baseSeed: 1).map(\.configurationHash))
        let two = paperTwo.specs(baseSeed: 1).map(\.configurationHash)
        XCTAssertEqual(two.count, 20)
        XCTAssertTrue(two.allSatisfy(five.contains))
        // The default count changes nothing, not even the name.
        let quick = try Fig3Figure.protocolFor(.fashionMNIST, profile: .quick, seedsPerDepth: ScalingLawProtocol.quick(.fashionMNIST).seedsPerDepth)
        XCTAssertEqual(quick, ScalingLawProtocol.quick(.fashionMNIST))
        let quickOne = try Fig3Figure.protocolFor(.fashionMNIST, profile: .quick, seedsPerDepth: 1)
        let specs = quickOne.specs(baseSeed: 1)
        let curve = ScalingLawCurve(protocolUsed: quickOne, baseSeed: 1,
                                    results: specs.map { .success(record($0, peak: max(1, $0.architecture.depth / 10))) })
        let changed = ScalingLawClaims.measurements(curve, dataset: .fashionMNIST, profile: .quick)
        let band = try XCTUnwrap(changed.last)
        XCTAssertEqual(band.claimId, .fig3FashionMNISTSlopeQuickBand)
        XCTAssertNil(band.value)
        XCTAssertTrue(band.notRunReason?.contains("1 seed(s) per depth instead of 3") ?? false, band.notRunReason ?? "")
        // The paper claims are still measured, but their verdicts say the protocol was changed.
        XCTAssertEqual(changed[0].claimId, .fig3FashionMNISTSlopeQuick)
        XCTAssertTrue(changed[0].protocolChangedBecause?.contains("1 seed(s) per depth instead of 3") ?? false)
        let standardCurve = ScalingLawCurve(protocolUsed: .quick(.fashionMNIST), baseSeed: 1, results: ScalingLawProtocol.quick(.fashionMNIST)
            .specs(baseSeed: 1).map { .success(record($0, peak: max(1, $0.architecture.depth / 10))) })
        let standard = ScalingLawClaims.measurements(standardCurve, dataset: .fashionMNIST, profile: .quick)
        XCTAssertTrue(standard.allSatisfy { $0.protocolChangedBecause == nil && $0.partialBecause == nil })
        XCTAssertEqual(standard.last?.value ?? .nan, 1, accuracy: 1e-12, "the standard quick protocol is held to the band")
        // --depths keeps each depth's row of the table, and the runs are the same cache entries.
        let deep = try Fig3Figure.protocolFor(.fashionMNIST, profile: .full, seedsPerDepth: 1, depths: [100, 90])
        XCTAssertEqual(deep.depths.map(\.depth), [90, 100])
        XCTAssertEqual(deep.depths.map(\.learningRate), [0.0001, 0.00007])
        XCTAssertTrue(deep.name.hasSuffix("depths 90, 100"), deep.name)
        XCTAssertTrue(deep.specs(baseSeed: 1).map(\.configurationHash).allSatisfy(five.contains))
        XCTAssertThrowsError(try Fig3Figure.protocolFor(.fashionMNIST, profile: .full, depths: [15, 20])) { error in
            XCTAssertEqual(error as? ScalingLawError, .unknownDepths([15], dataset: .fashionMNIST, known: Array(stride(from: 10, through: 100, by: 10))))
        }
        // The quick protocol at a depth beyond its range: the paper's rate for that depth, the quick subset.
        let quickSixty = try Fig3Figure.protocolFor(.fashionMNIST, profile: .quick, depths: [60])
        XCTAssertEqual(quickSixty.specs(baseSeed: 1).map(\.architecture.depth), [60, 60, 60])
        XCTAssertEqual(quickSixty.trainPerClass, ScalingLawProtocol.quick(.fashionMNIST).trainPerClass)
        XCTAssertEqual(try Fig3Figure.protocolFor(.fashionMNIST, profile: .quick, depths: [10, 20, 30, 40, 50]),
                       ScalingLawProtocol.quick(.fashionMNIST), "the default depths change nothing")
        // Fig 8 follows --seeds too.
        XCTAssertEqual(try Fig8Figure.protocols(profile: .quick, seedsPerDepth: 2).map(\.seedsPerDepth), [2, 2, 2])
        XCTAssertEqual(try Fig8Figure.protocols(profile: .quick).map(\.seedsPerDepth), [1, 1, 1])
    }

    /// The committed paper-protocol records (runs/full/) must stay readable and keep matching the
    /// protocol's specifications: a change of RunSpec hashing or of the record format would
    /// otherwise silently throw away hours of training. Asserts only what holds for any correct
    /// set of committed records (regenerating or adding runs to runs/full changes none of it):
    /// every record file loads, is named by its spec's hash, and is one of the paper protocol's runs.
    func testCommittedPaperProtocolRecordsStillLoad() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let directory = root.appendingPathComponent("runs/full")
        let cache = RunCache(directory: directory)
        let stored = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }
        // runs/full also holds the Appendix G full-profile runs, the Figs 2/7 full run (panel (c)
        // of Figs 16/17) and the full hyperparameter grid of Figs 4, 11–15, committed with their
        // figures, which are checked the same way.
        let gridSpecs = HyperparameterGridProtocol.gridSpecs(profile: .full, seed: 1)
            + [FFNNSweepFigure.fig11, .fig12, .fig13, .fig14, .fig15].flatMap { $0.specs(.full, 1) }
        let paperSpecs = ScalingLawProtocol.paper(.fashionMNIST, seeds: ScalingLawProtocol.fullSeeds).specs(baseSeed: 1)
            + AppendixGProtocol.specs(dataset: .fashionMNIST, profile: .full, baseSeed: 1).map(\.spec) + gridSpecs
            + [AlignmentHierarchyProtocol.spec(dataset: .fashionMNIST, depth: 10, learningRate: AlignmentHierarchyProtocol.figureLearningRate,
                                               profile: .full, seed: 1)]
        let paperByHash = Dictionary(paperSpecs.map { ($0.configurationHash, $0) }, uniquingKeysWith: { first, _ in first })
        XCTAssertFalse(stored.isEmpty, "runs/full holds the committed records")
        let current = try DataFingerprint.of(.fashionMNIST, dataDirectory: nil, memoDirectory: nil)
        for name in stored {
            let hash = String(name.dropLast(".json".count))
            guard let spec = paperByHash[hash] else {
                XCTFail("runs/full/\(name) is not a run of the paper protocol (hashing or the protocol changed?)")
                continue
            }
            let record = try XCTUnwrap(try cache.record(for: spec), "runs/full/\(name) does not load")
            XCTAssertEqual(record.configurationHash, hash, name)
            XCTAssertEqual(record.spec, spec, name)
            XCTAssertEqual(record.finalAlignment?.trainProbe.count, spec.architecture.depth, name)
            // Every committed record is migrated (issue 11): a checksum, and the fingerprint of the
            // Debian Fashion-MNIST files it was trained on, which it matches where they are installed.
            XCTAssertNotNil(record.checksum, name)
            XCTAssertNotNil(record.dataFingerprint, name)
            if let current { XCTAssertEqual(record.dataFingerprint, current, name) }
        }
    }

    /// Records written before other centrings were kept (no `otherCentrings` key) decode with none.
    func testRecordsWithoutOtherCentringsDecode() throws {
        let spec = ScalingLawProtocol.quick(.fashionMNIST).specs(baseSeed: 1)[0]
        let encoded = try JSONEncoder().encode(record(spec, peak: 2))
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        var alignments = try XCTUnwrap(json["alignments"] as? [[String: Any]])
        for index in alignments.indices { alignments[index].removeValue(forKey: "otherCentrings") }
        json["alignments"] = alignments
        let decoded = try JSONDecoder().decode(RunRecord.self, from: JSONSerialization.data(withJSONObject: json))
        XCTAssertNil(decoded.finalAlignment?.otherCentrings)
        XCTAssertEqual(decoded.finalAlignment?.trainProbe, record(spec, peak: 2).finalAlignment?.trainProbe)
    }

    func testCachedOnlySchedulerReturnsStoredRecordsAndTrainsNothing() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cached-only-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let specs = ScalingLawProtocol.quick(.fashionMNIST).specs(baseSeed: 1).prefix(2)
        let stored = record(specs[specs.startIndex], peak: 2)
        try RunCache(directory: directory).store(stored)
        let scheduler = RunScheduler(cacheDirectory: directory, dataDirectory: nil, jobs: 2, showsProgress: false, cachedOnly: true)
        let results = scheduler.run(Array(specs))
        XCTAssertEqual(try results[0].get().configurationHash, stored.configurationHash)
        XCTAssertEqual(try results[0].get().alignments, stored.alignments)
        XCTAssertThrowsError(try results[1].get()) { error in
            XCTAssertEqual(error as? RunSchedulerError, .notInCache(specs[specs.startIndex + 1].label))
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        XCTAssertEqual(files.count, 1, "nothing trained, nothing written: \(files)")
    }
}

final class InterceptShiftBootstrapTests: XCTestCase {
    func testTwoDepthsOfOnePairGiveTheirTwoDifferencesAsTheInterval() throws {
        // Each resample draws each of the two depths with probability 1/2: its mean is d1, (d1+d2)/2
        // or d2 with probabilities 1/4, 1/2, 1/4, so the 2.5% and 97.5% quantiles are d1 and d2.
        let interval = try XCTUnwrap(InterceptShift.clusterBootstrap([[-0.3], [0.5]], resamples: 2000, seed: 7))
        XCTAssertEqual(interval.lowerBound, -0.3, accuracy: 1e-15)
        XCTAssertEqual(interval.upperBound, 0.5, accuracy: 1e-15)
    }

    func testEqualDifferencesGiveAPointAndTheBootstrapIsSeeded() throws {
        let point = try XCTUnwrap(InterceptShift.clusterBootstrap([[0.2, 0.2], [0.2]], resamples: 500, seed: 1))
        XCTAssertEqual(point.lowerBound, 0.2, accuracy: 1e-15)
        XCTAssertEqual(point.upperBound, 0.2, accuracy: 1e-15)
        let groups: [[Double]] = [[0.1, -0.2], [0.4], [0.0, 0.3, -0.1]]
        XCTAssertEqual(InterceptShift.clusterBootstrap(groups, resamples: 500, seed: 3), InterceptShift.clusterBootstrap(groups, resamples: 500, seed: 3))
        XCTAssertNotEqual(InterceptShift.clusterBootstrap(groups, resamples: 500, seed: 3), InterceptShift.clusterBootstrap(groups, resamples: 500, seed: 4))
        let wide = try XCTUnwrap(InterceptShift.clusterBootstrap(groups, resamples: 2000, seed: 3))
        let mean = groups.joined().reduce(0, +) / 6
        XCTAssertTrue(wide.contains(mean) && wide.lowerBound >= -0.2 - 1e-12 && wide.upperBound <= 0.4 + 1e-12, "\(wide)")
        XCTAssertNil(InterceptShift.clusterBootstrap([[0.1, 0.2]], resamples: 500, seed: 3), "one depth gives no interval")
    }
}
