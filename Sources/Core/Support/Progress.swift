import Foundation

/// Where a run stands, as reported to a ``ProgressSink`` while it trains.
public struct RunProgress: Sendable, Equatable {
    /// What the run is doing right now.
    public enum Phase: String, Sendable, Equatable {
        /// Loading the dataset and choosing probes.
        case preparing
        /// Taking optimiser steps.
        case training
        /// Measuring layer alignments or evaluating on the test split.
        case measuring
        /// The run has stopped and its record is written.
        case finished
        /// The record was already in the cache; nothing was trained.
        case cached
    }

    /// A short human-readable name for the run (dataset, depth, width, learning rate, seed).
    public var label: String
    /// The run's configuration hash (its cache key).
    public var configurationHash: String
    /// The phase.
    public var phase: Phase
    /// The epoch in progress, counted from 1 (the last completed one once finished).
    public var epoch: Int
    /// The largest number of epochs the stopping rule allows, if it bounds epochs.
    public var epochLimit: Int?
    /// Optimiser steps taken so far.
    public var step: Int
    /// The largest number of steps the run can take (from the stopping rule), if known.
    public var stepLimit: Int?
    /// Mean minibatch loss over the epoch so far (nil before the first step of an epoch).
    public var trainLoss: Double?
    /// Fraction of the epoch's training samples classified correctly so far.
    public var trainAccuracy: Double?
    /// Test accuracy after the last completed epoch.
    public var testAccuracy: Double?
    /// Wall-clock seconds spent on this run, summed over resumed sessions.
    public var elapsedSeconds: Double
    /// Steps taken in this process (excluding those restored from a checkpoint).
    public var sessionSteps: Int
    /// Seconds spent training in this process.
    public var sessionSeconds: Double

    public init(label: String, configurationHash: String, phase: Phase, epoch: Int, epochLimit: Int?,
                step: Int, stepLimit: Int?, trainLoss: Double? = nil, trainAccuracy: Double? = nil,
                testAccuracy: Double? = nil, elapsedSeconds: Double, sessionSteps: Int = 0, sessionSeconds: Double = 0) {
        self.label = label
        self.configurationHash = configurationHash
        self.phase = phase
        self.epoch = epoch
        self.epochLimit = epochLimit
        self.step = step
        self.stepLimit = stepLimit
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.testAccuracy = testAccuracy
        self.elapsedSeconds = elapsedSeconds
        self.sessionSteps = sessionSteps
        self.sessionSeconds = sessionSeconds
    }

    /// Fraction of the step budget used, in [0, 1], or nil when no budget is known.
    public var fractionDone: Double? {
        guard let limit = stepLimit, limit > 0 else { return nil }
        return min(1, max(0, Double(step) / Double(limit)))
    }

    /// Seconds until the step budget is used up at this session's pace:
    /// (stepLimit − step) · sessionSeconds / sessionSteps. Nil when no budget is
    /// known or no step has been timed yet. For a loss-threshold rule this is an
    /// upper bound (the run may stop earlier).
    public var estimatedSecondsRemaining: Double? {
        guard let limit = stepLimit, sessionSteps > 0, sessionSeconds > 0 else { return nil }
        return Double(max(0, limit - step)) * sessionSeconds / Double(sessionSteps)
    }
}

/// Receives progress reports from a ``Runner``. Called on the runner's thread,
/// possibly after every optimiser step: implementations must be cheap and
/// should throttle their own output.
public protocol ProgressSink: AnyObject {
    /// Called with the run's current state.
    func update(_ progress: RunProgress)
}
