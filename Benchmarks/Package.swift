// swift-tools-version: 6.1
// The benchmarks live in their own package so that the library's users never resolve
// package-benchmark. Run them from this folder: `swift package benchmark`.
import PackageDescription

let package = Package(
    name: "SwiftLayersBenchmarks",
    dependencies: [
        .package(name: "SwiftLayers", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "TensorBenchmarks",
            dependencies: [
                .product(name: "Tensor", package: "SwiftLayers"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/TensorBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "PeerComparison",
            dependencies: [
                .product(name: "Layers", package: "SwiftLayers"),
                .product(name: "Tensor", package: "SwiftLayers"),
                .product(name: "Datasets", package: "SwiftLayers"),
            ],
            path: "PeerComparison"
        ),
        .executableTarget(
            name: "LayersBenchmarks",
            dependencies: [
                .product(name: "Layers", package: "SwiftLayers"),
                .product(name: "Tensor", package: "SwiftLayers"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/LayersBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
