import Foundation

/// A small document model rendered both to Markdown and to self-contained
/// HTML, so that the two reports never drift apart.
struct ReportDocument {
    enum Block {
        case heading(level: Int, text: String)
        case paragraph(String)
        case table(header: [String], rows: [[String]])
        case image(path: String, alt: String)
        case bullets([String])
    }

    var title: String
    var blocks: [Block] = []

    mutating func add(_ block: Block) { blocks.append(block) }

    // MARK: Markdown

    func markdown() -> String {
        var out = "# \(title)\n\n"
        for block in blocks {
            switch block {
            case let .heading(level, text):
                out += String(repeating: "#", count: min(6, level)) + " " + text + "\n\n"
            case let .paragraph(text):
                out += text + "\n\n"
            case let .table(header, rows):
                func cell(_ s: String) -> String {
                    s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
                }
                out += "| " + header.map(cell).joined(separator: " | ") + " |\n"
                out += "|" + header.map { _ in "---" }.joined(separator: "|") + "|\n"
                for row in rows { out += "| " + row.map(cell).joined(separator: " | ") + " |\n" }
                out += "\n"
            case let .image(path, alt):
                out += "![\(alt)](\(path))\n\n"
            case let .bullets(items):
                out += items.map { "- " + $0 }.joined(separator: "\n") + "\n\n"
            }
        }
        return out
    }

    // MARK: HTML

    /// Self-contained HTML: images are embedded as data URIs read from `baseDirectory`.
    func html(baseDirectory: URL) -> String {
        var out = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
            <style>
            body{font-family:-apple-system,"DejaVu Sans",Helvetica,Arial,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
            table{border-collapse:collapse;margin:1em 0;font-size:0.9em}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
            th{background:#f3f3f3}img{max-width:100%;border:1px solid #eee}
            td.pass{color:#176117;font-weight:bold}td.fail{color:#a31515;font-weight:bold}td.known{color:#8a5a00;font-weight:bold}td.inconclusive{color:#1f4e9c;font-weight:bold}td.notrun{color:#666}
            </style></head><body>
            <h1>\(escape(title))</h1>

            """
        for block in blocks {
            switch block {
            case let .heading(level, text):
                let l = min(6, level)
                out += "<h\(l)>\(inline(text))</h\(l)>\n"
            case let .paragraph(text):
                out += "<p>\(inline(text))</p>\n"
            case let .table(header, rows):
                out += "<table><thead><tr>" + header.map { "<th>\(inline($0))</th>" }.joined() + "</tr></thead><tbody>\n"
                for row in rows {
                    out += "<tr>" + row.map { "<td\(verdictClass($0))>\(inline($0))</td>" }.joined() + "</tr>\n"
                }
                out += "</tbody></table>\n"
            case let .image(path, alt):
                let url = baseDirectory.appendingPathComponent(path)
                if let data = try? Data(contentsOf: url) {
                    out += "<p><img alt=\"\(escape(alt))\" src=\"data:image/png;base64,\(data.base64EncodedString())\"></p>\n"
                } else {
                    out += "<p><em>image \(escape(path)) is missing</em></p>\n"
                }
            case let .bullets(items):
                out += "<ul>" + items.map { "<li>\(inline($0))</li>" }.joined() + "</ul>\n"
            }
        }
        return out + "</body></html>\n"
    }

    private func verdictClass(_ text: String) -> String {
        var text = text
        for suffix in [" (changed protocol)", " (partial)"] where text.hasSuffix(suffix) { text = String(text.dropLast(suffix.count)) }
        switch text {
        case "REPRODUCED", "HELD", "PASS": return " class=\"pass\""
        case "NOT REPRODUCED", "LEFT BAND", "FAIL": return " class=\"fail\""
        case "not reproduced (known)": return " class=\"known\""
        case "INCONCLUSIVE": return " class=\"inconclusive\""
        case "not run", "n/a for profile": return " class=\"notrun\""
        default: return ""
        }
    }

    private func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Escapes text and renders `code`, **bold** and [links](url).
    private func inline(_ s: String) -> String {
        var text = escape(s)
        text = text.replacingOccurrences(of: #"\*\*([^*]+)\*\*"#, with: "<strong>$1</strong>", options: .regularExpression)
        text = text.replacingOccurrences(of: #"`([^`]+)`"#, with: "<code>$1</code>", options: .regularExpression)
        text = text.replacingOccurrences(of: #"\[([^\]]+)\]\(([^)\s]+)\)"#, with: "<a href=\"$2\">$1</a>", options: .regularExpression)
        return text
    }
}
