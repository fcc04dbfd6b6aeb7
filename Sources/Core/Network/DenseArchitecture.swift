import Foundation

/// The shape of a fully connected ReLU network (paper Eq. 8 and Appendix A):
///
///     z_1 = W_1 x + b_1,    z_l = W_l φ(z_{l−1}) + b_l  (2 ≤ l ≤ L),    f(x) = z_L,
///
/// with φ = ReLU. Layer 1 maps d → N, layers 2…L−1 map N → N and layer L maps N → k
/// (with L = 1 the single layer maps d → k). Every layer has its own weights unless
/// `tiedHiddenWeights` is true; biases are present in every layer when `hasBias` is true and
/// absent otherwise.
///
/// Tied hidden weights: layers 2…L−1 (the N → N layers) then share one weight matrix and one
/// bias, as PyTorch builds `[nn.Linear(N, N), nn.ReLU()] * (L − 2)` (one module used L − 2
/// times; the `fc` model of the authors' scripts). The network still stores one copy per layer,
/// so every layer-wise quantity (the per-use kernel K_l, A_l) is measured as for separate
/// layers; training keeps the copies identical (``Trainer`` gives each the summed gradient).
///
/// The dense case of ``Architecture``, which is what a run specification holds.
public struct DenseArchitecture: Codable, Hashable, Sendable {
    /// d, the number of input features.
    public var inputDimension: Int
    /// N, the width of every hidden layer.
    public var width: Int
    /// L, the number of weight layers (so there are L − 1 hidden ReLU layers).
    public var depth: Int
    /// k, the number of outputs (logits).
    public var outputDimension: Int
    /// Whether every layer adds a bias vector.
    public var hasBias: Bool
    /// Whether layers 2…L−1 share one weight matrix and bias.
    public var tiedHiddenWeights: Bool {
        get { tiedFlag == true }
        set { tiedFlag = newValue ? true : nil }
    }
    /// Nil unless tied, so that the JSON holds `"tiedHiddenWeights": true` only for a tied network
    /// and every untied specification keeps its canonical JSON and hash.
    private var tiedFlag: Bool?

    private enum CodingKeys: String, CodingKey {
        case inputDimension, width, depth, outputDimension, hasBias
        case tiedFlag = "tiedHiddenWeights"
    }

    /// Decodes as the compiler would, except that `"tiedHiddenWeights": false` reads as absent, so
    /// that it names the same network (and hash) as a specification without the key.
    public init(from decoder: Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        self.init(inputDimension: try values.decode(Int.self, forKey: .inputDimension), width: try values.decode(Int.self, forKey: .width),
                  depth: try values.decode(Int.self, forKey: .depth), outputDimension: try values.decode(Int.self, forKey: .outputDimension),
                  hasBias: try values.decode(Bool.self, forKey: .hasBias),
                  tiedHiddenWeights: try values.decodeIfPresent(Bool.self, forKey: .tiedFlag) ?? false)
    }

    public init(inputDimension: Int, width: Int, depth: Int, outputDimension: Int, hasBias: Bool, tiedHiddenWeights: Bool = false) {
        self.inputDimension = inputDimension
        self.width = width
        self.depth = depth
        self.outputDimension = outputDimension
        self.hasBias = hasBias
        tiedFlag = tiedHiddenWeights ? true : nil
    }

    /// The 0-based indices into the layer arrays of the layers that share weights (layers
    /// 2…L−1), or empty when the weights are not tied.
    public var tiedLayerIndices: Range<Int> {
        tiedHiddenWeights && depth >= 3 ? 1..<(depth - 1) : 0..<0
    }

    /// The number of distinct trainable parameters: ``parameterCount`` less the stored copies of
    /// the shared hidden layer.
    public var independentParameterCount: Int {
        let copies = max(0, tiedLayerIndices.count - 1)
        return parameterCount - copies * (width * width + (hasBias ? width : 0))
    }

    /// The layer sizes N_0 = d, N_1, …, N_L = k (depth + 1 entries).
    public var layerSizes: [Int] {
        guard depth >= 1 else { return [inputDimension] }
        var sizes = [inputDimension]
        sizes.append(contentsOf: Array(repeating: width, count: depth - 1))
        sizes.append(outputDimension)
        return sizes
    }

    /// P = Σ_l N_l·N_{l−1} (+ N_l with biases): the number of trainable parameters.
    public var parameterCount: Int {
        let sizes = layerSizes
        var total = 0
        for l in stride(from: 1, to: sizes.count, by: 1) {
            total += sizes[l] * sizes[l - 1] + (hasBias ? sizes[l] : 0)
        }
        return total
    }

    /// Throws when a dimension is not positive (a network needs d, N, L, k ≥ 1).
    public func validate() throws {
        if inputDimension < 1 || width < 1 || depth < 1 || outputDimension < 1 {
            throw NetworkArchitectureError.nonPositiveDimension(self)
        }
        if tiedHiddenWeights && depth < 3 {
            throw NetworkArchitectureError.nothingToTie(depth: depth)
        }
    }
}

/// The name the dense shape had before ``Architecture`` could hold other kinds of network.
public typealias NetworkArchitecture = DenseArchitecture

/// Why an architecture cannot be built.
public enum NetworkArchitectureError: Error, CustomStringConvertible, Equatable {
    /// One of d, N, L, k is zero or negative.
    case nonPositiveDimension(DenseArchitecture)
    /// Tied hidden weights asked of a network with no N → N layer (L < 3).
    case nothingToTie(depth: Int)

    public var description: String {
        switch self {
        case .nonPositiveDimension(let a):
            let dimensions = [("the depth L", a.depth), ("the width N", a.width),
                              ("the input dimension d", a.inputDimension), ("the output dimension k", a.outputDimension)]
            let bad = dimensions.filter { $0.1 < 1 }.map { "\($0.0) is \($0.1)" }
            return "\(bad.joined(separator: " and ")); every dimension of a network must be at least 1"
        case .nothingToTie(let depth):
            return "tied hidden weights need at least one N → N layer, so a depth of at least 3 (got \(depth))"
        }
    }
}
