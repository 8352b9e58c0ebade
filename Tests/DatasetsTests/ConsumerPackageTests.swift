import Foundation
import MNISTTestSupport
import Testing

/// What a package that depends on SwiftLayers fetches: the library products need no other Swift
/// package, so that a user's first build compiles only SwiftLayers (the example's Hummingbird,
/// argument parser and logging, and ONNX's swift-protobuf, come with the package's traits).
@Suite("Consumer package")
struct ConsumerPackageTests {
    /// Resolves a package whose one target uses `products` of SwiftLayers with `traits`, and
    /// returns the names of the packages SwiftPM checked out for it.
    func packagesFetched(traits: [String], products: [String]) throws -> [String] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("consumer-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("Sources/App"), withIntermediateDirectories: true)
        try "print(1)\n".write(to: folder.appendingPathComponent("Sources/App/main.swift"), atomically: true, encoding: .utf8)
        let traitList = traits.map { "\"\($0)\"" }.joined(separator: ", ")
        let productList = products.map { ".product(name: \"\($0)\", package: \"SwiftLayers\")" }.joined(separator: ", ")
        let manifest = """
            // swift-tools-version: 6.1
            import PackageDescription
            let package = Package(
                name: "App",
                dependencies: [.package(name: "SwiftLayers", path: "\(PackageFolder.root.path)", traits: [\(traitList)])],
                targets: [.executableTarget(name: "App", dependencies: [\(productList)])]
            )
            """
        try manifest.write(to: folder.appendingPathComponent("Package.swift"), atomically: true, encoding: .utf8)
        let scratch = folder.appendingPathComponent(".build")
        let result = try runChildProcess(
            ["/usr/bin/env", "swift", "package", "--package-path", folder.path, "--scratch-path", scratch.path, "resolve"],
            timeout: 240)
        #expect(result.status == 0, "swift package resolve failed: \(result.errors)")
        let checkouts = scratch.appendingPathComponent("checkouts").path
        return ((try? FileManager.default.contentsOfDirectory(atPath: checkouts)) ?? []).sorted()
    }

    @Test("Tensor, Layers, Datasets and Distributed with traits [] fetch no package")
    func librariesFetchNothing() throws {
        #expect(try packagesFetched(traits: [], products: ["Tensor", "Layers", "Datasets", "Distributed"]) == [])
    }

    @Test("the ONNX trait fetches swift-protobuf only")
    func onnxFetchesProtobuf() throws {
        #expect(try packagesFetched(traits: ["ONNX"], products: ["Layers", "ONNX"]) == ["swift-protobuf"])
    }
}
