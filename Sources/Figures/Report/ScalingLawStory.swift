import Core
import Foundation

/// The report's one place for the paper's headline (Corollary 1, Fig 3): the paper's slope
/// 3/5, the slopes this pipeline measured under each profile with their intervals, the
/// infinite-width theory's own slope at the paper's depths, and one plain sentence on
/// whether the scaling law reproduced. Everything comes from evaluated claims; nothing
/// is recomputed.
struct ScalingLawStory {
    /// Fashion-MNIST is the dataset every profile runs; the sentence is about it.
    static let fullSlopeId = ClaimID.fig3FashionMNISTSlope
    static let quickSlopeId = ClaimID.fig3FashionMNISTSlopeQuick
    static let theorySlopeId = ClaimID.theoryEquilibriumSlopeDepths10to100
    static let otherDatasetSlopeIds: [ClaimID] = [.fig3MNISTSlope, .fig3CIFAR10Slope]

    let claims: [ClaimResult]
    /// Every figure result (main and full), for the sensitivity measurements that are not claims.
    var results: [FigureResult] = []

    static let perOutputIds: [(label: String, id: ClaimID)] = [
        ("paper protocol (--full), Fashion-MNIST, A_l centred per output", .fig3FashionMNISTSlopePerOutputCentring),
        ("quick protocol (--quick), Fashion-MNIST, A_l centred per output", .fig3FashionMNISTSlopePerOutputCentringQuick),
    ]

    /// The authors' protocols (`--protocol authors`, docs/authors-protocol.md): their claims, then
    /// their sensitivity to the paper's Eq. 6 centring (they centre per output).
    static let authorsClaimIds: [(label: String, id: ClaimID)] = [
        ("authors' protocol (--full --protocol authors), Fashion-MNIST", .fig3FashionMNISTSlopeAuthors),
        ("authors' protocol, quick variant (--quick --protocol authors)", .fig3FashionMNISTSlopeAuthorsQuick),
        ("authors' generic.py protocol (--full --protocol authors-generic)", .fig3FashionMNISTSlopeAuthorsGeneric),
        ("authors' generic.py protocol, quick variant", .fig3FashionMNISTSlopeAuthorsGenericQuick),
    ]
    static let authorsEq6Ids: [(label: String, id: ClaimID)] = [
        ("authors' protocol (--full), A_l with the paper's Eq. 6 centring", .fig3FashionMNISTSlopeAuthorsFullCentring),
        ("authors' protocol, quick variant, A_l with Eq. 6 centring", .fig3FashionMNISTSlopeAuthorsFullCentringQuick),
    ]

    private func measured(_ id: ClaimID) -> ClaimResult? {
        claims.first { $0.claim.id == id.rawValue && $0.measured != nil }
    }

    /// Whether any Fig 3 slope was measured.
    var hasMeasurement: Bool {
        measured(Self.fullSlopeId) != nil || measured(Self.quickSlopeId) != nil || Self.authorsClaimIds.contains { measured($0.id) != nil }
    }

    /// What each protocol family's slope says, and where the factor study is (one paragraph).
    var protocolsParagraph: String {
        var parts = ["The paper's text (Table 2) and the authors' public code (GitHub bugbuglou/NTK_alignment, `fmnist_FNNs_MC5.py`) train differently: "
            + "width 100 vs 256, weight decay 5·10⁻⁴ (assumed) vs none, an epoch-mean stop vs a running-average stop, a balanced probe vs the first 2000 shuffled images, "
            + "and A_l centred as in Eq. 6 vs per output (docs/authors-protocol.md)."]
        for (label, id) in Self.authorsClaimIds {
            guard let claim = measured(id) else { continue }
            parts.append("Under the \(label) the slope is \(NumberText.format(claim.measured ?? .nan)), interval \(claim.intervalText): \(claim.verdictText)"
                + (claim.partialBecause.map { " (\($0))" } ?? "") + ".")
        }
        parts.append("docs/factor-table.md moves one setting at a time from the quick protocol to the authors' code with paired seeds "
            + "and says which factor decides the outcome (`reproduce factors --stability 10` regenerates it from the committed records).")
        return parts.joined(separator: " ")
    }

    /// The interval of a measurement that is not a claim, from its numbers (as ``ClaimResult/intervalText``).
    static func intervalText(_ measurement: ClaimMeasurement) -> String {
        guard let interval = measurement.interval else { return measurement.method?.text ?? "no interval recorded" }
        return "\(interval.rangeText) (\(NumberText.format(interval.level * 100))% \(measurement.uncertainty.method.text)"
            + (measurement.sampleSize.map { ", n = \($0)" } ?? "") + ")"
    }

    /// Rows: paper, paper protocol, quick protocol, other datasets, theory.
    var rows: [[String]] {
        var rows: [[String]] = [["paper (Corollary 1, Fig 3)", "0.6 (3/5)", "—", "—", "the Equilibrium Hypothesis, l* ≈ C·L^{3/5}"]]
        func row(_ label: String, _ id: ClaimID) {
            guard let claim = measured(id) else { return }
            let note = [claim.decidingText, claim.partialBecause,
                        claim.verdict == .knownDeviation ? claim.claim.knownDeviation.map { "known deviation; evidence: \($0.evidence)" } : nil]
            rows.append([label, NumberText.format(claim.measured ?? .nan), claim.intervalText, claim.verdictText,
                         note.compactMap { $0 }.joined(separator: "; ")])
        }
        row("paper protocol (--full), Fashion-MNIST", Self.fullSlopeId)
        row("paper protocol (--full), MNIST", Self.otherDatasetSlopeIds[0])
        row("paper protocol (--full), CIFAR-10", Self.otherDatasetSlopeIds[1])
        row("quick protocol (--quick), Fashion-MNIST", Self.quickSlopeId)
        func sensitivity(_ label: String, _ id: ClaimID, verdict: String, what: String) {
            guard let measurement = results.flatMap(\.measurements).first(where: { $0.claimId == id }), let value = measurement.value else { return }
            rows.append([label, NumberText.format(value), Self.intervalText(measurement), verdict,
                         what + measurement.detail + (measurement.partialBecause.map { "; " + $0 } ?? "")])
        }
        for (label, id) in Self.perOutputIds {
            sensitivity(label, id, verdict: "no verdict (not the paper's Eq. 6)",
                        what: "sensitivity to the centring convention (the paper defines C = I − 11ᵀ/(kn); code built on nngeometry centres per output): ")
        }
        for (label, id) in Self.authorsClaimIds { row(label, id) }
        for (label, id) in Self.authorsEq6Ids {
            sensitivity(label, id, verdict: "no verdict (sensitivity)", what: "the same runs with A_l centred as in Eq. 6: ")
        }
        if let theory = measured(Self.theorySlopeId) {
            rows.append(["infinite-width theory, L = 10–100 (figure 'theory')", NumberText.format(theory.measured ?? .nan), theory.intervalText,
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
            if full.verdict == .inconclusive {
                return "Under the paper's protocol the scaling law is not decided on Fashion-MNIST: the fitted slope is \(slope) "
                    + "(95% interval \(full.interval?.rangeText ?? "—")), whose interval straddles a bound of \(full.claim.acceptedRangeText); "
                    + (full.decidingText ?? "") + ".\(partial)"
            }
            return "Under the paper's protocol the scaling law did not reproduce on Fashion-MNIST: the fitted slope is \(slope) "
                + "(95% interval \(full.interval?.rangeText ?? "—")), against the paper's \(full.claim.acceptedRangeText).\(partial)"
        }
        if let quick = measured(Self.quickSlopeId) {
            return "Only the quick protocol was measured here (slope \(NumberText.format(quick.measured ?? .nan)), verdict \(quick.verdictText)); "
                + "the quick protocol trains on a subset and is a regression gate, so the paper's claim is judged by `reproduce fig3 --full`."
        }
        return "The scaling law was not measured."
    }
}
