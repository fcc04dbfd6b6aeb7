import Foundation

/// The image-classification datasets the project can train on.
///
/// The raw values are the names used on the command line and in run
/// specifications (`fashion-mnist`, `mnist`, `kmnist`, `cifar10`, `cifar100`).
public enum DatasetName: String, CaseIterable, Codable, Hashable, Sendable, CustomStringConvertible {
    case fashionMNIST = "fashion-mnist"
    case mnist
    case kmnist
    case cifar10 = "cifar10"
    case cifar100

    /// The dataset's usual written name, e.g. "Fashion-MNIST".
    public var displayName: String {
        switch self {
        case .fashionMNIST: return "Fashion-MNIST"
        case .mnist: return "MNIST"
        case .kmnist: return "KMNIST"
        case .cifar10: return "CIFAR-10"
        case .cifar100: return "CIFAR-100"
        }
    }

    public var description: String { displayName }

    /// Number of classes k (CIFAR-100 uses its 100 fine labels).
    public var classCount: Int {
        self == .cifar100 ? 100 : 10
    }

    /// Shape of one image: 1×28×28 for the MNIST family, 3×32×32 for CIFAR.
    public var imageShape: ImageShape {
        switch self {
        case .fashionMNIST, .mnist, .kmnist: return ImageShape(channels: 1, height: 28, width: 28)
        case .cifar10, .cifar100: return ImageShape(channels: 3, height: 32, width: 32)
        }
    }

    /// Number of samples in the standard training split (60000 or 50000).
    public var standardTrainingCount: Int {
        switch self {
        case .fashionMNIST, .mnist, .kmnist: return 60_000
        case .cifar10, .cifar100: return 50_000
        }
    }

    /// Number of samples in the standard test split (10000 for all five).
    public var standardTestCount: Int { 10_000 }

    /// The size of the smallest class in the standard split (MNIST's classes differ in size;
    /// the others are balanced). A request up to this size that finds fewer samples means the
    /// files are deficient, not the request.
    public func smallestStandardClass(_ partition: DatasetPartition) -> Int {
        switch (self, partition) {
        case (.mnist, .train): return 5_421
        case (.mnist, .test): return 892
        case (_, .train): return standardTrainingCount / classCount
        case (_, .test): return standardTestCount / classCount
        }
    }
}

/// The shape of one image, channel-major: a flattened image stores channel 0
/// row by row, then channel 1, and so on (the order of the CIFAR binary files
/// and of PyTorch's C×H×W tensors).
public struct ImageShape: Codable, Hashable, Sendable, CustomStringConvertible {
    /// Number of colour channels (1 for grey-scale).
    public var channels: Int
    /// Rows of pixels.
    public var height: Int
    /// Columns of pixels.
    public var width: Int

    /// An image shape; all three sizes must be positive.
    public init(channels: Int, height: Int, width: Int) {
        precondition(channels > 0 && height > 0 && width > 0, "image dimensions must be positive")
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// Pixels in one channel, height·width.
    public var pixelsPerChannel: Int { height * width }

    /// Length d of a flattened image, channels·height·width.
    public var featureCount: Int { channels * height * width }

    public var description: String { "\(channels)×\(height)×\(width)" }
}

/// The two standard parts of a dataset.
public enum DatasetPartition: String, Codable, Hashable, Sendable {
    case train
    case test
}
