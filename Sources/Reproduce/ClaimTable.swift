import Figures

/// Renders claims as a fixed-width table for the terminal.
enum ClaimTable {
    static func render(_ claims: [ClaimResult]) -> String {
        let header = ["claim", "profile", "kind", "measured", "interval", "accepted", "verdict"]
        let rows = claims.map { c in
            [c.claim.id, c.profile.rawValue, c.claim.kind == .paper ? "paper" : "band",
             c.measured.map(NumberText.format) ?? "—", c.intervalText, c.claim.acceptedRangeText, c.verdictText]
        }
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        var out = [line(header), line(widths.map { String(repeating: "─", count: $0) })]
        out += rows.map(line)
        // Claims not run for the same reason (typically a dataset that is not on this machine) share one line.
        var notRunIds: [String: [String]] = [:]
        var notRunReasons: [String] = []
        for claim in claims where claim.verdict == .notRun {
            let reason = claim.detailWithQualification
            if notRunIds[reason] == nil { notRunReasons.append(reason) }
            notRunIds[reason, default: []].append(claim.claim.id)
        }
        for reason in notRunReasons {
            out.append("  \(notRunIds[reason, default: []].joined(separator: ", ")): \(reason)")
        }
        for claim in claims where claim.verdict != .notRun
            && (claim.verdict.failsGate || claim.verdict == .knownDeviation || claim.isQualified) {
            out.append("  \(claim.claim.id): \(claim.detailWithQualification)")
        }
        for claim in claims where claim.verdict == .inconclusive {
            out.append("  \(claim.claim.id): INCONCLUSIVE — the interval \(claim.interval?.rangeText ?? "—") straddles a bound of \(claim.claim.acceptedRangeText); "
                       + (claim.decidingText ?? ""))
        }
        return out.joined(separator: "\n")
    }
}
