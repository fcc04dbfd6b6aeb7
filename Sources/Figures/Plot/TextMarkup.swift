/// A piece of label text drawn at one vertical position.
public struct TextRun: Equatable, Sendable {
    /// Where a run sits relative to the baseline.
    public enum Position: Equatable, Sendable {
        case normal
        /// Smaller and raised: `^{…}` or `^c`.
        case superscript
        /// Smaller and lowered: `_{…}` or `_c`.
        case `subscript`
    }

    public var text: String
    public var position: Position

    public init(_ text: String, _ position: Position = .normal) {
        self.text = text
        self.position = position
    }
}

/// The small markup language of every plot label, title, legend entry and annotation.
///
/// - `^{text}` and `_{text}`: superscript and subscript of `text` (braces may
///   nest; the inner text is taken literally, scripts do not nest).
/// - `^c` and `_c`: superscript or subscript of the single character `c`.
/// - `\^`, `\_`, `\{`, `\}`, `\\`: the literal character.
/// - A `^` or `_` at the very end, or followed by a space, is literal text.
/// - An unclosed `^{` runs to the end of the string.
/// Greek letters and other symbols are plain Unicode ("α", "ζ", "ℓ").
///
/// Example: `"A_{l} / max_{l} A_{l}"` → normal "A", subscript "l",
/// normal " / max", subscript "l", normal " A", subscript "l".
public enum TextMarkup {
    /// Splits `markup` into runs; adjacent runs with the same position are merged and empty runs dropped.
    public static func parse(_ markup: String) -> [TextRun] {
        var runs: [TextRun] = []
        var current = ""
        func flush(_ position: TextRun.Position, _ text: String) {
            guard !text.isEmpty else { return }
            if let last = runs.last, last.position == position {
                runs[runs.count - 1].text += text
            } else {
                runs.append(TextRun(text, position))
            }
        }

        let characters = Array(markup)
        var i = 0
        while i < characters.count {
            let c = characters[i]
            if c == "\\", i + 1 < characters.count, "^_{}\\".contains(characters[i + 1]) {
                current.append(characters[i + 1])
                i += 2
                continue
            }
            if c == "^" || c == "_", i + 1 < characters.count, characters[i + 1] != " " {
                let position: TextRun.Position = c == "^" ? .superscript : .subscript
                let script: String
                if characters[i + 1] == "{" {
                    var depth = 1
                    var j = i + 2
                    var body = ""
                    while j < characters.count {
                        let d = characters[j]
                        if d == "\\", j + 1 < characters.count {
                            body.append(characters[j + 1])
                            j += 2
                            continue
                        }
                        if d == "{" { depth += 1 }
                        if d == "}" {
                            depth -= 1
                            if depth == 0 { break }
                        }
                        body.append(d)
                        j += 1
                    }
                    script = body
                    i = j + 1
                } else {
                    script = String(characters[i + 1])
                    i += 2
                }
                flush(.normal, current)
                current = ""
                flush(position, script)
                continue
            }
            current.append(c)
            i += 1
        }
        flush(.normal, current)
        return runs
    }

    /// The text with markup removed (what a reader would type), e.g. "L^{3/5}" → "L3/5".
    public static func plainText(_ markup: String) -> String {
        parse(markup).map(\.text).joined()
    }
}
