import CCairo
import Foundation

/// The pixels of a rendered figure, for checking what was drawn where.
struct PlotRaster {
    let layout: FigureLayout
    let scale: Double
    let width: Int
    let height: Int
    /// Straight (not premultiplied) RGBA bytes, row by row.
    let rgba: [UInt8]

    /// Renders `figure` in memory at `scale` pixels per point.
    init(_ figure: PlotFigure, scale: Double = 2) throws {
        let layout = try figure.measuredLayout()
        let surface = try figure.rasterize(layout, scale: scale, reportingAs: URL(fileURLWithPath: "(memory)"))
        defer { cairo_surface_destroy(surface) }
        let width = Int(cairo_image_surface_get_width(surface)), height = Int(cairo_image_surface_get_height(surface))
        let stride = Int(cairo_image_surface_get_stride(surface))
        var rgba = [UInt8](repeating: 0, count: width * height * 4)
        if let data = cairo_image_surface_get_data(surface) {
            for y in 0..<height {
                for x in 0..<width {
                    // ARGB32 is a native-endian 32-bit word with premultiplied alpha.
                    let word = data.advanced(by: y * stride + x * 4).withMemoryRebound(to: UInt32.self, capacity: 1) { $0.pointee }
                    let a = Double(word >> 24), r = Double((word >> 16) & 0xFF), g = Double((word >> 8) & 0xFF), b = Double(word & 0xFF)
                    let unpremultiply = { (c: Double) -> UInt8 in a > 0 ? UInt8(min(255, (c * 255 / a).rounded())) : 0 }
                    let offset = (y * width + x) * 4
                    rgba[offset] = unpremultiply(r)
                    rgba[offset + 1] = unpremultiply(g)
                    rgba[offset + 2] = unpremultiply(b)
                    rgba[offset + 3] = UInt8(a)
                }
            }
        }
        self.layout = layout
        self.scale = scale
        self.width = width
        self.height = height
        self.rgba = rgba
    }

    /// The colour at figure coordinates (points), or nil outside the image.
    func color(atPoint x: Double, _ y: Double) -> PlotColor? {
        let px = Int((x * scale).rounded(.down)), py = Int((y * scale).rounded(.down))
        guard px >= 0, py >= 0, px < width, py < height else { return nil }
        let offset = (py * width + px) * 4
        return PlotColor(
            r: Double(rgba[offset]) / 255, g: Double(rgba[offset + 1]) / 255,
            b: Double(rgba[offset + 2]) / 255, a: Double(rgba[offset + 3]) / 255)
    }

    /// The colour at data coordinates of panel `index`, or nil when the point cannot be placed.
    func color(panel index: Int, x: Double, y: Double) -> PlotColor? {
        let panel = layout.panels[index]
        guard let px = panel.xMap.position(x), let py = panel.yMap.position(y) else { return nil }
        return color(atPoint: panel.origin.x + px, panel.origin.y + py)
    }
}
