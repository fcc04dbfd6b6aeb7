import Foundation

extension DenseNetwork {
    /// Tag and version at the start of ``serialized()``.
    static var serializationTag: String { "DNNW" }
    static var serializationVersion: UInt32 { 1 }

    /// The network as bytes (format version 1, little-endian):
    /// tag "DNNW", version (UInt32), scalar byte width (UInt8: 4 = Float, 8 = Double),
    /// flags (UInt8: bit 0 = biases, bit 1 = tied hidden weights; so an untied network writes
    /// 0 or 1 as before), d, N, L, k (Int64 each), then for l = 1…L the entries of W_l row by row
    /// followed by b_l, as IEEE-754 bit patterns of the scalar type.
    public func serialized() -> Data {
        var writer = EngineBinary.Writer()
        writer.write(tag: Self.serializationTag)
        writer.write(Self.serializationVersion)
        writer.write(UInt8(MemoryLayout<Scalar>.size))
        writer.write(UInt8(architecture.hasBias ? 1 : 0) | UInt8(architecture.tiedHiddenWeights ? 2 : 0))
        writer.write(architecture.inputDimension)
        writer.write(architecture.width)
        writer.write(architecture.depth)
        writer.write(architecture.outputDimension)
        for l in weights.indices {
            writer.write(scalars: weights[l].storage)
            writer.write(scalars: biases[l])
        }
        return writer.data
    }

    /// Reads bytes written by ``serialized()``. A network stored in the other precision is
    /// converted (Float → Double exactly; Double → Float rounding to nearest).
    /// - Throws: ``CheckpointFormatError`` when the tag, version, sizes or length do not match.
    public init(serialized data: Data) throws {
        var reader = EngineBinary.Reader(data, what: "network")
        try reader.expect(tag: Self.serializationTag)
        let version = try reader.uint32()
        guard version == Self.serializationVersion else {
            throw CheckpointFormatError.unsupportedVersion(what: "network", version: version)
        }
        let byteWidth = Int(try reader.uint8())
        guard byteWidth == 4 || byteWidth == 8 else {
            throw CheckpointFormatError.badValue(what: "network", detail: "scalar width \(byteWidth) bytes")
        }
        let flags = try reader.uint8()
        guard flags <= 3 else { throw CheckpointFormatError.badValue(what: "network", detail: "flags \(flags)") }
        let architecture = DenseArchitecture(
            inputDimension: try reader.int(), width: try reader.int(), depth: try reader.int(),
            outputDimension: try reader.int(), hasBias: flags & 1 == 1, tiedHiddenWeights: flags & 2 == 2)
        do { try architecture.validate() } catch {
            throw CheckpointFormatError.badValue(what: "network", detail: "\(error)")
        }
        let sizes = architecture.layerSizes
        var weights: [Matrix<Scalar>] = []
        var biases: [[Scalar]] = []
        for l in 1..<sizes.count {
            let storage = try reader.scalars(sizes[l] * sizes[l - 1], byteWidth: byteWidth, as: Scalar.self)
            weights.append(Matrix(rows: sizes[l], columns: sizes[l - 1], storage: storage))
            biases.append(try reader.scalars(architecture.hasBias ? sizes[l] : 0, byteWidth: byteWidth, as: Scalar.self))
        }
        try reader.expectEnd()
        if let layer = Self.firstUntiedLayer(architecture, weights: weights, biases: biases) {
            throw CheckpointFormatError.badValue(what: "network", detail: "layer \(layer) differs from layer 2 although the hidden weights are tied")
        }
        self.init(uncheckedArchitecture: architecture, weights: weights, biases: biases)
    }
}
