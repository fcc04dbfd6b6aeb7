/// Why a figure could not be drawn or written.
public enum PlotError: Error, CustomStringConvertible, Equatable {
    /// The directory that should hold an output file cannot be created or written.
    case unwritableDirectory(path: String, reason: String)
    /// Cairo reported an error while drawing or writing a file.
    case cairoFailure(path: String, operation: String, status: String)
    /// The finished temporary file could not be moved over the destination.
    case renameFailed(path: String, reason: String)
    /// The figure description cannot be drawn as given.
    case invalidFigure(reason: String)

    public var description: String {
        switch self {
        case let .unwritableDirectory(path, reason):
            return "cannot write the plot '\(path)': its directory is not writable (\(reason)); choose another output directory or fix its permissions."
        case let .cairoFailure(path, operation, status):
            return "cairo failed to \(operation) for '\(path)' (\(status)); check free disk space and that the path is writable."
        case let .renameFailed(path, reason):
            return "could not move the finished plot into place at '\(path)' (\(reason)); check that the destination is writable and not a directory."
        case let .invalidFigure(reason):
            return "the figure cannot be drawn: \(reason)."
        }
    }
}
