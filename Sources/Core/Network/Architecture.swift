import Foundation

/// The kind and shape of a network, as a run specification records it.
///
/// Today there is one kind, the fully connected ReLU network of the paper (``DenseArchitecture``).
/// A second kind (e.g. a convolutional network for Appendix F) is a new case here, with its own
/// network type conforming to ``LayerKernelSource`` so that ``LayerAlignment`` measures it
/// unchanged; the compiler then lists the few places that build a network from a specification.
///
/// Encoding: the dense case is written as the dense shape's own fields, without a tag, so every
/// existing specification keeps its canonical JSON and ``RunSpec/configurationHash``. Any other
/// case must be written with a `"kind"` field naming it (a dense shape never has one).
public enum Architecture: Hashable, Sendable {
    /// A fully connected ReLU network (paper Eq. 8).
    case dense(DenseArchitecture)

    /// d, the number of input features.
    public var inputDimension: Int {
        get {
            switch self {
            case let .dense(shape): return shape.inputDimension
            }
        }
        set {
            switch self {
            case var .dense(shape):
                shape.inputDimension = newValue
                self = .dense(shape)
            }
        }
    }

    /// k, the number of outputs (logits).
    public var outputDimension: Int {
        get {
            switch self {
            case let .dense(shape): return shape.outputDimension
            }
        }
        set {
            switch self {
            case var .dense(shape):
                shape.outputDimension = newValue
                self = .dense(shape)
            }
        }
    }

    /// L, the number of layers with their own tangent kernel K_l (weight layers).
    public var depth: Int {
        get {
            switch self {
            case let .dense(shape): return shape.depth
            }
        }
        set {
            switch self {
            case var .dense(shape):
                shape.depth = newValue
                self = .dense(shape)
            }
        }
    }

    /// N, the width of the hidden layers (neurons per layer for a dense network).
    public var width: Int {
        get {
            switch self {
            case let .dense(shape): return shape.width
            }
        }
        set {
            switch self {
            case var .dense(shape):
                shape.width = newValue
                self = .dense(shape)
            }
        }
    }

    /// Whether every layer adds a bias.
    public var hasBias: Bool {
        get {
            switch self {
            case let .dense(shape): return shape.hasBias
            }
        }
        set {
            switch self {
            case var .dense(shape):
                shape.hasBias = newValue
                self = .dense(shape)
            }
        }
    }

    /// P, the number of trainable parameters.
    public var parameterCount: Int {
        switch self {
        case let .dense(shape): return shape.parameterCount
        }
    }

    /// The dense shape, or nil for another kind of network.
    public var dense: DenseArchitecture? {
        switch self {
        case let .dense(shape): return shape
        }
    }

    /// Throws when the shape cannot be built (a dimension below 1).
    public func validate() throws {
        switch self {
        case let .dense(shape): try shape.validate()
        }
    }
}

extension Architecture: Codable {
    private enum CodingKeys: String, CodingKey {
        case kind
    }

    /// The value of `"kind"` for each case; the dense case is written without it.
    private enum Kind: String {
        case dense
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decodeIfPresent(String.self, forKey: .kind) ?? Kind.dense.rawValue
        switch Kind(rawValue: kind) {
        case .dense:
            self = .dense(try DenseArchitecture(from: decoder))
        case nil:
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container,
                debugDescription: "unknown network kind '\(kind)'; this build knows: \(Kind.dense.rawValue)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case let .dense(shape): try shape.encode(to: encoder)
        }
    }
}

/// A value that names a network's kind and shape: an ``Architecture`` or the shape of one of its
/// cases, so that a specification can be built from either.
public protocol ArchitectureConvertible {
    /// The architecture this value names.
    var asArchitecture: Architecture { get }
}

extension Architecture: ArchitectureConvertible {
    public var asArchitecture: Architecture { self }
}

extension DenseArchitecture: ArchitectureConvertible {
    public var asArchitecture: Architecture { .dense(self) }
}
