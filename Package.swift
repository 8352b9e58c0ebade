// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "SwiftLayers",
    // MARK: Public products
    products: [
        .library(name: "Tensor", targets: ["Tensor"]),
        .library(name: "Layers", targets: ["Layers"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        // Data-parallel training over MPI; the only product that needs Open MPI to build.
        .library(name: "Distributed", targets: ["Distributed"]),
        .executable(name: "mnist", targets: ["MNISTExample"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // Only for `swift package generate-documentation`; nothing links it.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // MARK: Libraries (the products above), lowest layer first
        .target(name: "Tensor", dependencies: ["CBLAS"]),
        .target(name: "Layers", dependencies: ["Tensor"]),
        .target(
            name: "Datasets",
            dependencies: ["Tensor", "Layers", "CZlib", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(name: "Distributed", dependencies: ["Tensor", "Layers", "CMPI"]),

        // MARK: The MNIST example (the `mnist` command and its report)
        .target(name: "MNISTReport"),
        .executableTarget(
            name: "MNISTExample",
            dependencies: [
                "Tensor", "Layers", "Datasets", "Distributed", "MNISTReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: System libraries
        .systemLibrary(
            name: "CBLAS",
            path: "Sources/CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .systemLibrary(
            name: "CMPI",
            path: "Sources/CMPI",
            pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]
        ),
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),

        // MARK: Tests (one target per module)
        .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
        .testTarget(name: "LayersTests", dependencies: ["Layers", "Tensor", "CMallocStatistics"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Tensor", "Layers"]),
        .testTarget(name: "MNISTReportTests", dependencies: ["MNISTReport"]),
        .testTarget(name: "MNISTExampleTests", dependencies: ["MNISTExample", "Layers", "Tensor"]),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed", "Tensor", "DistributedSelfTest"]),
        // Run by DistributedTests under `mpirun`: the collectives checked on every rank.
        .executableTarget(name: "DistributedSelfTest", dependencies: ["Distributed", "Tensor"], path: "Tests/DistributedSelfTest"),
        .target(name: "CMallocStatistics", path: "Tests/CMallocStatistics"),
    ]
)
