// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "SwiftLayers",
    products: [
        .library(name: "Tensor", targets: ["Tensor"]),
        .library(name: "Layers", targets: ["Layers"]),
        .library(name: "Datasets", targets: ["Datasets"]),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            path: "Sources/CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .target(
            name: "Tensor",
            dependencies: ["CBLAS"]
        ),
        .target(
            name: "Layers",
            dependencies: ["Tensor"]
        ),
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "Datasets",
            dependencies: ["Tensor", "CZlib"]
        ),
        .testTarget(
            name: "TensorTests",
            dependencies: ["Tensor"]
        ),
        .testTarget(
            name: "DatasetsTests",
            dependencies: ["Datasets", "Tensor"]
        ),
        .target(
            name: "CMallocStatistics",
            path: "Tests/CMallocStatistics"
        ),
        .testTarget(
            name: "LayersTests",
            dependencies: ["Layers", "Tensor", "CMallocStatistics"]
        ),
    ]
)
