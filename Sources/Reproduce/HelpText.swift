/// Help text as written in the source, made ready for swift-argument-parser, which wraps long lines
/// at the terminal width but keeps every line break it is given: a paragraph hard-wrapped at 100
/// columns in the source would otherwise print with a short line after every wrapped one.
enum HelpText {
    /// Joins the lines of each paragraph into one line. A paragraph ends at a blank line; a line
    /// that starts with a space, "-", "•" or "N." (an indented example, a list item) starts a new
    /// line and keeps its layout, as does the line after it when that one is indented too.
    static func reflow(_ text: String) -> String {
        var lines: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if let previous = lines.last, !previous.isEmpty, !line.isEmpty, !startsOwnLine(line), !startsOwnLine(previous) {
                lines[lines.count - 1] = previous + " " + line
            } else {
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }

    private static func startsOwnLine(_ line: String) -> Bool {
        guard let first = line.first else { return true }
        if first == " " || first == "-" || first == "•" { return true }
        let digits = line.prefix { $0.isNumber }
        return !digits.isEmpty && line.dropFirst(digits.count).first == "."
    }
}
