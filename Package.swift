// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "SwiftLayers",
    products: [
        .library(name: "Tensor", targets: ["Tensor"]),
        .library(name: "Layers", targets: ["Layers"]),
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
        .testTarget(
            name: "TensorTests",
            dependencies: ["Tensor"]
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
