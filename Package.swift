// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "SwiftLayers",
    products: [
        .library(name: "Tensor", targets: ["Tensor"]),
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
        .testTarget(
            name: "TensorTests",
            dependencies: ["Tensor"]
        ),
    ]
)
