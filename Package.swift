// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "SwiftLayers",
    products: [
        .library(name: "Tensor", targets: ["Tensor"]),
        .library(name: "Layers", targets: ["Layers"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .executable(name: "mnist", targets: ["MNISTExample"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
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
            dependencies: ["Tensor", "CZlib", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "MNISTReport",
            dependencies: ["Tensor"]
        ),
        .executableTarget(
            name: "MNISTExample",
            dependencies: [
                "Tensor", "Layers", "Datasets", "MNISTReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "TensorTests",
            dependencies: ["Tensor"]
        ),
        .testTarget(
            name: "DatasetsTests",
            dependencies: ["Datasets", "Tensor", "Layers"]
        ),
        .testTarget(
            name: "MNISTExampleTests",
            dependencies: ["MNISTExample", "Layers", "Tensor"]
        ),
        .testTarget(
            name: "MNISTReportTests",
            dependencies: ["MNISTReport", "Tensor"]
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
