// swift-tools-version: 6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

// Linux only: it builds on Debian 12 and later (and any Linux with Swift 6 and the C libraries
// below), since libvirt, libmicrohttpd and libxml2 come from the system through pkg-config.
let package = Package(
    name: "virt-exporter",
    products: [
        .executable(name: "virt-exporter", targets: ["virt-exporter"]),
        // For the benchmarks package in Benchmarks/, which measures the pipeline's stages.
        .library(name: "StatsCollector", targets: ["StatsCollector"]),
        .library(name: "PromFormat", targets: ["PromFormat"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // C libraries, found by pkg-config (glibc's malloc.h, always there, without). Each is
        // imported only by its interop folder or files: StatsCollector/Libvirt/ (libvirt; the C
        // values the Swift code mirrors are pinned in CLibvirt.h), StatsCollector/XML/ (libxml2),
        // Gzip.swift and GzipStoredMember.swift (zlib), MicroHTTPDServer.swift, TLSMaterial.swift
        // and KeyedDigest.swift (GnuTLS, in HTTP/TLS/), BcryptHash.swift (libxcrypt), LibYAML.swift
        // (libyaml: the web config file) and MallocArenas.swift (mallopt).
        .systemLibrary(name: "CLibvirt", pkgConfig: "libvirt", providers: [.apt(["libvirt-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLibxml2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CGnuTLS", pkgConfig: "gnutls", providers: [.apt(["libgnutls28-dev"])]),
        .systemLibrary(name: "CCrypt", pkgConfig: "libcrypt", providers: [.apt(["libcrypt-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CMalloc"),

        // Exposition-format model, text encoder and gzip. Knows nothing of libvirt.
        .target(
            name: "PromFormat",
            dependencies: ["CZlib"],
            swiftSettings: strictSettings
        ),
        // libvirt access, the metric catalog, the collector loop and snapshots. Knows nothing of HTTP.
        .target(
            name: "StatsCollector",
            dependencies: [
                "CLibvirt",
                "CLibxml2",
                "PromFormat",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // The binary: flags, config, HTTP, wiring.
        .executableTarget(
            name: "virt-exporter",
            dependencies: [
                "CCrypt",
                "CGnuTLS",
                "CMalloc",
                "CMicroHTTPD",
                "CYAML",
                "PromFormat",
                "StatsCollector",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings,
            plugins: ["BuildRevision"]
        ),
        // Writes the commit the binary is built from into the virt-exporter target, at every build.
        .plugin(name: "BuildRevision", capability: .buildTool()),

        // Parsers and fixture access shared by the test targets.
        .target(
            name: "TestSupport",
            path: "Tests/TestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PromFormatTests",
            dependencies: ["PromFormat", "TestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "StatsCollectorTests",
            dependencies: ["StatsCollector", "PromFormat", "TestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "VirtExporterTests",
            dependencies: ["virt-exporter", "StatsCollector", "PromFormat", "TestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),
        // Against a real libvirtd and a real Prometheus; scripts/test brings the testbed up first.
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["TestSupport"],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
