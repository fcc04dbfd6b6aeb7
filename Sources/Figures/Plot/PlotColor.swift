import Foundation

/// An RGBA colour with components in [0, 1] (sRGB, straight alpha).
public struct PlotColor: Hashable, Sendable {
    public var r: Double
    public var g: Double
    public var b: Double
    public var a: Double

    /// Components are clamped to [0, 1] when drawn, not here.
    public init(r: Double, g: Double, b: Double, a: Double = 1) {
        self.r = r
        self.g = g
        self.b = b
        self.a = a
    }

    /// A colour from a 24-bit `0xRRGGBB` value.
    public init(hex: UInt32, alpha: Double = 1) {
        self.init(
            r: Double((hex >> 16) & 0xFF) / 255,
            g: Double((hex >> 8) & 0xFF) / 255,
            b: Double(hex & 0xFF) / 255,
            a: alpha)
    }

    /// The same colour with opacity `alpha`.
    public func withAlpha(_ alpha: Double) -> PlotColor {
        PlotColor(r: r, g: g, b: b, a: alpha)
    }

    /// Linear RGB mix: `fraction` 0 gives `self`, 1 gives `other`.
    public func mixed(with other: PlotColor, fraction: Double) -> PlotColor {
        let f = min(max(fraction, 0), 1)
        return PlotColor(
            r: r + (other.r - r) * f, g: g + (other.g - g) * f,
            b: b + (other.b - b) * f, a: a + (other.a - a) * f)
    }

    /// `0xRRGGBB` of the colour, components rounded to 8 bits (alpha ignored).
    public var hexValue: UInt32 {
        func byte(_ v: Double) -> UInt32 { UInt32((min(max(v, 0), 1) * 255).rounded()) }
        return byte(r) << 16 | byte(g) << 8 | byte(b)
    }

    public static let black = PlotColor(r: 0, g: 0, b: 0)
    public static let white = PlotColor(r: 1, g: 1, b: 1)
    /// Dark grey used for axes, ticks and text.
    public static let ink = PlotColor(hex: 0x262626)
    /// Mid grey for secondary text and reference lines.
    public static let gray = PlotColor(hex: 0x808080)
    /// Light grey used for grid lines.
    public static let gridGray = PlotColor(hex: 0xE3E3E3)
    /// Colour of heat-map cells whose value is missing (NaN).
    public static let missingValue = PlotColor(hex: 0xD0D0D0)

    /// Nine colours that stay distinguishable for readers with common forms of
    /// colour blindness: the Okabe–Ito set (blue, vermillion, bluish green,
    /// orange, reddish purple, sky blue, black, yellow) followed by grey.
    /// Yellow comes late because it is weak on white.
    public static let palette: [PlotColor] = [
        PlotColor(hex: 0x0072B2), PlotColor(hex: 0xD55E00), PlotColor(hex: 0x009E73),
        PlotColor(hex: 0xE69F00), PlotColor(hex: 0xCC79A7), PlotColor(hex: 0x56B4E9),
        PlotColor(hex: 0x000000), PlotColor(hex: 0xF0E442), PlotColor(hex: 0x999999),
    ]

    /// The `index`-th palette colour, cycling when `index` exceeds the palette (negative indices wrap too).
    public static func palette(_ index: Int) -> PlotColor {
        let n = palette.count
        return palette[((index % n) + n) % n]
    }

    /// The colour that `colormap` gives `value` on the scale `range`.
    ///
    /// Linear scale: t = (value − lower) / (upper − lower). Log scale:
    /// t = (log₁₀ value − log₁₀ lower) / (log₁₀ upper − log₁₀ lower), and
    /// non-positive values or bounds give ``missingValue``. A degenerate range
    /// (lower = upper) maps every finite value to the middle of the map;
    /// NaN gives ``missingValue``; values outside the range are clamped.
    public static func fromColormap(
        _ colormap: Colormap, value: Double, range: ClosedRange<Double>, scale: AxisScale = .linear
    ) -> PlotColor {
        guard let t = ColorScale(range: range, scale: scale).position(of: value) else { return .missingValue }
        return colormap.color(at: t)
    }
}

/// Maps values to positions in [0, 1] of a colour map.
struct ColorScale: Sendable {
    var range: ClosedRange<Double>
    var scale: AxisScale

    /// Position in [0, 1] (clamped), or nil when the value cannot be placed
    /// (NaN, or non-positive on a log scale).
    func position(of value: Double) -> Double? {
        guard !value.isNaN else { return nil }
        let lo: Double, hi: Double, v: Double
        switch scale {
        case .linear:
            (lo, hi, v) = (range.lowerBound, range.upperBound, value)
        case .log10:
            guard value > 0, range.lowerBound > 0, range.upperBound > 0 else { return nil }
            (lo, hi, v) = (Foundation.log10(range.lowerBound), Foundation.log10(range.upperBound), Foundation.log10(value))
        }
        guard lo.isFinite, hi.isFinite else { return nil }
        guard hi > lo else { return 0.5 }
        return min(max((v - lo) / (hi - lo), 0), 1)
    }
}
