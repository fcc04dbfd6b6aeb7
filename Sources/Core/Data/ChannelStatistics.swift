import Foundation

/// Per-channel mean and standard deviation of a dataset's features, and the
/// standardisation built on them (torchvision's `Normalize(mean, std)`).
///
/// For channel c with values x over all n samples and all P = height·width
/// pixels of that channel: mean μ_c = (1/nP) Σ x and population standard
/// deviation σ_c = sqrt((1/nP) Σ (x − μ_c)²), accumulated in double precision
/// (two passes). Standardising maps x ↦ (x − μ_c) / σ_c in single precision,
/// like PyTorch's float32 `sub_(mean).div_(std)`. A constant channel (σ_c = 0)
/// is only centred (divided by 1), so no infinities arise.
public struct ChannelStatistics: Codable, Hashable, Sendable, CustomStringConvertible {
    /// μ_c for each channel.
    public var means: [Double]
    /// σ_c for each channel.
    public var standardDeviations: [Double]

    /// Statistics given explicitly (for example the constants of published code).
    public init(means: [Double], standardDeviations: [Double]) {
        precondition(means.count == standardDeviations.count, "one mean and one standard deviation per channel")
        self.means = means
        self.standardDeviations = standardDeviations
    }

    /// Measures μ_c and σ_c of `dataset` over all its samples and pixels.
    /// An empty dataset gives means 0 and standard deviations 0.
    public init(measuring dataset: Dataset) {
        let channels = dataset.imageShape.channels
        let plane = dataset.imageShape.pixelsPerChannel
        let rows = dataset.count
        var means = [Double](repeating: 0, count: channels)
        var deviations = [Double](repeating: 0, count: channels)
        let valuesPerChannel = Double(rows * plane)
        if rows > 0 {
            dataset.features.storage.withUnsafeBufferPointer { values in
                for channel in 0..<channels {
                    var sum = 0.0
                    for row in 0..<rows {
                        let start = row * channels * plane + channel * plane
                        for index in start..<(start + plane) { sum += Double(values[index]) }
                    }
                    let mean = sum / valuesPerChannel
                    var squares = 0.0
                    for row in 0..<rows {
                        let start = row * channels * plane + channel * plane
                        for index in start..<(start + plane) {
                            let deviation = Double(values[index]) - mean
                            squares += deviation * deviation
                        }
                    }
                    means[channel] = mean
                    deviations[channel] = (squares / valuesPerChannel).squareRoot()
                }
            }
        }
        self.init(means: means, standardDeviations: deviations)
    }

    /// Number of channels.
    public var channelCount: Int { means.count }

    /// `dataset` with every value x of channel c replaced by (x − μ_c) / σ_c.
    public func standardise(_ dataset: Dataset) -> Dataset {
        var result = dataset
        apply(to: &result)
        return result
    }

    /// Replaces every value x of channel c of `dataset` by (x − μ_c) / σ_c, in
    /// place (no copy when the caller holds the only reference to the features).
    public func apply(to dataset: inout Dataset) {
        let channels = dataset.imageShape.channels
        precondition(channels == channelCount, "statistics for \(channelCount) channels applied to images with \(channels)")
        let plane = dataset.imageShape.pixelsPerChannel
        let rows = dataset.count
        let shifts = means.map { Float($0) }
        let divisors = standardDeviations.map { $0 > 0 ? Float($0) : 1 }
        dataset.features.storage.withUnsafeMutableBufferPointer { buffer in
            guard let values = buffer.baseAddress else { return }
            for row in 0..<rows {
                for channel in 0..<channels {
                    let start = values + (row * channels + channel) * plane
                    Self.standardise(start, count: plane, shift: shifts[channel], divisor: divisors[channel])
                }
            }
        }
    }

    /// x ↦ (x − shift) / divisor over `count` contiguous values.
    private static func standardise(_ values: UnsafeMutablePointer<Float>, count: Int, shift: Float, divisor: Float) {
        for index in 0..<count { values[index] = (values[index] - shift) / divisor }
    }

    public var description: String {
        let pairs = zip(means, standardDeviations).map { String(format: "mean %.4f, std %.4f", $0, $1) }
        return pairs.count == 1 ? pairs[0] : pairs.enumerated().map { "channel \($0): \($1)" }.joined(separator: "; ")
    }
}

extension DatasetSplit {
    /// Both parts standardised per channel with the statistics of the
    /// training part (as the authors' PyTorch pipeline does), which are kept
    /// in `normalisation`. Applying it to an already standardised split
    /// standardises again with the new statistics.
    public func standardised() -> DatasetSplit {
        var copy = self
        copy.standardise()
        return copy
    }

    /// Standardises both parts in place with the training part's statistics
    /// (see ``standardised()``); avoids copying the features when this split
    /// holds the only reference to them.
    public mutating func standardise() {
        let statistics = ChannelStatistics(measuring: train)
        statistics.apply(to: &train)
        statistics.apply(to: &test)
        normalisation = statistics
    }
}
