// swift-tools-version: 6.1
// Micro-benchmarks of virt-exporter's collection and exposition stages, with ordo-one/benchmark.
// Run from the repository root: swift package --package-path Benchmarks benchmark
// See README.md beside this file.
import PackageDescription

let package = Package(
    name: "virt-exporter-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "virt-exporter", path: ".."),
        // Only the malloc interposer trait: the default traits also pull in a runtime interposer
        // package that is not available offline here.
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "PipelineBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "StatsCollector", package: "virt-exporter"),
                .product(name: "PromFormat", package: "virt-exporter"),
            ],
            path: "Benchmarks/PipelineBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
