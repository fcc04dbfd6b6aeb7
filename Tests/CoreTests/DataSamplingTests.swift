import Foundation
import XCTest
@testable import Core

/// Normalisation, class-balanced subsets and label corruption on in-memory datasets.
final class DataSamplingTests: XCTestCase {
    /// A 1×1×2 grey-scale dataset whose row i holds (i, 1000 + i) and has label `labels[i]`.
    private func tinyDataset(labels: [Int], classCount: Int) -> Dataset {
        let features = labels.indices.flatMap { [Float($0), Float(1000 + $0)] }
        return Dataset(name: .mnist, partition: .train,
                       features: Matrix(rows: labels.count, columns: 2, storage: features),
                       labels: labels, classCount: classCount, imageShape: ImageShape(channels: 1, height: 1, width: 2))
    }

    // MARK: Normalisation

    func testChannelStatisticsAgainstHandComputation() {
        // Two channels of 1×2 pixels; three samples.
        // Channel 0 values: 0,1 | 2,3 | 4,5 → mean 2.5, population variance 35/12.
        // Channel 1 values: 7,7 | 7,7 | 7,7 → mean 7, standard deviation 0.
        let shape = ImageShape(channels: 2, height: 1, width: 2)
        let train = Dataset(name: .cifar10, partition: .train,
                            features: Matrix(rows: 3, columns: 4, storage: [0, 1, 7, 7, 2, 3, 7, 7, 4, 5, 7, 7]),
                            labels: [0, 1, 2], classCount: 10, imageShape: shape)
        let test = Dataset(name: .cifar10, partition: .test,
                           features: Matrix(rows: 1, columns: 4, storage: [6, -1, 9, 7]),
                           labels: [3], classCount: 10, imageShape: shape)
        let statistics = ChannelStatistics(measuring: train)
        XCTAssertEqual(statistics.means[0], 2.5, accuracy: 1e-12)
        XCTAssertEqual(statistics.standardDeviations[0], (35.0 / 12).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(statistics.means[1], 7, accuracy: 1e-12)
        XCTAssertEqual(statistics.standardDeviations[1], 0)

        let split = DatasetSplit(train: train, test: test).standardised()
        XCTAssertEqual(split.normalisation, statistics)
        let after = ChannelStatistics(measuring: split.train)
        XCTAssertEqual(after.means[0], 0, accuracy: 1e-6)
        XCTAssertEqual(after.standardDeviations[0], 1, accuracy: 1e-6)
        XCTAssertEqual(after.means[1], 0, accuracy: 1e-6)  // constant channel: centred only
        XCTAssertEqual(after.standardDeviations[1], 0)
        // The test part uses the training statistics.
        let sigma = (35.0 / 12).squareRoot()
        XCTAssertEqual(Double(split.test.features[0, 0]), (6 - 2.5) / sigma, accuracy: 1e-6)
        XCTAssertEqual(Double(split.test.features[0, 1]), (-1 - 2.5) / sigma, accuracy: 1e-6)
        XCTAssertEqual(Double(split.test.features[0, 2]), 2, accuracy: 1e-6)
        XCTAssertEqual(Double(split.test.features[0, 3]), 0, accuracy: 1e-6)
    }

    // MARK: Subsets

    func testBalancedSubsetCountsDeterminismAndProvenance() throws {
        // Class c has 4 + 3c samples, interleaved.
        var labels: [Int] = []
        for c in 0..<5 { labels += Array(repeating: c, count: 4 + 3 * c) }
        var shuffler = SeededGenerator(seed: 99)
        shuffler.shuffle(&labels)
        let dataset = tinyDataset(labels: labels, classCount: 5)

        var first = SeededGenerator(seed: 7)
        let subset = try dataset.balancedSubset(perClass: 4, generator: &first)
        XCTAssertEqual(subset.classCounts, [4, 4, 4, 4, 4])
        XCTAssertEqual(subset.sourceIndices, subset.sourceIndices.sorted())
        XCTAssertEqual(Set(subset.sourceIndices).count, 20)
        for row in 0..<subset.count {
            let source = subset.sourceIndices[row]
            XCTAssertEqual(subset.labels[row], labels[source])
            XCTAssertEqual(subset.features[row, 0], Float(source))
            XCTAssertEqual(subset.features[row, 1], Float(1000 + source))
        }

        var again = SeededGenerator(seed: 7)
        XCTAssertEqual(try dataset.balancedSubset(perClass: 4, generator: &again).sourceIndices, subset.sourceIndices)
        var other = SeededGenerator(seed: 8)
        XCTAssertNotEqual(try dataset.balancedSubset(perClass: 4, generator: &other).sourceIndices, subset.sourceIndices)

        // A subset of a subset still points into the original order.
        var nested = SeededGenerator(seed: 3)
        let inner = try subset.balancedSubset(perClass: 2, generator: &nested)
        XCTAssertEqual(inner.classCounts, [2, 2, 2, 2, 2])
        XCTAssertTrue(Set(inner.sourceIndices).isSubset(of: Set(subset.sourceIndices)))
        for row in 0..<inner.count { XCTAssertEqual(inner.features[row, 0], Float(inner.sourceIndices[row])) }
    }

    func testBalancedSubsetByTotalAndErrors() throws {
        let dataset = tinyDataset(labels: (0..<50).map { $0 % 5 }, classCount: 5)
        var generator = SeededGenerator(seed: 1)
        XCTAssertEqual(try dataset.balancedSubset(totalCount: 13, generator: &generator).classCounts, [3, 3, 3, 2, 2])
        XCTAssertEqual(try dataset.balancedSubset(totalCount: 0, generator: &generator).count, 0)
        do {
            _ = try dataset.balancedSubset(perClass: 11, generator: &generator)
            XCTFail("a class of 10 cannot give 11")
        } catch let error as DatasetError {
            XCTAssertEqual(error, .classTooSmall(label: 0, available: 10, requested: 11))
            XCTAssertTrue(error.description.contains("at most 10"))
        }
        XCTAssertThrowsError(try dataset.balancedSubset(perClass: -1, generator: &generator))
        XCTAssertThrowsError(try dataset.balancedSubset(totalCount: 51, generator: &generator))
    }

    func testBalancedSubsetIsUniformWithinAClass() throws {
        // Choosing 2 of 5 samples of one class: each is chosen with probability 2/5.
        let dataset = tinyDataset(labels: [0, 0, 0, 0, 0], classCount: 1)
        var generator = SeededGenerator(seed: 2024)
        var hits = [Int](repeating: 0, count: 5)
        let trials = 4000
        for _ in 0..<trials {
            for position in try dataset.balancedPositions(perClass: [2], generator: &generator) { hits[position] += 1 }
        }
        // Binomial standard deviation sqrt(4000·0.4·0.6) ≈ 31; allow 5 of them.
        for count in hits { XCTAssertEqual(Double(count), 0.4 * Double(trials), accuracy: 155) }
    }

    func testFeatureRowsGather() {
        let dataset = tinyDataset(labels: [0, 1, 0, 1], classCount: 2)
        let batch = dataset.featureRows([3, 0, 3])
        XCTAssertEqual(batch.rows, 3)
        XCTAssertEqual(batch.storage, [3, 1003, 0, 1000, 3, 1003])
        XCTAssertEqual(dataset.featureRows([]).rows, 0)
    }

    // MARK: Label corruption

    func testLabelCorruptionExactCountAndDeterminism() throws {
        let labels = (0..<1000).map { ($0 * 7) % 10 }
        let dataset = tinyDataset(labels: labels, classCount: 10)
        var generator = SeededGenerator(seed: 11)
        let noisy = try dataset.corruptingLabels(fraction: 0.25, generator: &generator)
        XCTAssertEqual(noisy.corruptedPositions.count, 250)
        XCTAssertEqual(noisy.originalLabels, labels)
        XCTAssertEqual(noisy.features, dataset.features)
        XCTAssertEqual(zip(noisy.labels, labels).filter { $0 != $1 }.count, 250)
        XCTAssertTrue(noisy.labels.allSatisfy { (0..<10).contains($0) })

        var same = SeededGenerator(seed: 11)
        XCTAssertEqual(try dataset.corruptingLabels(fraction: 0.25, generator: &same).labels, noisy.labels)
        var different = SeededGenerator(seed: 12)
        XCTAssertNotEqual(try dataset.corruptingLabels(fraction: 0.25, generator: &different).labels, noisy.labels)

        XCTAssertEqual(try dataset.corruptingLabels(fraction: 0, generator: &generator).corruptedPositions.count, 0)
        XCTAssertEqual(try dataset.corruptingLabels(fraction: 1, generator: &generator).corruptedPositions.count, 1000)
        XCTAssertEqual(try dataset.corruptingLabels(fraction: 0.0015, generator: &generator).corruptedPositions.count, 2)  // 1.5 rounds up
        XCTAssertThrowsError(try dataset.corruptingLabels(fraction: -0.1, generator: &generator))
        XCTAssertThrowsError(try dataset.corruptingLabels(fraction: .nan, generator: &generator))
        XCTAssertThrowsError(try tinyDataset(labels: [0, 0], classCount: 1).corruptingLabels(fraction: 0.5, generator: &generator))
    }

    func testCorruptedLabelsAreUniformOverTheOtherClasses() throws {
        // Every sample has label 0 and all are corrupted: new labels uniform on 1…4.
        let dataset = tinyDataset(labels: Array(repeating: 0, count: 4000), classCount: 5)
        var generator = SeededGenerator(seed: 5)
        let noisy = try dataset.corruptingLabels(fraction: 1, generator: &generator)
        let counts = noisy.classCounts
        XCTAssertEqual(counts[0], 0)
        // Binomial standard deviation sqrt(4000·0.25·0.75) ≈ 27; allow 5 of them.
        for label in 1..<5 { XCTAssertEqual(Double(counts[label]), 1000, accuracy: 137) }
    }
}
