import CCairo
import Foundation

/// Font settings of one piece of text.
struct PlotFont: Sendable {
    var size: Double
    var bold: Bool = false

    static let family = "DejaVu Sans"
    /// Scripts are drawn at this fraction of the base size.
    static let scriptScale = 0.7
    /// Baseline shift of a superscript (upwards) and subscript (downwards), in units of the base size.
    static let superscriptRise = 0.38
    static let subscriptDrop = 0.17
}

/// Where a text's anchor point lies vertically.
enum VerticalAlignment: Sendable {
    /// Top of the ink (including raised superscripts).
    case top
    /// Middle of a capital letter of the base font (stable across labels).
    case middle
    case baseline
    /// Bottom of the ink (including descenders and subscripts).
    case bottom
}

/// The measured extent of a text relative to its start on the baseline.
struct TextMetrics: Equatable, Sendable {
    /// Advance width in points.
    var width: Double
    /// Top of the ink, negative above the baseline.
    var top: Double
    /// Bottom of the ink, positive below the baseline.
    var bottom: Double

    var height: Double { bottom - top }
}

/// Measures and draws markup text (see ``TextMarkup``) with Cairo's toy font API.
struct PlotTextPainter {
    let context: OpaquePointer

    /// Distance from the middle of a capital letter down to the baseline, in units of the font size (DejaVu Sans cap height 0.73 em).
    static let middleOffset = 0.365

    /// Configures font rendering so that metrics agree between PNG and PDF surfaces.
    static func configureFontOptions(_ context: OpaquePointer) {
        guard let options = cairo_font_options_create() else { return }
        cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF)
        cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE)
        cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY)
        cairo_set_font_options(context, options)
        cairo_font_options_destroy(options)
    }

    private func select(_ font: PlotFont, position: TextRun.Position) {
        cairo_select_font_face(
            context, PlotFont.family, CAIRO_FONT_SLANT_NORMAL,
            font.bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(context, position == .normal ? font.size : font.size * PlotFont.scriptScale)
    }

    private func baselineShift(_ position: TextRun.Position, _ font: PlotFont) -> Double {
        switch position {
        case .normal: return 0
        case .superscript: return -PlotFont.superscriptRise * font.size
        case .subscript: return PlotFont.subscriptDrop * font.size
        }
    }

    /// Extent of `markup` set in `font`; text without ink gets the height of a capital letter.
    func measure(_ markup: String, _ font: PlotFont) -> TextMetrics {
        var width = 0.0
        var top = Double.infinity, bottom = -Double.infinity
        for run in TextMarkup.parse(markup) {
            select(font, position: run.position)
            var extents = cairo_text_extents_t()
            cairo_text_extents(context, run.text, &extents)
            let shift = baselineShift(run.position, font)
            if extents.width > 0 || extents.height > 0 {
                top = min(top, extents.y_bearing + shift)
                bottom = max(bottom, extents.y_bearing + extents.height + shift)
            }
            width += extents.x_advance
        }
        if top > bottom {
            top = -0.73 * font.size
            bottom = 0
        }
        return TextMetrics(width: width, top: top, bottom: bottom)
    }

    /// Draws `markup` with its anchor point at (x, y).
    ///
    /// `horizontal` is the fraction of the width left of the anchor
    /// (0 left-aligned, 0.5 centred, 1 right-aligned). `rotation` in radians
    /// turns the text about the anchor (−π/2 reads bottom to top).
    func draw(
        _ markup: String, _ font: PlotFont, color: PlotColor, x: Double, y: Double,
        horizontal: Double, vertical: VerticalAlignment, rotation: Double = 0
    ) {
        let metrics = measure(markup, font)
        let baseline: Double
        switch vertical {
        case .top: baseline = -metrics.top
        case .middle: baseline = Self.middleOffset * font.size
        case .baseline: baseline = 0
        case .bottom: baseline = -metrics.bottom
        }
        cairo_save(context)
        cairo_translate(context, x, y)
        if rotation != 0 { cairo_rotate(context, rotation) }
        CairoPaint.setColor(context, color)
        var pen = -metrics.width * horizontal
        for run in TextMarkup.parse(markup) {
            select(font, position: run.position)
            cairo_move_to(context, pen, baseline + baselineShift(run.position, font))
            cairo_show_text(context, run.text)
            var extents = cairo_text_extents_t()
            cairo_text_extents(context, run.text, &extents)
            pen += extents.x_advance
        }
        cairo_restore(context)
    }
}

/// Small helpers over the Cairo C API.
enum CairoPaint {
    static func setColor(_ context: OpaquePointer, _ color: PlotColor) {
        func clamp(_ v: Double) -> Double { min(max(v.isNaN ? 0 : v, 0), 1) }
        cairo_set_source_rgba(context, clamp(color.r), clamp(color.g), clamp(color.b), clamp(color.a))
    }

    static func setDash(_ context: OpaquePointer, _ dash: [Double]?) {
        let pattern = (dash ?? []).filter { $0.isFinite && $0 >= 0 }
        if pattern.isEmpty || pattern.allSatisfy({ $0 == 0 }) {
            cairo_set_dash(context, nil, 0, 0)
        } else {
            pattern.withUnsafeBufferPointer { cairo_set_dash(context, $0.baseAddress, Int32($0.count), 0) }
        }
    }

    static func rectangle(_ context: OpaquePointer, _ rect: PlotRect) {
        cairo_rectangle(context, rect.x, rect.y, rect.width, rect.height)
    }

    /// Appends a rounded rectangle path.
    static func roundedRectangle(_ context: OpaquePointer, _ rect: PlotRect, radius: Double) {
        let r = min(radius, rect.width / 2, rect.height / 2)
        cairo_new_sub_path(context)
        cairo_arc(context, rect.maxX - r, rect.minY + r, r, -Double.pi / 2, 0)
        cairo_arc(context, rect.maxX - r, rect.maxY - r, r, 0, Double.pi / 2)
        cairo_arc(context, rect.minX + r, rect.maxY - r, r, Double.pi / 2, Double.pi)
        cairo_arc(context, rect.minX + r, rect.minY + r, r, Double.pi, 3 * Double.pi / 2)
        cairo_close_path(context)
    }
}
