import Foundation

/// Reads the IDX files of MNIST, Fashion-MNIST and KMNIST.
///
/// An IDX file starts with a big-endian 32-bit magic number `0x0000TTNN`
/// (TT = 0x08 for unsigned bytes, NN = number of dimensions), then NN big-endian
/// 32-bit dimension sizes, then the data in row-major order. Image files have
/// magic 0x00000803 and dimensions (count, rows, columns); label files have
/// magic 0x00000801 and dimension (count). Everything is checked: magic,
/// header length, image size, data length against the header (truncated or
/// over-long files), and label range.
enum IDXReader {
    static let imageMagic: UInt32 = 0x0000_0803
    static let labelMagic: UInt32 = 0x0000_0801

    /// The pixels of an image file, still as bytes (0…255), row-major per image.
    struct Images {
        let bytes: FileBytes
        let offset: Int
        let count: Int
        let height: Int
        let width: Int
        /// All pixels, image after image.
        var pixels: UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: bytes.buffer[offset..<(offset + count * height * width)])
        }
    }

    /// Reads an image file whose images must be `height`×`width`.
    static func readImages(_ url: URL, height: Int = 28, width: Int = 28) throws -> Images {
        let bytes = try FileBytes.read(url)
        let (dimensions, headerLength) = try header(of: bytes, url: url, magic: imageMagic, kind: "an IDX image file")
        let (count, rows, columns) = (dimensions[0], dimensions[1], dimensions[2])
        guard rows == height, columns == width else {
            throw DatasetError.corrupt(path: url.path, reason: "the images are \(rows)×\(columns) pixels, expected \(height)×\(width)")
        }
        try checkLength(bytes, url: url, headerLength: headerLength, dimensions: dimensions,
                        what: "\(count) images of \(rows)×\(columns) pixels")
        return Images(bytes: bytes, offset: headerLength, count: count, height: rows, width: columns)
    }

    /// Reads a label file whose labels must lie in `0..<classCount`.
    static func readLabels(_ url: URL, classCount: Int) throws -> [Int] {
        let bytes = try FileBytes.read(url)
        let (dimensions, headerLength) = try header(of: bytes, url: url, magic: labelMagic, kind: "an IDX label file")
        let count = dimensions[0]
        try checkLength(bytes, url: url, headerLength: headerLength, dimensions: dimensions, what: "\(count) labels")
        let raw = UnsafeBufferPointer(rebasing: bytes.buffer[headerLength..<(headerLength + count)])
        return try LabelDecoding.labels(raw, stride: 1, offset: 0, count: count, classCount: classCount, url: url)
    }

    /// Reads an image file and its label file into a dataset with pixels scaled to [0, 1].
    static func readDataset(images imagesURL: URL, labels labelsURL: URL, name: DatasetName,
                            partition: DatasetPartition) throws -> Dataset {
        let shape = name.imageShape
        let images = try readImages(imagesURL, height: shape.height, width: shape.width)
        let labels = try readLabels(labelsURL, classCount: name.classCount)
        guard labels.count == images.count else {
            throw DatasetError.corrupt(path: labelsURL.path,
                                       reason: "it holds \(labels.count) labels but \(imagesURL.lastPathComponent) holds \(images.count) images")
        }
        let features = PixelScaling.unitInterval(images.pixels)
        return Dataset(name: name, partition: partition,
                       features: Matrix(rows: images.count, columns: shape.featureCount, storage: features),
                       labels: labels, classCount: name.classCount, imageShape: shape)
    }

    /// Parses and checks the magic number and dimension sizes.
    private static func header(of bytes: FileBytes, url: URL, magic expected: UInt32,
                               kind: String) throws -> (dimensions: [Int], headerLength: Int) {
        let buffer = bytes.buffer
        guard buffer.count >= 4 else {
            throw DatasetError.corrupt(path: url.path, reason: "it is \(buffer.count) bytes long, too short for an IDX header")
        }
        let magic = bigEndianWord(buffer, at: 0)
        guard magic == expected else {
            throw DatasetError.corrupt(path: url.path,
                                       reason: "bad magic number \(hex(magic)), expected \(hex(expected)) (\(kind))")
        }
        let dimensionCount = Int(expected & 0xFF)
        let headerLength = 4 + 4 * dimensionCount
        guard buffer.count >= headerLength else {
            throw DatasetError.corrupt(path: url.path,
                                       reason: "it is \(buffer.count) bytes long, shorter than its \(headerLength)-byte IDX header")
        }
        let dimensions = (0..<dimensionCount).map { Int(bigEndianWord(buffer, at: 4 + 4 * $0)) }
        return (dimensions, headerLength)
    }

    /// Checks that exactly the product of the dimensions follows the header.
    private static func checkLength(_ bytes: FileBytes, url: URL, headerLength: Int, dimensions: [Int], what: String) throws {
        var declared = 1
        for size in dimensions {
            let (product, overflow) = declared.multipliedReportingOverflow(by: size)
            guard !overflow else {
                throw DatasetError.corrupt(path: url.path, reason: "the header declares impossibly large dimensions \(dimensions)")
            }
            declared = product
        }
        let actual = bytes.count - headerLength
        if actual < declared {
            throw DatasetError.corrupt(path: url.path,
                                       reason: "truncated: the header declares \(what) (\(declared) bytes) but only \(actual) bytes follow it")
        }
        if actual > declared {
            throw DatasetError.corrupt(path: url.path,
                                       reason: "the header declares \(what) (\(declared) bytes) but \(actual) bytes follow it")
        }
    }

    private static func bigEndianWord(_ buffer: UnsafeBufferPointer<UInt8>, at offset: Int) -> UInt32 {
        (UInt32(buffer[offset]) << 24) | (UInt32(buffer[offset + 1]) << 16)
            | (UInt32(buffer[offset + 2]) << 8) | UInt32(buffer[offset + 3])
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}

/// Decoding of label bytes with a range check.
enum LabelDecoding {
    /// The labels at `offset`, `offset + stride`, … (`count` of them), each of
    /// which must lie in `0..<classCount`.
    static func labels(_ buffer: UnsafeBufferPointer<UInt8>, stride: Int, offset: Int, count: Int,
                       classCount: Int, url: URL) throws -> [Int] {
        var labels = [Int](repeating: 0, count: count)
        for index in 0..<count {
            let label = Int(buffer[offset + index * stride])
            guard label < classCount else {
                throw DatasetError.corrupt(path: url.path,
                                           reason: "label \(label) of sample \(index) is outside the range 0…\(classCount - 1) of the \(classCount) classes")
            }
            labels[index] = label
        }
        return labels
    }
}

/// Conversion of 8-bit pixels to floats, as torchvision's `ToTensor` does it.
enum PixelScaling {
    /// Each byte b becomes the float b / 255 (single-precision division), in [0, 1].
    static func unitInterval(_ pixels: UnsafeBufferPointer<UInt8>) -> [Float] {
        [Float](unsafeUninitializedCapacity: pixels.count) { output, initialised in
            guard let source = pixels.baseAddress, let target = output.baseAddress else {
                initialised = 0
                return
            }
            scale(source, into: target, count: pixels.count)
            initialised = pixels.count
        }
    }

    /// Writes b / 255 for `count` bytes from `source` to `target`.
    static func scale(_ source: UnsafePointer<UInt8>, into target: UnsafeMutablePointer<Float>, count: Int) {
        let divisor: Float = 255
        for index in 0..<count { target[index] = Float(source[index]) / divisor }
    }
}
