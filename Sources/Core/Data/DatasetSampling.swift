import Foundation

extension Dataset {

    /// Positions of a class-balanced random sample: `perClass[c]` distinct
    /// samples of each class c (classes by the current `labels`), returned in
    /// ascending order, i.e. in the dataset's own order.
    ///
    /// Classes are visited in order 0, 1, …, k−1; within class c the positions
    /// are listed in dataset order and the first `perClass[c]` of a partial
    /// Fisher–Yates shuffle (each step swapping slot i with a uniform slot in
    /// i..<count, drawn with `generator.nextInt(below:)`) are kept. So the same
    /// generator state always yields the same positions.
    ///
    /// - Throws: `DatasetError.classTooSmall` if a class has fewer samples than
    ///   asked for, `DatasetError.invalidRequest` for a negative count or a
    ///   list whose length is not `classCount`.
    public func balancedPositions(perClass: [Int], generator: inout SeededGenerator) throws -> [Int] {
        guard perClass.count == classCount else {
            throw DatasetError.invalidRequest("a balanced subset needs one count per class (\(classCount)), got \(perClass.count).")
        }
        if let negative = perClass.first(where: { $0 < 0 }) {
            throw DatasetError.invalidRequest("a balanced subset cannot take \(negative) samples of a class; use a count of 0 or more.")
        }
        var members = [[Int]](repeating: [], count: classCount)
        for (position, label) in labels.enumerated() { members[label].append(position) }
        for label in 0..<classCount where members[label].count < perClass[label] {
            throw DatasetError.classTooSmall(label: label, available: members[label].count, requested: perClass[label])
        }
        var chosen: [Int] = []
        chosen.reserveCapacity(perClass.reduce(0, +))
        for label in 0..<classCount {
            var pool = members[label]
            let wanted = perClass[label]
            for slot in 0..<wanted {
                let pick = slot + generator.nextInt(below: pool.count - slot)
                if pick != slot { pool.swapAt(slot, pick) }
            }
            chosen += pool[0..<wanted]
        }
        return chosen.sorted()
    }

    /// A class-balanced random subset with `perClass` samples of every class,
    /// in dataset order (see ``balancedPositions(perClass:generator:)``);
    /// `sourceIndices` of the result give the chosen samples' file positions.
    public func balancedSubset(perClass: Int, generator: inout SeededGenerator) throws -> Dataset {
        subset(positions: try balancedPositions(perClass: Array(repeating: perClass, count: classCount),
                                                generator: &generator))
    }

    /// A class-balanced random subset of `totalCount` samples: ⌊total/k⌋ of
    /// every class, plus one more for each of the first total mod k classes
    /// (classes 0, 1, …), so class sizes differ by at most one.
    public func balancedSubset(totalCount: Int, generator: inout SeededGenerator) throws -> Dataset {
        guard totalCount >= 0 else {
            throw DatasetError.invalidRequest("a subset cannot have \(totalCount) samples; use a size of 0 or more.")
        }
        let base = totalCount / classCount, extra = totalCount % classCount
        let perClass = (0..<classCount).map { base + ($0 < extra ? 1 : 0) }
        return subset(positions: try balancedPositions(perClass: perClass, generator: &generator))
    }

    /// A copy in which exactly round(fraction·n) samples (rounded half away
    /// from zero) have their label replaced by a different one.
    ///
    /// The samples are the first round(fraction·n) slots of a partial
    /// Fisher–Yates shuffle of the positions 0..<n; each chosen sample with
    /// current label y gets the label (y + 1 + u) mod k with u uniform in
    /// 0..<k−1, i.e. a label drawn uniformly from the other k − 1 classes — so
    /// the new label never equals the current one and the corrupted fraction is
    /// exact. Labels are compared with the current `labels`; `originalLabels`
    /// keep the file's labels, so `corruptedPositions` lists the changed rows
    /// (for a dataset not corrupted before). Same generator state, same result.
    ///
    /// - Throws: `DatasetError.invalidRequest` if `fraction` is not in [0, 1],
    ///   or if samples must be corrupted in a dataset with a single class.
    public func corruptingLabels(fraction: Double, generator: inout SeededGenerator) throws -> Dataset {
        guard fraction.isFinite, fraction >= 0, fraction <= 1 else {
            throw DatasetError.invalidRequest("the label-noise fraction must lie between 0 and 1, got \(fraction).")
        }
        let corruptCount = Int((fraction * Double(count)).rounded(.toNearestOrAwayFromZero))
        guard corruptCount == 0 || classCount > 1 else {
            throw DatasetError.invalidRequest("labels cannot be corrupted in a dataset with a single class.")
        }
        var positions = Array(0..<count)
        var newLabels = labels
        for slot in 0..<corruptCount {
            let pick = slot + generator.nextInt(below: count - slot)
            if pick != slot { positions.swapAt(slot, pick) }
            let position = positions[slot]
            newLabels[position] = (labels[position] + 1 + generator.nextInt(below: classCount - 1)) % classCount
        }
        return relabelled(newLabels)
    }
}
