// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "reproduce",
    products: [
        .executable(name: "reproduce", targets: ["Reproduce"]),
        .library(name: "Core", targets: ["Core"]),
        .library(name: "Figures", targets: ["Figures"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries (Debian: libcairo2-dev, libopenblas-dev + liblapacke-dev, zlib1g-dev).
        .systemLibrary(
            name: "CCairo",
            pkgConfig: "cairo",
            providers: [.apt(["libcairo2-dev"])]
        ),
        .systemLibrary(
            name: "COpenBLAS",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Numerics and science: no plotting, no CLI.
        .target(name: "Core", dependencies: ["COpenBLAS", "CZlib"], exclude: ["README.md"]),
        // Paper figures, the Cairo plotting layer, claims and the report.
        .target(name: "Figures", dependencies: ["Core", "CCairo"], exclude: ["README.md"]),
        // The command-line interface only.
        .executableTarget(
            name: "Reproduce",
            dependencies: [
                "Core", "Figures",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            exclude: ["README.md"]
        ),
        .testTarget(name: "CoreTests", dependencies: ["Core"]),
        .testTarget(name: "FiguresTests", dependencies: ["Figures", "Core"]),
        .testTarget(name: "ReproduceTests", dependencies: ["Reproduce"]),
    ],
    swiftLanguageModes: [.v5]
)
