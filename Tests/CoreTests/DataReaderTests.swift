import CZlib
import Foundation
import XCTest
@testable import Core

/// Writes small IDX and CIFAR files into a temporary directory.
struct DataFixtures {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("data-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    /// A directory under the root (created).
    func directory(_ name: String) throws -> URL {
        let url = root.appendingPathComponent(name, isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `bytes` raw, or through zlib's gzip writer when the name ends in ".gz".
    static func write(_ bytes: [UInt8], to url: URL) throws {
        if url.pathExtension == "gz" {
            guard let file = gzopen(url.path, "wb") else { throw DatasetError.unreadable(path: url.path, reason: "gzopen failed") }
            let written = bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
            XCTAssertEqual(gzclose(file), Z_OK)
            XCTAssertEqual(Int(written), bytes.count)
        } else {
            try Data(bytes).write(to: url)
        }
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    /// An IDX image file: magic, (count, rows, columns), then the given pixels.
    static func idxImages(magic: UInt32 = 0x0000_0803, count: Int, rows: Int = 28, columns: Int = 28, pixels: [UInt8]) -> [UInt8] {
        bigEndian(magic) + bigEndian(UInt32(count)) + bigEndian(UInt32(rows)) + bigEndian(UInt32(columns)) + pixels
    }

    /// An IDX label file: magic, (count), then the labels.
    static func idxLabels(magic: UInt32 = 0x0000_0801, count: Int? = nil, labels: [UInt8]) -> [UInt8] {
        bigEndian(magic) + bigEndian(UInt32(count ?? labels.count)) + labels
    }

    /// Deterministic pixel bytes for `count` 28×28 images, different per image.
    static func pixels(count: Int, salt: Int = 0) -> [UInt8] {
        (0..<(count * 784)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ ($0 / 784) &* 7 &+ salt) }
    }

    /// Writes the four MNIST-family files into `directory`.
    func writeIDXSet(in directory: URL, trainLabels: [UInt8], testLabels: [UInt8], gzipped: Bool) throws {
        let suffix = gzipped ? ".gz" : ""
        try Self.write(Self.idxImages(count: trainLabels.count, pixels: Self.pixels(count: trainLabels.count)),
                       to: directory.appendingPathComponent("train-images-idx3-ubyte" + suffix))
        try Self.write(Self.idxLabels(labels: trainLabels), to: directory.appendingPathComponent("train-labels-idx1-ubyte" + suffix))
        try Self.write(Self.idxImages(count: testLabels.count, pixels: Self.pixels(count: testLabels.count, salt: 5)),
                       to: directory.appendingPathComponent("t10k-images-idx3-ubyte" + suffix))
        try Self.write(Self.idxLabels(labels: testLabels), to: directory.appendingPathComponent("t10k-labels-idx1-ubyte" + suffix))
    }

    /// CIFAR records: label bytes then 3072 pixel bytes derived from the record number.
    static func cifarRecords(labels: [[UInt8]], salt: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        for (record, labelBytes) in labels.enumerated() {
            bytes += labelBytes
            bytes += (0..<3072).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ record &* 101 &+ salt) }
        }
        return bytes
    }
}

/// Expects `body` to throw a `DatasetError` and returns its description.
func datasetErrorMessage(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> String {
    do {
        try body()
        XCTFail("expected a DatasetError", file: file, line: line)
        return ""
    } catch let error as DatasetError {
        return error.description
    } catch {
        XCTFail("expected a DatasetError, got \(error)", file: file, line: line)
        return ""
    }
}

final class DataReaderTests: XCTestCase {
    var fixtures: DataFixtures!

    override func setUpWithError() throws { fixtures = try DataFixtures() }
    override func tearDown() { fixtures.remove() }

    // MARK: IDX

    func testIDXRoundTripGzippedAndRaw() throws {
        let trainLabels: [UInt8] = [3, 0, 9, 1]
        let testLabels: [UInt8] = [7, 2]
        for gzipped in [true, false] {
            let directory = try fixtures.directory("mnist-\(gzipped)/mnist")
            try fixtures.writeIDXSet(in: directory, trainLabels: trainLabels, testLabels: testLabels, gzipped: gzipped)
            let split = try DatasetLoader.load(.mnist, dataDirectory: directory.deletingLastPathComponent(), standardise: false)
            XCTAssertNil(split.normalisation)
            XCTAssertEqual(split.train.labels, trainLabels.map(Int.init))
            XCTAssertEqual(split.test.labels, testLabels.map(Int.init))
            XCTAssertEqual(split.train.features.rows, 4)
            XCTAssertEqual(split.train.features.columns, 784)
            XCTAssertEqual(split.train.imageShape, ImageShape(channels: 1, height: 28, width: 28))
            XCTAssertEqual(split.train.classCount, 10)
            XCTAssertEqual(split.train.sourceIndices, [0, 1, 2, 3])
            XCTAssertEqual(split.train.partition, .train)
            XCTAssertEqual(split.test.partition, .test)
            let trainPixels = DataFixtures.pixels(count: 4)
            let testPixels = DataFixtures.pixels(count: 2, salt: 5)
            XCTAssertEqual(split.train.features.storage, trainPixels.map { Float($0) / 255 })
            XCTAssertEqual(split.test.features.storage, testPixels.map { Float($0) / 255 })
            // Row i, column j is pixel j of image i.
            XCTAssertEqual(split.train.features[2, 100], Float(trainPixels[2 * 784 + 100]) / 255)
        }
    }

    func testBadMagicNumberIsNamed() throws {
        let url = fixtures.root.appendingPathComponent("train-images-idx3-ubyte.gz")
        try DataFixtures.write(DataFixtures.idxImages(magic: 0x0000_0801, count: 1, pixels: DataFixtures.pixels(count: 1)), to: url)
        let message = datasetErrorMessage { _ = try IDXReader.readImages(url) }
        XCTAssertTrue(message.contains("train-images-idx3-ubyte.gz: bad magic number 0x00000801, expected 0x00000803 (an IDX image file)"), message)

        let labelsURL = fixtures.root.appendingPathComponent("labels")
        try DataFixtures.write(DataFixtures.idxLabels(magic: 0x0000_0803, labels: [1]), to: labelsURL)
        let labelMessage = datasetErrorMessage { _ = try IDXReader.readLabels(labelsURL, classCount: 10) }
        XCTAssertTrue(labelMessage.contains("expected 0x00000801"), labelMessage)
    }

    func testWrongImageSizeIsRejected() throws {
        let url = fixtures.root.appendingPathComponent("images")
        try DataFixtures.write(DataFixtures.idxImages(count: 2, rows: 32, columns: 28, pixels: [UInt8](repeating: 1, count: 2 * 32 * 28)), to: url)
        let message = datasetErrorMessage { _ = try IDXReader.readImages(url) }
        XCTAssertTrue(message.contains("32×28 pixels, expected 28×28"), message)
    }

    func testTruncatedAndOverlongFilesAreRejected() throws {
        let truncated = fixtures.root.appendingPathComponent("truncated.gz")
        try DataFixtures.write(DataFixtures.idxImages(count: 10, pixels: DataFixtures.pixels(count: 9)), to: truncated)
        let message = datasetErrorMessage { _ = try IDXReader.readImages(truncated) }
        XCTAssertTrue(message.contains("truncated"), message)
        XCTAssertTrue(message.contains("10 images"), message)
        XCTAssertTrue(message.contains("7840 bytes"), message)
        XCTAssertTrue(message.contains("only 7056"), message)

        let overlong = fixtures.root.appendingPathComponent("overlong")
        try DataFixtures.write(DataFixtures.idxLabels(count: 3, labels: [1, 2, 3, 4]), to: overlong)
        let overlongMessage = datasetErrorMessage { _ = try IDXReader.readLabels(overlong, classCount: 10) }
        XCTAssertTrue(overlongMessage.contains("3 labels (3 bytes) but 4 bytes follow"), overlongMessage)

        let stub = fixtures.root.appendingPathComponent("stub")
        try DataFixtures.write([0, 0, 8], to: stub)
        XCTAssertTrue(datasetErrorMessage { _ = try IDXReader.readLabels(stub, classCount: 10) }.contains("too short"))
        let headerOnly = fixtures.root.appendingPathComponent("header-only")
        try DataFixtures.write(DataFixtures.bigEndian(0x0000_0803) + DataFixtures.bigEndian(1), to: headerOnly)
        XCTAssertTrue(datasetErrorMessage { _ = try IDXReader.readImages(headerOnly) }.contains("16-byte IDX header"))
    }

    func testDamagedGzipStreamIsRejected() throws {
        let whole = fixtures.root.appendingPathComponent("whole.gz")
        try DataFixtures.write(DataFixtures.idxImages(count: 20, pixels: DataFixtures.pixels(count: 20)), to: whole)
        let compressed = try Data(contentsOf: whole)
        let cut = fixtures.root.appendingPathComponent("cut.gz")
        try compressed.prefix(compressed.count / 2).write(to: cut)
        let message = datasetErrorMessage { _ = try IDXReader.readImages(cut) }
        XCTAssertTrue(message.contains("cut.gz: the compressed data"), message)
        XCTAssertTrue(message.contains("zlib"), message)
    }

    func testLabelOutOfRangeIsRejected() throws {
        let url = fixtures.root.appendingPathComponent("labels.gz")
        try DataFixtures.write(DataFixtures.idxLabels(labels: [0, 9, 10, 3]), to: url)
        let message = datasetErrorMessage { _ = try IDXReader.readLabels(url, classCount: 10) }
        XCTAssertTrue(message.contains("label 10 of sample 2"), message)
        XCTAssertEqual(try IDXReader.readLabels(url, classCount: 11), [0, 9, 10, 3])
    }

    func testMismatchedCountsAreRejected() throws {
        let directory = try fixtures.directory("mnist")
        try fixtures.writeIDXSet(in: directory, trainLabels: [1, 2, 3], testLabels: [4], gzipped: true)
        try DataFixtures.write(DataFixtures.idxLabels(labels: [1, 2]), to: directory.appendingPathComponent("train-labels-idx1-ubyte.gz"))
        let message = datasetErrorMessage { _ = try DatasetLoader.load(.mnist, dataDirectory: fixtures.root) }
        XCTAssertTrue(message.contains("train-labels-idx1-ubyte.gz: it holds 2 labels but train-images-idx3-ubyte.gz holds 3 images"), message)
    }

    func testMissingFileNamesFileAndDirectory() throws {
        let directory = try fixtures.directory("kmnist")
        try fixtures.writeIDXSet(in: directory, trainLabels: [1], testLabels: [2], gzipped: true)
        try FileManager.default.removeItem(at: directory.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
        let message = datasetErrorMessage { _ = try DatasetLoader.load(.kmnist, dataDirectory: fixtures.root) }
        XCTAssertTrue(message.contains("\(directory.path) holds only part of KMNIST: t10k-labels-idx1-ubyte[.gz] is missing"), message)
        XCTAssertTrue(message.contains("--data-dir"), message)

        guard case let .missing(lookedFor, howTo) = DatasetLoader.availability(of: .kmnist, dataDirectory: fixtures.root) else {
            return XCTFail("KMNIST should be missing")
        }
        XCTAssertEqual(lookedFor, [directory.appendingPathComponent("t10k-labels-idx1-ubyte[.gz]").path])
        XCTAssertTrue(howTo.contains("kmnist"))

        let noDirectory = datasetErrorMessage { _ = try DatasetLoader.load(.mnist, dataDirectory: nil) }
        XCTAssertTrue(noDirectory.contains("no --data-dir"), noDirectory)
        XCTAssertEqual(DatasetLoader.availability(of: .mnist, dataDirectory: nil),
                       .missing(lookedFor: [], howTo: DatasetLocator.howTo(.mnist)))
    }

    func testFashionMNISTMissingMentionsAptPackage() {
        XCTAssertTrue(DatasetLocator.howTo(.fashionMNIST).contains("apt-get install dataset-fashion-mnist"))
        let empty = fixtures.root
        let directories = DatasetLocator.candidateDirectories(for: .fashionMNIST, dataDirectory: empty)
        XCTAssertEqual(directories.map(\.path), [empty.appendingPathComponent("fashion-mnist").path, empty.path,
                                                 "/usr/share/datasets/fashion-mnist"])
    }

    func testAvailabilityFindsSubfolderOrDataDirectoryItself() throws {
        let sub = try fixtures.directory("fashion-mnist")
        try fixtures.writeIDXSet(in: sub, trainLabels: [1], testLabels: [2], gzipped: false)
        XCTAssertEqual(DatasetLoader.availability(of: .fashionMNIST, dataDirectory: fixtures.root), .present(directory: sub))
        // The MNIST files may also lie in the data directory itself.
        let flat = try fixtures.directory("flat")
        try fixtures.writeIDXSet(in: flat, trainLabels: [1], testLabels: [2], gzipped: true)
        XCTAssertEqual(DatasetLoader.availability(of: .mnist, dataDirectory: flat), .present(directory: flat))
        XCTAssertFalse(DatasetLoader.availability(of: .kmnist, dataDirectory: flat).isPresent)
    }

    // MARK: CIFAR

    func testCIFAR10RoundTripInStandardSubfolderAndFlat() throws {
        let directory = try fixtures.directory("cifar-10-batches-bin")
        var batches: [[UInt8]] = []
        for batch in 1...5 {
            let labels: [[UInt8]] = [[UInt8(batch)], [UInt8(9 - batch)]]
            let bytes = DataFixtures.cifarRecords(labels: labels, salt: batch)
            batches.append(bytes)
            try DataFixtures.write(bytes, to: directory.appendingPathComponent("data_batch_\(batch).bin"))
        }
        let testBytes = DataFixtures.cifarRecords(labels: [[0], [9], [4]], salt: 77)
        try DataFixtures.write(testBytes, to: directory.appendingPathComponent("test_batch.bin"))

        for root in [fixtures.root, directory] {
            let split = try DatasetLoader.load(.cifar10, dataDirectory: root, standardise: false, standardRecordCounts: false)
            XCTAssertEqual(split.train.count, 10)
            XCTAssertEqual(split.train.labels, [1, 8, 2, 7, 3, 6, 4, 5, 5, 4])
            XCTAssertEqual(split.test.labels, [0, 9, 4])
            XCTAssertEqual(split.train.features.columns, 3072)
            XCTAssertEqual(split.train.imageShape, ImageShape(channels: 3, height: 32, width: 32))
            // Train row 7 = batch 4, record 1; its pixel 2050 (blue channel) is byte 1 + 3073 + 2050 of the file.
            XCTAssertEqual(split.train.features[7, 2050], Float(batches[3][3073 + 1 + 2050]) / 255)
            let expectedTest = (0..<3).flatMap { record in (0..<3072).map { Float(testBytes[record * 3073 + 1 + $0]) / 255 } }
            XCTAssertEqual(split.test.features.storage, expectedTest)
        }
    }

    func testCIFAR100UsesFineLabelsAndValidates() throws {
        let directory = try fixtures.directory("cifar-100-binary")
        try DataFixtures.write(DataFixtures.cifarRecords(labels: [[3, 57], [19, 99], [0, 0]], salt: 1),
                               to: directory.appendingPathComponent("train.bin"))
        try DataFixtures.write(DataFixtures.cifarRecords(labels: [[7, 42]], salt: 2), to: directory.appendingPathComponent("test.bin"))
        let split = try DatasetLoader.load(.cifar100, dataDirectory: fixtures.root, standardise: false, standardRecordCounts: false)
        XCTAssertEqual(split.train.labels, [57, 99, 0])
        XCTAssertEqual(split.test.labels, [42])
        XCTAssertEqual(split.train.classCount, 100)
        XCTAssertEqual(split.test.features[0, 3071], Float(UInt8(truncatingIfNeeded: 3071 * 13 + 2)) / 255)

        try DataFixtures.write(DataFixtures.cifarRecords(labels: [[7, 100]], salt: 2), to: directory.appendingPathComponent("test.bin"))
        XCTAssertTrue(datasetErrorMessage { _ = try DatasetLoader.load(.cifar100, dataDirectory: fixtures.root, standardise: true, standardRecordCounts: false) }
            .contains("label 100 of sample 0"))
        try DataFixtures.write(DataFixtures.cifarRecords(labels: [[20, 1]], salt: 2), to: directory.appendingPathComponent("test.bin"))
        XCTAssertTrue(datasetErrorMessage { _ = try DatasetLoader.load(.cifar100, dataDirectory: fixtures.root, standardise: true, standardRecordCounts: false) }
            .contains("label 20 of sample 0"))
        try DataFixtures.write(Array(DataFixtures.cifarRecords(labels: [[7, 1]], salt: 2).dropLast()),
                               to: directory.appendingPathComponent("test.bin"))
        let message = datasetErrorMessage { _ = try DatasetLoader.load(.cifar100, dataDirectory: fixtures.root, standardise: true, standardRecordCounts: false) }
        XCTAssertTrue(message.contains("3073 is not a multiple of the 3074-byte record size"), message)
    }

    // MARK: Loader normalisation

    func testLoaderStandardisesBothPartsWithTrainingStatistics() throws {
        let directory = try fixtures.directory("mnist")
        try fixtures.writeIDXSet(in: directory, trainLabels: [1, 2, 3], testLabels: [4, 5], gzipped: true)
        let split = try DatasetLoader.load(.mnist, dataDirectory: fixtures.root)
        // Independent statistics of the training bytes / 255 (as float32, like ToTensor).
        let values = DataFixtures.pixels(count: 3).map { Double(Float($0) / 255) }
        let mean = values.reduce(0, +) / Double(values.count)
        let std = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
        let statistics = try XCTUnwrap(split.normalisation)
        XCTAssertEqual(statistics.means[0], mean, accuracy: 1e-9)
        XCTAssertEqual(statistics.standardDeviations[0], std, accuracy: 1e-9)
        let testByte = DataFixtures.pixels(count: 2, salt: 5)[900]
        XCTAssertEqual(Double(split.test.features[1, 900 - 784]), (Double(testByte) / 255 - mean) / std, accuracy: 1e-5)
    }

    // MARK: Real data

    func testRealFashionMNISTTestSplit() throws {
        let directory = DatasetLocator.systemFashionMNISTDirectory
        guard FileManager.default.fileExists(atPath: directory.path) else {
            throw XCTSkip("\(directory.path) does not exist (apt-get install dataset-fashion-mnist)")
        }
        let test = try IDXReader.readDataset(images: directory.appendingPathComponent("t10k-images-idx3-ubyte.gz"),
                                             labels: directory.appendingPathComponent("t10k-labels-idx1-ubyte.gz"),
                                             name: .fashionMNIST, partition: .test)
        XCTAssertEqual(test.features.rows, 10_000)
        XCTAssertEqual(test.features.columns, 784)
        XCTAssertEqual(test.classCount, 10)
        XCTAssertEqual(test.classCounts, [Int](repeating: 1000, count: 10))
        XCTAssertEqual(Array(test.labels.prefix(5)), [9, 2, 1, 1, 6])
        // Pixel statistics of the test images (numpy: mean 0.286849, std 0.352444).
        let statistics = ChannelStatistics(measuring: test)
        XCTAssertEqual(statistics.means[0], 0.286849, accuracy: 1e-5)
        XCTAssertEqual(statistics.standardDeviations[0], 0.352444, accuracy: 1e-5)
        XCTAssertEqual(DatasetLoader.availability(of: .fashionMNIST, dataDirectory: nil), .present(directory: directory))
    }

    /// Full Fashion-MNIST load with timing; run with REPRODUCE_DATA_BENCH=1 (meant for release builds).
    func testFullFashionMNISTLoadSpeed() throws {
        guard ProcessInfo.processInfo.environment["REPRODUCE_DATA_BENCH"] != nil else {
            throw XCTSkip("set REPRODUCE_DATA_BENCH=1 to time the full Fashion-MNIST load")
        }
        let start = Date()
        let split = try DatasetLoader.load(.fashionMNIST, dataDirectory: nil)
        let seconds = Date().timeIntervalSince(start)
        let statistics = try XCTUnwrap(split.normalisation)
        print("full Fashion-MNIST load and standardisation: \(String(format: "%.2f", seconds)) s; \(statistics)")
        XCTAssertEqual(split.train.count, 60_000)
        XCTAssertEqual(statistics.means[0], 0.2860406, accuracy: 1e-6)
        XCTAssertEqual(statistics.standardDeviations[0], 0.3530242, accuracy: 1e-6)
        XCTAssertEqual(ChannelStatistics(measuring: split.train).means[0], 0, accuracy: 1e-5)
        XCTAssertEqual(ChannelStatistics(measuring: split.train).standardDeviations[0], 1, accuracy: 1e-5)
    }
}
