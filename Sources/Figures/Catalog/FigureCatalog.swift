import Core
import Foundation

/// One figure, table or check of the paper as `reproduce list` shows it.
public struct CatalogEntry: Sendable {
    /// Command-line id.
    public let id: String
    /// What it shows.
    public let title: String
    /// Where in the paper.
    public let paperReference: String
    /// Datasets it reads (the FFNN engine's loaders).
    public let datasets: [DatasetName]
    /// Needs beyond this project's engine (e.g. "VGG19"), if any.
    public let requirement: String?
    /// The implementation, or nil while not yet implemented.
    public let spec: (any FigureSpec)?

    /// Whether `reproduce <id>` runs it.
    public var isImplemented: Bool { spec != nil }
}

/// Every figure and table of the paper, plus the theory checks, in paper order.
public enum FigureCatalog {
    /// All entries.
    public static let entries: [CatalogEntry] = {
        func planned(_ id: String, _ title: String, _ reference: String, _ datasets: [DatasetName], requirement: String? = nil) -> CatalogEntry {
            CatalogEntry(id: id, title: title, paperReference: reference, datasets: datasets, requirement: requirement, spec: nil)
        }
        func implemented(_ spec: any FigureSpec) -> CatalogEntry {
            CatalogEntry(id: spec.id, title: spec.title, paperReference: spec.paperReference, datasets: spec.datasets, requirement: nil, spec: spec)
        }
        return [
            implemented(TheoryFigure()),
            implemented(TheoremAFigure()),
            implemented(Fig1Figure()),
            implemented(TrainingHierarchyFigure.fig2),
            implemented(Fig3Figure()),
            implemented(Fig4Figure()),
            implemented(Fig5Figure()),
            implemented(Fig6Figure()),
            implemented(GOFEFigure()),
            implemented(TrainingHierarchyFigure.fig7),
            implemented(Fig8Figure()),
            implemented(LearningRateHierarchyFigure.fig9),
            implemented(LearningRateHierarchyFigure.fig10),
            implemented(FFNNSweepFigure.fig11),
            implemented(FFNNSweepFigure.fig12),
            implemented(FFNNSweepFigure.fig13),
            implemented(FFNNSweepFigure.fig14),
            implemented(FFNNSweepFigure.fig15),
            implemented(LFMFigure.fig16),
            implemented(LFMFigure.fig17),
            implemented(FrozenNetworkFigure()),
            implemented(AppendixGFigure(kind: .fig19)),
            implemented(AppendixGFigure(kind: .fig20)),
            implemented(AppendixGFigure(kind: .fig21)),
            implemented(AppendixGFigure(kind: .fig22)),
            implemented(AppendixGFigure(kind: .fig23)),
            implemented(DepthTableFigure(dataset: .cifar10)),
            implemented(DepthTableFigure(dataset: .fashionMNIST)),
            implemented(DepthTableFigure(dataset: .mnist)),
            implemented(FrozenWidthTableFigure()),
        ]
    }()

    /// The entry with this id (case-insensitive), if any.
    public static func entry(_ id: String) -> CatalogEntry? {
        entries.first { $0.id.lowercased() == id.lowercased() }
    }

    /// The implemented figures.
    public static var implemented: [CatalogEntry] { entries.filter(\.isImplemented) }
}
