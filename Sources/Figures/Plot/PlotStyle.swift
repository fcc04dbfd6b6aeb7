/// Sizes (in points) and fonts shared by the layout and the renderer.
enum PlotStyle {
    static let tickFont = PlotFont(size: 8)
    static let axisLabelFont = PlotFont(size: 9)
    static let titleFont = PlotFont(size: 9.5)
    static let legendFont = PlotFont(size: 7.5)
    static let panelLetterFont = PlotFont(size: 11, bold: true)
    static let figureTitleFont = PlotFont(size: 12, bold: true)
    static let noDataFont = PlotFont(size: 9)

    /// Padding inside each panel's cell and around the figure.
    static let cellPadding = 6.0
    static let figurePadding = 4.0
    static let majorTickLength = 3.5
    static let minorTickLength = 2.0
    static let tickLabelGap = 2.5
    static let axisLabelGap = 4.0
    static let titleGap = 5.0

    static let frameWidth = 0.8
    static let majorTickWidth = 0.8
    static let minorTickWidth = 0.6
    static let gridWidth = 0.5

    static let legendPadding = 5.0
    static let legendSampleWidth = 18.0
    static let legendSampleGap = 5.0
    static let legendInset = 4.0
    static let legendColumnGap = 10.0

    static let colorBarGap = 10.0
    static let colorBarWidth = 9.0
    static let outsideGap = 10.0
}
