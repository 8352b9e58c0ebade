// swift-tools-version: 6.1
import Foundation
import PackageDescription

/// A product only the example uses: fetched by packages that depend on this one only with the
/// `MNISTExample` trait (see `traits` below).
func exampleOnly(_ product: String, _ package: String) -> Target.Dependency {
    .product(name: product, package: package, condition: .when(traits: ["MNISTExample"]))
}

let package = Package(
    name: "SwiftLayers",
    // MARK: Public products
    products: [
        .library(name: "Tensor", targets: ["Tensor"]),
        .library(name: "Layers", targets: ["Layers"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        // Data-parallel training over MPI; the only product that needs Open MPI to build.
        .library(name: "Distributed", targets: ["Distributed"]),
        // ONNX export (swift-protobuf); kept out of Layers so that it needs no protobuf.
        .library(name: "ONNX", targets: ["ONNX"]),
        .executable(name: "mnist", targets: ["MNISTExample"]),
    ],
    // MARK: Traits: what a package depending on this one fetches. Both are on by default, so that
    // `swift run mnist` and `swift test` work here; a library user who names `traits: []` (or only
    // ["ONNX"]) fetches no package (or only swift-protobuf) for Tensor, Layers, Datasets and Distributed.
    traits: [
        .trait(name: "ONNX", description: "The ONNX product (ONNX export), which needs swift-protobuf."),
        .trait(
            name: "MNISTExample",
            description: "The mnist command and its server: swift-argument-parser, Hummingbird, swift-log, and ONNX.",
            enabledTraits: ["ONNX"]
        ),
        .default(enabledTraits: ["MNISTExample"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        // Only the example's `mnist serve` uses it; no library product links it.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-log", from: "1.14.0"),
        // NIO's channel handlers and HTTP types for the server's connection guard (Hummingbird's own dependencies).
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.25.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.3.0"),
        // Only for `swift package generate-documentation`; nothing links it.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // MARK: Libraries (the products above), lowest layer first
        .target(name: "Tensor", dependencies: ["CBLAS", "CRecurrentCells"]),
        .target(name: "Layers", dependencies: ["Tensor"]),
        .target(name: "Datasets", dependencies: ["Tensor", "Layers", "CZlib", "CPNG", "CTurboJPEG", "CCrypto"]),
        .target(name: "Distributed", dependencies: ["Tensor", "Layers", "CMPI"]),
        .target(
            name: "ONNX",
            dependencies: [
                "Tensor", "Layers", .product(name: "SwiftProtobuf", package: "swift-protobuf", condition: .when(traits: ["ONNX"])),
            ],
            exclude: ["Proto/onnx-subset.proto"]
        ),

        // MARK: The MNIST example (the `mnist` command and its report)
        .target(name: "MNISTReport"),
        // `mnist serve`: the HTTP API and the drawing page (embedded in the binary).
        .target(
            name: "MNISTServer",
            dependencies: [
                "Tensor", "Layers", "Datasets",
                exampleOnly("Hummingbird", "hummingbird"), exampleOnly("Logging", "swift-log"),
                exampleOnly("NIOCore", "swift-nio"), exampleOnly("NIOHTTP1", "swift-nio"),
                exampleOnly("NIOConcurrencyHelpers", "swift-nio"),
                exampleOnly("NIOHTTPTypes", "swift-nio-extras"), exampleOnly("HTTPTypes", "swift-http-types"),
            ],
            resources: [.embedInCode("Resources/index.html")]
        ),
        .executableTarget(
            name: "MNISTExample",
            dependencies: [
                "Tensor", "Layers", "Datasets", "Distributed", "MNISTReport", "MNISTServer", "ONNX",
                exampleOnly("ArgumentParser", "swift-argument-parser"),
            ]
        ),

        // MARK: C kernels (for the CPU's vector width: each compiled for AVX-512, AVX2 and baseline x86-64)
        .target(name: "CRecurrentCells"),

        // MARK: System libraries
        // libpng behind a C wrapper: its errors longjmp, which Swift code must never see (apt: libpng-dev).
        .target(name: "CPNG", linkerSettings: [.linkedLibrary("png16")]),
        .systemLibrary(
            name: "CBLAS",
            path: "Sources/CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        // libcrypto (OpenSSL) for the data sets' MD5 checksums (apt: libssl-dev).
        .systemLibrary(
            name: "CCrypto",
            path: "Sources/CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CMPI",
            path: "Sources/CMPI",
            pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]
        ),
        .systemLibrary(
            name: "CTurboJPEG",
            path: "Sources/CTurboJPEG",
            pkgConfig: "libturbojpeg",
            providers: [.apt(["libturbojpeg0-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),

        // MARK: Tests (one target per module)
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "CRecurrentCells"]),
        .testTarget(name: "LayersTests", dependencies: ["Layers", "Tensor", "CMallocStatistics"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Tensor", "Layers", "MNISTTestSupport"]),
        .testTarget(name: "MNISTReportTests", dependencies: ["MNISTReport"]),
        .testTarget(name: "ONNXTests", dependencies: ["ONNX", "Layers", "Tensor", "MNISTTestSupport"]),
        .testTarget(
            name: "MNISTExampleTests",
            dependencies: ["MNISTExample", "MNISTServer", "ONNX", "Layers", "Tensor", "Datasets", "MNISTTestSupport"]
        ),
        .testTarget(name: "MNISTServerTests", dependencies: ["MNISTServer", "Datasets", "Layers", "Tensor", "MNISTTestSupport"]),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed", "Tensor", "DistributedSelfTest", "MNISTTestSupport"]),
        // Run by DistributedTests under `mpirun`: the collectives checked on every rank.
        .executableTarget(name: "DistributedSelfTest", dependencies: ["Distributed", "Tensor"], path: "Tests/DistributedSelfTest"),
        .target(name: "CMallocStatistics", path: "Tests/CMallocStatistics"),
        // A model trained on real MNIST once per test process, and synthetic photos of digits.
        .target(name: "MNISTTestSupport", dependencies: ["Datasets", "Layers", "Tensor"], path: "Tests/MNISTTestSupport"),
        // What each fuzz harness does with an input; run by libFuzzer (scripts/fuzz) and replayed by the tests.
        .target(name: "FuzzHarnesses", dependencies: ["Datasets", "Layers", "Tensor", "MNISTServer"], path: "Fuzz/Harnesses"),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzHarnesses"]),
    ]
)

// MARK: Fuzzing (scripts/fuzz): the libFuzzer entry points, built only with SWIFTLAYERS_FUZZ=1 and
// the sanitizer flags scripts/fuzz passes (their entry calls libFuzzer's driver, which only that
// link provides). What each harness does lives in FuzzHarnesses, which the tests replay.
if ProcessInfo.processInfo.environment["SWIFTLAYERS_FUZZ"] != nil {
    package.targets.append(.target(name: "FuzzDriver", dependencies: ["FuzzHarnesses"], path: "Fuzz/Driver"))
    for name in ["FuzzImages", "FuzzIDX", "FuzzModelFile", "FuzzModelStructure", "FuzzPredictRequest"] {
        package.targets.append(.executableTarget(name: name, dependencies: ["FuzzDriver", "FuzzHarnesses"], path: "Fuzz/Main/\(name)"))
    }
}
