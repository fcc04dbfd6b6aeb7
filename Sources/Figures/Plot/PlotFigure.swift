import CCairo
import Core
import Foundation

/// A figure: panels on a grid, drawn by one renderer to PNG and to vector PDF.
///
/// Panels fill the grid row by row. Every panel gets a cell of `panelSize`
/// points; a column grows to the right when one of its panels has a colour
/// bar or an outside legend, so plot areas keep the same size.
public struct PlotFigure: Sendable {
    public var panels: [Panel]
    /// Panels per row (at most the number of panels is used).
    public var columns: Int
    /// Size of each panel's cell in points, including its axis labels and title.
    public var panelSize: (width: Double, height: Double)
    /// Title centred above all panels (markup).
    public var title: String?
    /// Letters "(a)", "(b)", … at the top left of each panel when there is more than one.
    public var panelLetters: Bool

    public init(
        panels: [Panel], columns: Int = 2, panelSize: (width: Double, height: Double) = (320, 240),
        title: String? = nil, panelLetters: Bool = true
    ) {
        self.panels = panels
        self.columns = columns
        self.panelSize = panelSize
        self.title = title
        self.panelLetters = panelLetters
    }

    /// Writes the figure as a PNG of `pngScale` pixels per point (white
    /// background) and as a PDF of the same size in points, both from the
    /// same drawing code.
    ///
    /// Each file is drawn into a temporary file beside its destination
    /// (".name.partial-PID-N") and renamed over the destination only after both
    /// are complete, so readers never see a partial plot; temporary files are
    /// removed on failure. Missing directories are created.
    /// - Throws: ``PlotError`` naming the file that could not be written, or
    ///   `.invalidFigure` when there are no panels, sizes or the scale are not
    ///   positive, or the PNG would exceed 32767 pixels on a side.
    public func render(png: URL, pdf: URL, pngScale: Double = 2.0) throws {
        let layout = try validatedLayout(pngScale: pngScale)
        let pngTemporary = try PlotOutput.prepare(png)
        defer { PlotOutput.discard(pngTemporary) }
        let pdfTemporary = try PlotOutput.prepare(pdf)
        defer { PlotOutput.discard(pdfTemporary) }
        try drawPNG(layout, to: pngTemporary, reportingAs: png, scale: pngScale)
        try drawPDF(layout, to: pdfTemporary, reportingAs: pdf)
        try PlotOutput.commit(pngTemporary, to: png)
        try PlotOutput.commit(pdfTemporary, to: pdf)
    }

    /// Writes only the PNG (see ``render(png:pdf:pngScale:)``).
    public func renderPNG(to url: URL, scale: Double = 2.0) throws {
        let layout = try validatedLayout(pngScale: scale)
        let temporary = try PlotOutput.prepare(url)
        defer { PlotOutput.discard(temporary) }
        try drawPNG(layout, to: temporary, reportingAs: url, scale: scale)
        try PlotOutput.commit(temporary, to: url)
    }

    /// Writes only the PDF (see ``render(png:pdf:pngScale:)``).
    public func renderPDF(to url: URL) throws {
        let layout = try validatedLayout(pngScale: 1)
        let temporary = try PlotOutput.prepare(url)
        defer { PlotOutput.discard(temporary) }
        try drawPDF(layout, to: temporary, reportingAs: url)
        try PlotOutput.commit(temporary, to: url)
    }

    /// The figure's size in points (as written to the PDF); the PNG is this times its scale, rounded up.
    /// - Throws: ``PlotError/cairoFailure(path:operation:status:)`` when Cairo cannot measure text.
    public func size() throws -> (width: Double, height: Double) {
        let layout = try measuredLayout()
        return (layout.width, layout.height)
    }

    // MARK: Drawing

    /// Lays the figure out, measuring text on a 1×1 scratch surface with the same font options as the outputs.
    func measuredLayout() throws -> FigureLayout {
        guard let surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1) else {
            throw PlotError.cairoFailure(path: "(layout)", operation: "create a scratch surface", status: "out of memory")
        }
        defer { cairo_surface_destroy(surface) }
        guard let context = cairo_create(surface) else {
            throw PlotError.cairoFailure(path: "(layout)", operation: "create a scratch context", status: "out of memory")
        }
        defer { cairo_destroy(context) }
        PlotTextPainter.configureFontOptions(context)
        let layout = FigureLayout.make(self, painter: PlotTextPainter(context: context))
        try PlotOutput.check(cairo_status(context), URL(fileURLWithPath: "(layout)"), "measure the figure's text")
        return layout
    }

    private func validatedLayout(pngScale: Double) throws -> FigureLayout {
        guard !panels.isEmpty else { throw PlotError.invalidFigure(reason: "it has no panels; add at least one Panel") }
        guard columns >= 1 else { throw PlotError.invalidFigure(reason: "columns is \(columns); use 1 or more") }
        guard panelSize.width.isFinite, panelSize.height.isFinite, panelSize.width >= 60, panelSize.height >= 60 else {
            throw PlotError.invalidFigure(reason: "panelSize \(panelSize.width)×\(panelSize.height) pt is too small; use at least 60×60")
        }
        guard pngScale.isFinite, pngScale > 0 else {
            throw PlotError.invalidFigure(reason: "pngScale \(pngScale) is not a positive number")
        }
        let layout = try measuredLayout()
        let pixels = max(layout.width, layout.height) * pngScale
        guard pixels <= 32767 else {
            throw PlotError.invalidFigure(reason: "the PNG would be \(Int(pixels)) pixels wide or tall (limit 32767); lower pngScale or the panel count")
        }
        return layout
    }

    private func drawPNG(_ layout: FigureLayout, to file: URL, reportingAs destination: URL, scale: Double) throws {
        let surface = try rasterize(layout, scale: scale, reportingAs: destination)
        defer { cairo_surface_destroy(surface) }
        try PlotOutput.check(cairo_surface_write_to_png(surface, file.path), destination, "write the PNG")
    }

    /// Draws the figure on a new white ARGB32 image surface of `scale` pixels per point; the caller destroys it.
    func rasterize(_ layout: FigureLayout, scale: Double, reportingAs destination: URL) throws -> OpaquePointer {
        let width = Int32((layout.width * scale).rounded(.up)), height = Int32((layout.height * scale).rounded(.up))
        guard let surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height) else {
            throw PlotError.cairoFailure(path: destination.path, operation: "create an image surface", status: "out of memory")
        }
        do {
            try PlotOutput.check(cairo_surface_status(surface), destination, "create a \(width)×\(height) image surface")
            try draw(layout, on: surface, scale: scale, reportingAs: destination)
            cairo_surface_flush(surface)
        } catch {
            cairo_surface_destroy(surface)
            throw error
        }
        return surface
    }

    private func drawPDF(_ layout: FigureLayout, to file: URL, reportingAs destination: URL) throws {
        guard let surface = cairo_pdf_surface_create(file.path, layout.width, layout.height) else {
            throw PlotError.cairoFailure(path: destination.path, operation: "create a PDF surface", status: "out of memory")
        }
        defer { cairo_surface_destroy(surface) }
        try PlotOutput.check(cairo_surface_status(surface), destination, "create the PDF")
        if let title = title { cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, TextMarkup.plainText(title)) }
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "reproduce")
        try draw(layout, on: surface, scale: 1, reportingAs: destination)
        cairo_surface_finish(surface)
        try PlotOutput.check(cairo_surface_status(surface), destination, "write the PDF")
    }

    private func draw(_ layout: FigureLayout, on surface: OpaquePointer, scale: Double, reportingAs destination: URL) throws {
        guard let context = cairo_create(surface) else {
            throw PlotError.cairoFailure(path: destination.path, operation: "create a drawing context", status: "out of memory")
        }
        defer { cairo_destroy(context) }
        cairo_scale(context, scale, scale)
        PlotTextPainter.configureFontOptions(context)
        PlotRenderer(context: context, figure: self, layout: layout).draw()
        try PlotOutput.check(cairo_status(context), destination, "draw the figure")
    }
}

/// Temporary files and atomic renames for plot outputs.
enum PlotOutput {
    /// Ensures the destination's directory exists and is writable and returns a fresh temporary path beside it.
    static func prepare(_ destination: URL) throws -> URL {
        let directory = destination.deletingLastPathComponent()
        do {
            try AtomicFile.ensureWritableDirectory(directory)
        } catch let error as FileError {
            throw PlotError.unwritableDirectory(path: destination.path, reason: error.description)
        }
        return directory.appendingPathComponent(
            ".\(destination.lastPathComponent).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    }

    /// Renames the finished temporary file over the destination.
    static func commit(_ temporary: URL, to destination: URL) throws {
        if rename(temporary.path, destination.path) != 0 {
            throw PlotError.renameFailed(path: destination.path, reason: String(cString: strerror(errno)))
        }
    }

    /// Removes a temporary file if it is still there (after a failure).
    static func discard(_ temporary: URL) {
        unlink(temporary.path)
    }

    static func check(_ status: cairo_status_t, _ destination: URL, _ operation: String) throws {
        guard status == CAIRO_STATUS_SUCCESS else {
            throw PlotError.cairoFailure(
                path: destination.path, operation: operation, status: String(cString: cairo_status_to_string(status)))
        }
    }
}
