// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

/// msgbench (the load generator of bench/) is built only when asked: MSG_BENCHMARKS=1 swift build ...
let benchmarks = Context.environment["MSG_BENCHMARKS"].map { !$0.isEmpty && $0 != "0" } ?? false

var products: [Product] = [
    .executable(name: "msgrelay", targets: ["msgrelay"]),
    .executable(name: "msgctl", targets: ["msgctl"]),
    .library(name: "MsgLib", targets: ["MsgLib"]),
]

var targets: [Target] = [
    .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
    .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
    .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
    .systemLibrary(name: "CEdit", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),

    // The shared core: model, storage on libpq, the service layer, auth, crypto, notifications, the
    // WebSocket protocol's frames, configuration. No HTTP server.
    .target(
        name: "MsgLib",
        dependencies: [
            "CLibPQ", "CCrypto", "CCurl",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ],
        swiftSettings: swiftSettings
    ),
    // The relay: the Hummingbird application, controllers and middleware, the real-time server (hub,
    // listener, sockets), the outbox worker, metrics.
    .target(
        name: "RelayKit",
        dependencies: [
            "MsgLib",
            "WebClient",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ],
        resources: [.embedInCode("Application/openapi.json")],
        swiftSettings: swiftSettings
    ),
    // A small blocking WebSocket client of the relay (the console, the tests, the load generator).
    // The browser client (plain JavaScript in clients/web), embedded for the relay to serve.
    .target(
        name: "WebClient",
        path: "clients",
        exclude: ["web/test"],
        sources: ["swift"],
        resources: [
            .embedInCode("web/msgrelay.js"), .embedInCode("web/msgrelay.d.ts"), .embedInCode("web/sw.js"),
            .embedInCode("web/demo/index.html"), .embedInCode("web/demo/demo.js"), .embedInCode("web/demo/demo.css"),
        ],
        swiftSettings: swiftSettings),
    .target(name: "RelayClient", dependencies: ["MsgLib"], swiftSettings: swiftSettings),
    // msgctl's commands, export, output and console.
    .target(
        name: "MsgctlKit",
        dependencies: [
            "MsgLib", "RelayClient", "CEdit",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        swiftSettings: swiftSettings
    ),
    .executableTarget(
        name: "msgrelay",
        dependencies: [
            "MsgLib", "RelayKit",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: swiftSettings
    ),
    .executableTarget(name: "msgctl", dependencies: ["MsgctlKit"], swiftSettings: swiftSettings),
    // Tests in three tiers: UnitTests need nothing; IntegrationTests need PostgreSQL; SystemTests run our programs
    // (and pseudo-terminals, Python peers) against it. scripts/test.sh runs all three.
    .target(
        name: "TestSupport",
        dependencies: ["MsgLib", "RelayClient"],
        path: "Tests/TestSupport",
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "UnitTests",
        dependencies: [
            "MsgLib", "RelayKit", "MsgctlKit", "RelayClient", "TestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ],
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "IntegrationTests",
        dependencies: ["MsgLib", "MsgctlKit", "TestSupport"],
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "SystemTests",
        dependencies: ["MsgLib", "RelayKit", "MsgctlKit", "TestSupport", .product(name: "Logging", package: "swift-log")],
        exclude: [
            "Interop/push_interop.py", "Interop/slack_interop.py", "Interop/s3_interop.py", "Interop/aesgcm_interop.py",
            "Interop/markdown_interop.py",
        ],
        swiftSettings: swiftSettings
    ),
]

if benchmarks {
    products.append(.executable(name: "msgbench", targets: ["msgbench"]))
    targets.append(
        .executableTarget(
            name: "msgbench",
            dependencies: [
                "MsgLib", "RelayKit", "RelayClient", "MsgctlKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "bench/msgbench",
            swiftSettings: swiftSettings
        ))
}

let package = Package(
    name: "msgrelay",
    platforms: [.macOS(.v14)],
    products: products,
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: targets
)
