// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "streamhub",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "streamhub", targets: ["streamhub"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.5.0"),
        .package(url: "https://github.com/CoreOffice/XMLCoder.git", from: "0.18.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // Linux headers the Glibc module leaves out (extended attributes).
        .systemLibrary(name: "CLinuxExtras"),
        // Domain types and the protocols the other modules implement; no I/O.
        .target(
            name: "HubCore",
            dependencies: [
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The operating system as the hub uses it: POSIX files, durable small files, periodic
        // services, memory tuning and figures, the log handler.
        .target(
            name: "HubSystem",
            dependencies: [
                "HubCore", "CLinuxExtras",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HubStorage",
            dependencies: [
                "HubSystem", "HubCore",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "XMLCoder", package: "XMLCoder"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HubDatabase",
            dependencies: [
                "HubCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API itself, for the statement profile (`StatementProfile`).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // PostgreSQL through PostgresNIO (`DATABASE_URL=postgres://…`), for several instances on
        // one database: the pool, versioned migrations under an advisory lock, the repositories.
        .target(
            name: "HubPostgres",
            dependencies: [
                "HubCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // `streamhub database migrate`: a hub's SQLite database copied into PostgreSQL, verified.
        .target(
            name: "HubDatabaseMigration",
            dependencies: [
                "HubCore", "HubDatabase", "HubPostgres",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // cmark-gfm from Debian (libcmark-gfm-dev), for the notes' markdown.
        .systemLibrary(
            name: "CCmarkGFM", pkgConfig: "libcmark-gfm",
            providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"])]),
        .target(
            name: "HubNotes",
            dependencies: [
                "HubSystem", "HubCore", "CCmarkGFM",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The peer network: peer authentication, membership, mDNS discovery, gossip and
        // anti-entropy of the notepad's shared notes.
        .target(
            name: "HubSync",
            dependencies: [
                "HubSystem", "HubCore", "HubAPI",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HubMedia",
            dependencies: [
                "HubSystem", "HubCore",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: swiftSettings
        ),
        // The API's request and response bodies, defined once: the server encodes them, the
        // client and the command line decode them, the tests read them.
        .target(
            name: "HubAPI",
            dependencies: ["HubCore"],
            swiftSettings: swiftSettings
        ),
        // Accounts, passwords, sessions and API tokens: who may become whom.
        .target(
            name: "HubAccounts",
            dependencies: [
                "HubSystem", "HubCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HubWeb",
            dependencies: [
                "HubSystem", "HubCore", "HubAPI", "HubAccounts", "HubStorage", "HubDatabase", "HubPostgres", "HubMedia", "HubNotes",
                "HubSync",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HubClient",
            dependencies: [
                "HubSystem", "HubCore", "HubAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Replays real editing traces through the notes' text CRDT (scripts/bench/trace_replay.py).
        .executableTarget(
            name: "trace-replay",
            dependencies: ["HubSystem", "HubCore", "CLinuxExtras"],
            path: "Benchmarks/TraceReplay",
            swiftSettings: swiftSettings
        ),
        // The Swift half of scripts/bench/storage.py: the hub's S3 client and cache, measured.
        .executableTarget(
            name: "storage-bench",
            dependencies: [
                "HubSystem", "HubCore", "HubStorage",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/StorageBench",
            swiftSettings: swiftSettings
        ),
        // libFuzzer targets for every parser of untrusted bytes (scripts/fuzz.sh); built
        // normally it replays inputs, so a crash once found stays a regression test.
        .executableTarget(
            name: "hub-fuzz",
            dependencies: [
                "HubSystem", "HubCore", "HubMedia", "HubNotes", "HubSync",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Fuzz/HubFuzz",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "streamhub",
            dependencies: [
                "HubSystem", "HubCore", "HubAPI", "HubAccounts", "HubMedia", "HubWeb", "HubClient", "HubDatabase", "HubStorage", "HubNotes",
                "HubPostgres", "HubDatabaseMigration",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HubCoreTests",
            dependencies: ["HubSystem", "HubCore", .product(name: "Configuration", package: "swift-configuration"), .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HubStorageTests",
            dependencies: [
                "HubSystem", "HubStorage", "HubCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // What tests share to reach the databases: a real PostgreSQL started per test process,
        // and each test's repositories on either database. Not part of any product.
        .target(
            name: "HubTestSupport",
            dependencies: [
                "HubPostgres", "HubCore", "HubDatabase",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/HubTestSupport",
            swiftSettings: swiftSettings
        ),
        // One conformance suite per repository protocol, run on SQLite and on PostgreSQL, and
        // each database's migrations.
        .testTarget(
            name: "HubRepositoryTests",
            dependencies: [
                "HubTestSupport", "HubPostgres", "HubCore", "HubDatabase", "HubDatabaseMigration",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HubNotesTests",
            dependencies: [
                "HubSystem", "HubNotes", "HubCore", "HubDatabase", "HubTestSupport", .product(name: "Logging", package: "swift-log"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HubSyncTests",
            dependencies: [
                "HubSystem", "HubSync", "HubCore", "HubNotes", "HubMedia", "HubDatabase", "HubStorage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HubMediaTests",
            dependencies: ["HubSystem", "HubMedia", "HubCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HubWebTests",
            dependencies: [
                "HubSystem", "HubWeb", "HubAPI", "HubAccounts", "HubClient", "HubMedia", "HubCore", "HubDatabase", "HubNotes", "HubStorage",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
