import Foundation

/// A labelled set of images, flattened to rows of a feature matrix.
///
/// Row i of `features` is image i flattened channel-major (see ``ImageShape``),
/// so `features` is n × d with d = `imageShape.featureCount`. `labels[i]` is the
/// training target of row i, in `0..<classCount`. Two kinds of provenance are
/// kept: `sourceIndices[i]` is the row's position in the original file order of
/// its split (so subsets of subsets still point into the file), and
/// `originalLabels[i]` is the label read from the file (different from
/// `labels[i]` only where labels were corrupted on purpose).
public struct Dataset: Sendable {
    /// Which dataset the samples come from.
    public let name: DatasetName
    /// Training or test part.
    public let partition: DatasetPartition
    /// n × d features.
    public var features: Matrix<Float>
    /// Training targets, one per row.
    public private(set) var labels: [Int]
    /// Labels as read from the file, one per row.
    public let originalLabels: [Int]
    /// Position of each row in the original file order of its split.
    public let sourceIndices: [Int]
    /// Number of classes k.
    public let classCount: Int
    /// Shape of one image.
    public let imageShape: ImageShape

    /// A dataset whose rows are in original order (`sourceIndices` = 0..<n,
    /// `originalLabels` = `labels`). Labels must lie in `0..<classCount` and
    /// `features` must have one row per label and `imageShape.featureCount`
    /// columns (checked with preconditions: these are programming errors).
    public init(name: DatasetName, partition: DatasetPartition, features: Matrix<Float>, labels: [Int],
                classCount: Int, imageShape: ImageShape) {
        self.init(name: name, partition: partition, features: features, labels: labels, originalLabels: labels,
                  sourceIndices: Array(0..<labels.count), classCount: classCount, imageShape: imageShape)
    }

    init(name: DatasetName, partition: DatasetPartition, features: Matrix<Float>, labels: [Int], originalLabels: [Int],
         sourceIndices: [Int], classCount: Int, imageShape: ImageShape) {
        precondition(classCount > 0, "a dataset needs at least one class")
        precondition(features.rows == labels.count, "\(features.rows) feature rows but \(labels.count) labels")
        precondition(features.columns == imageShape.featureCount,
                     "\(features.columns) feature columns but images of shape \(imageShape) have \(imageShape.featureCount)")
        precondition(originalLabels.count == labels.count && sourceIndices.count == labels.count, "provenance arrays differ in length")
        precondition(labels.allSatisfy { (0..<classCount).contains($0) }, "a label lies outside 0..<\(classCount)")
        self.name = name
        self.partition = partition
        self.features = features
        self.labels = labels
        self.originalLabels = originalLabels
        self.sourceIndices = sourceIndices
        self.classCount = classCount
        self.imageShape = imageShape
    }

    /// Number of samples n.
    public var count: Int { labels.count }

    /// Feature dimension d.
    public var featureCount: Int { features.columns }

    /// Number of samples with each label, indexed by label.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels { counts[label] += 1 }
        return counts
    }

    /// Positions (rows) whose label differs from the label in the file.
    public var corruptedPositions: [Int] {
        (0..<count).filter { labels[$0] != originalLabels[$0] }
    }

    /// The rows at `positions` (in that order, repeats allowed), with their
    /// labels and provenance. Every position must be in `0..<count`.
    public func subset(positions: [Int]) -> Dataset {
        Dataset(name: name, partition: partition, features: featureRows(positions),
                labels: positions.map { labels[$0] }, originalLabels: positions.map { originalLabels[$0] },
                sourceIndices: positions.map { sourceIndices[$0] }, classCount: classCount, imageShape: imageShape)
    }

    /// The feature rows at `positions`, stacked in that order into a
    /// `positions.count` × d matrix (a minibatch gather; rows are copied whole).
    public func featureRows(_ positions: [Int]) -> Matrix<Float> {
        let width = features.columns
        var result = Matrix<Float>(rows: positions.count, columns: width)
        guard width > 0 else { return result }
        features.storage.withUnsafeBufferPointer { source in
            result.storage.withUnsafeMutableBufferPointer { target in
                guard let from = source.baseAddress, let to = target.baseAddress else { return }
                for (row, position) in positions.enumerated() {
                    precondition(position >= 0 && position < count, "row \(position) is outside 0..<\(count)")
                    (to + row * width).update(from: from + position * width, count: width)
                }
            }
        }
        return result
    }

    /// A copy with `labels` replaced (provenance kept).
    func relabelled(_ newLabels: [Int]) -> Dataset {
        Dataset(name: name, partition: partition, features: features, labels: newLabels, originalLabels: originalLabels,
                sourceIndices: sourceIndices, classCount: classCount, imageShape: imageShape)
    }
}

/// The training and test parts of a dataset, and the normalisation applied to both.
public struct DatasetSplit: Sendable {
    /// The training part.
    public var train: Dataset
    /// The test part.
    public var test: Dataset
    /// The per-channel statistics of the training part that both parts were
    /// standardised with; nil when the features are still pixels / 255.
    public var normalisation: ChannelStatistics?

    /// A split of two parts of the same dataset.
    public init(train: Dataset, test: Dataset, normalisation: ChannelStatistics? = nil) {
        precondition(train.imageShape == test.imageShape && train.classCount == test.classCount,
                     "train and test parts differ in image shape or class count")
        self.train = train
        self.test = test
        self.normalisation = normalisation
    }
}
