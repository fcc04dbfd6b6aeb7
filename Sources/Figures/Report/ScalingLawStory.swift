import Core
import Foundation

/// The report's one place for the paper's headline (Corollary 1, Fig 3): the paper's slope
/// 3/5, the slopes this pipeline measured under each profile with their intervals, the
/// infinite-width theory's own slope at the paper's depths, and one plain sentence on
/// whether the scaling law reproduced. Everything comes from evaluated claims; nothing
/// is recomputed.
struct ScalingLawStory {
    /// Fashion-MNIST is the dataset every profile runs; the sentence is about it.
    static let fullSlopeId = "fig3.fashionMNIST.slope"
    static let quickSlopeId = "fig3.fashionMNIST.slope.quick"
    static let theorySlopeId = "theory.equilibrium.slope.depths10to100"
    static let otherDatasetSlopeIds = ["fig3.mnist.slope", "fig3.cifar10.slope"]

    let claims: [ClaimResult]
    /// Every figure result (main and full), for the sensitivity measurements that are not claims.
    var results: [FigureResult] = []

    static let perOutputIds: [(label: String, id: String)] = [
        ("paper protocol (--full), Fashion-MNIST, A_l centred per output", "fig3.fashionMNIST.slope.perOutputCentring"),
        ("quick protocol (--quick), Fashion-MNIST, A_l centred per output", "fig3.fashionMNIST.slope.perOutputCentring.quick"),
    ]

    private func measured(_ id: String) -> ClaimResult? {
        claims.first { $0.claim.id == id && $0.measured != nil }
    }

    /// Whether any Fig 3 slope was measured.
    var hasMeasurement: Bool {
        measured(Self.fullSlopeId) != nil || measured(Self.quickSlopeId) != nil
    }

    /// The interval text of a slope measurement ("bootstrap [a, b], OLS [c, d]"), taken from its detail.
    static func interval(from detail: String) -> String {
        guard let open = detail.range(of: "(95% CI: "), let close = detail[open.upperBound...].range(of: ")") else { return "—" }
        return String(detail[open.upperBound..<close.lowerBound])
    }

    /// Rows: paper, paper protocol, quick protocol, other datasets, theory.
    var rows: [[String]] {
        var rows: [[String]] = [["paper (Corollary 1, Fig 3)", "0.6 (3/5)", "—", "—", "the Equilibrium Hypothesis, l* ≈ C·L^{3/5}"]]
        func row(_ label: String, _ id: String) {
            guard let claim = measured(id) else { return }
            rows.append([label, NumberText.format(claim.measured ?? .nan), Self.interval(from: claim.detail), claim.verdictText,
                         claim.partialBecause ?? claim.claim.knownDeviation.map { "known deviation; evidence: \($0.evidence)" } ?? ""])
        }
        row("paper protocol (--full), Fashion-MNIST", Self.fullSlopeId)
        row("paper protocol (--full), MNIST", Self.otherDatasetSlopeIds[0])
        row("paper protocol (--full), CIFAR-10", Self.otherDatasetSlopeIds[1])
        row("quick protocol (--quick), Fashion-MNIST", Self.quickSlopeId)
        for (label, id) in Self.perOutputIds {
            guard let measurement = results.flatMap(\.measurements).first(where: { $0.claimId == id }), let value = measurement.value else { continue }
            rows.append([label, NumberText.format(value), Self.interval(from: measurement.detail), "no verdict (not the paper's Eq. 6)",
                         "sensitivity to the centring convention (the paper defines C = I − 11ᵀ/(kn); code built on nngeometry centres per output): "
                            + measurement.detail + (measurement.partialBecause.map { "; " + $0 } ?? "")])
        }
        if let theory = measured(Self.theorySlopeId) {
            rows.append(["infinite-width theory, L = 10–100 (figure 'theory')", NumberText.format(theory.measured ?? .nan), "exact (deterministic)",
                         "—", "the theory's own l*(L) is not yet a power law at these depths; it approaches 3/5 only for L ≳ 10³"])
        }
        return rows
    }

    /// One plain sentence: did the scaling law reproduce?
    var verdictSentence: String {
        if let full = measured(Self.fullSlopeId) {
            let slope = NumberText.format(full.measured ?? .nan)
            var partial = full.partialBecause == nil ? "" : " This rests on part of the paper protocol's runs (\(full.partialBecause ?? "")), so it is provisional."
            if let changed = full.protocolChangedBecause { partial += " The protocol was changed from the paper's (\(changed))." }
            if full.verdict == .reproduced {
                return "Under the paper's protocol the scaling law reproduced on Fashion-MNIST: the fitted slope is \(slope), within \(full.claim.acceptedRangeText).\(partial)"
            }
            return "Under the paper's protocol the scaling law did not reproduce on Fashion-MNIST: the fitted slope is \(slope) "
                + "(95% interval \(Self.interval(from: full.detail))), against the paper's \(full.claim.acceptedRangeText).\(partial)"
        }
        if let quick = measured(Self.quickSlopeId) {
            return "Only the quick protocol was measured here (slope \(NumberText.format(quick.measured ?? .nan)), verdict \(quick.verdictText)); "
                + "the quick protocol trains on a subset and is a regression gate, so the paper's claim is judged by `reproduce fig3 --full`."
        }
        return "The scaling law was not measured."
    }
}
