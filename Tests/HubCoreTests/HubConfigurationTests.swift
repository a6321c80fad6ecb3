import Configuration
import HubCore
import HubSystem
import NIOCore
import Testing

@Suite struct HubConfigurationTests {
    func configuration(_ environment: [String: String]) throws(ConfigurationError) -> HubConfiguration {
        try HubConfiguration(reader: ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: environment)))
    }

    @Test func defaultsAreTheEmbeddedHub() throws {
        let configuration = try configuration([:])
        #expect(configuration.storageBackend == .local)
        #expect(configuration.uploadDirectory == "./uploads")
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.dataDirectory == "./data")
        #expect(configuration.maxUploadBytes == 21_474_836_480)
        #expect(configuration.sqlitePath == "./data/streamhub.sqlite")
        #expect(configuration.peers.port == 6881)
        #expect(!configuration.peers.enabled)
    }

    @Test func transcodeResolutionsAreEvenSizesSortedWithNoneForNoLadder() throws {
        #expect(try configuration([:]).transcodeResolutions == [360, 720, 1080])
        #expect(try configuration(["TRANSCODE_RESOLUTIONS": " 1080p, 480 ,360,480"]).transcodeResolutions == [360, 480, 1080])
        #expect(try configuration(["TRANSCODE_RESOLUTIONS": "none"]).transcodeResolutions == [])
        #expect(try configuration(["TRANSCODE_RESOLUTIONS": "NONE"]).transcodeResolutions == [])
        for bad in ["361", "100", "8640", "720,,1080", "hd", "-360", "144,240,360,480,540,720,1080,1440,2160"] {
            #expect(throws: ConfigurationError.self, "\(bad)") { try configuration(["TRANSCODE_RESOLUTIONS": bad]) }
        }
    }

    @Test func connectionTimeoutsHaveDefaultsAndSettings() throws {
        #expect(try configuration([:]).timeouts == .init(header: .seconds(10), body: .seconds(30), idle: .seconds(60)))
        let set = try configuration(["HTTP_HEADER_TIMEOUT_SECONDS": "2", "HTTP_BODY_TIMEOUT_SECONDS": "5", "HTTP_IDLE_TIMEOUT_SECONDS": "7"])
        #expect(set.timeouts == .init(header: .seconds(2), body: .seconds(5), idle: .seconds(7)))
    }

    @Test func costRatesDefaultToTheGuidesPricesAndTakeAnOperatorsOwn() throws {
        #expect(try configuration([:]).costs == HubConfiguration.CostRates())
        #expect(HubConfiguration.CostRates().storagePerGBMonth == 0.023 && HubConfiguration.CostRates().egressPerGB == 0.09)
        let set = try configuration([
            "COST_STORAGE_PER_GB_MONTH": "0.0125", "COST_EGRESS_PER_GB": "0", "COST_CDN_PER_GB": "1000", "COST_ARCHIVE_PER_GB_MONTH": ".001",
        ]).costs
        #expect(set.storagePerGBMonth == 0.0125 && set.egressPerGB == 0 && set.cdnPerGB == 1000 && set.archivePerGBMonth == 0.001)
    }

    @Test func readsDesignNames() throws {
        let configuration = try configuration([
            "HUB_PORT": "9000", "HUB_HOST": "0.0.0.0", "UPLOAD_DIR": "/srv/videos", "MAX_UPLOAD_BYTES": "1024",
            "P2P_PEERS": "a:1, b:2", "P2P_ENABLED": "true", "P2P_SECRET": "sixteen-chars-or-more", "P2P_FANOUT": "4",
            "P2P_GOSSIP_INTERVAL_MS": "50", "P2P_ANTI_ENTROPY_INTERVAL_MS": "5000", "P2P_MDNS": "false",
            "P2P_BLOCK_CACHE_BYTES": "1073741824", "P2P_SEND_BYTES_PER_SECOND": "12500000",
        ])
        #expect(configuration.port == 9000)
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.uploadDirectory == "/srv/videos")
        #expect(configuration.maxUploadBytes == 1024)
        #expect(configuration.peers.seeds.map(\.description) == ["a:1", "b:2"])
        #expect(configuration.peers.enabled)
        #expect(configuration.peers.fanout == 4 && configuration.peers.gossipInterval == .milliseconds(50))
        #expect(configuration.peers.antiEntropyInterval == .seconds(5) && !configuration.peers.multicastDNS)
        #expect(configuration.peers.blockCacheBytes == 1 << 30)
        #expect(configuration.peers.sendBytesPerSecond == 12_500_000)
    }

    @Test(arguments: [
        (["STORAGE_BACKEND": "ftp"], "STORAGE_BACKEND"),
        (["STORAGE_BACKEND": "s3"], "AWS_S3_BUCKET"),
        (["HUB_PORT": "eighty"], "HUB_PORT"),
        (["HUB_PORT": "70000"], "HUB_PORT"),
        (["MAX_UPLOAD_BYTES": "-1"], "MAX_UPLOAD_BYTES"),
        (["MAX_UPLOAD_BYTES": "lots"], "MAX_UPLOAD_BYTES"),
        (["MAX_UPLOAD_BYTES": "5497558138881"], "MAX_UPLOAD_BYTES"),
        (["MAX_UPLOAD_BYTES": "9223372036854775807"], "MAX_UPLOAD_BYTES"),
        (["P2P_ENABLED": "maybe"], "P2P_ENABLED"),
        (["DATABASE_URL": "mysql://x"], "DATABASE_URL"),
        (["DATABASE_URL": "postgres://"], "DATABASE_URL"),
        (["DATABASE_URL": "postgres://hub@db.example"], "DATABASE_URL"),
        (["DATABASE_URL": "postgres://hub@db.example/hub?sslmode=sometimes"], "DATABASE_URL"),
        (["DATABASE_URL": "postgres://hub:pw@db.example/hub", "DATABASE_POOL_SIZE": "0"], "DATABASE_POOL_SIZE"),
        (["STREAM_REDIRECT": "always"], "STREAM_REDIRECT"),
        (["LOG_LEVEL": "loud"], "LOG_LEVEL"),
        (["SHUTDOWN_GRACE_SECONDS": "-1"], "SHUTDOWN_GRACE_SECONDS"),
        (["UPLOAD_EXPIRY_SECONDS": "0"], "UPLOAD_EXPIRY_SECONDS"),
        (["P2P_ENABLED": "true", "HUB_HOST": "0.0.0.0"], "P2P_SECRET"),
        (["P2P_ENABLED": "true", "HUB_HOST": "10.0.0.2"], "P2P_SECRET"),
        (["P2P_SECRET": "short"], "P2P_SECRET"),
        (["P2P_FANOUT": "0"], "P2P_FANOUT"),
        (["P2P_FANOUT": "65"], "P2P_FANOUT"),
        (["P2P_BLOCK_CACHE_BYTES": "1048576"], "P2P_BLOCK_CACHE_BYTES"),
        (["P2P_BLOCK_CACHE_BYTES": "0"], "P2P_BLOCK_CACHE_BYTES"),
        (["P2P_BLOCK_CACHE_BYTES": "lots"], "P2P_BLOCK_CACHE_BYTES"),
        (["P2P_SEND_BYTES_PER_SECOND": "1000"], "P2P_SEND_BYTES_PER_SECOND"),
        (["P2P_SEND_BYTES_PER_SECOND": "0"], "P2P_SEND_BYTES_PER_SECOND"),
        (["P2P_SEND_BYTES_PER_SECOND": "fast"], "P2P_SEND_BYTES_PER_SECOND"),
        (["P2P_SEND_BYTES_PER_SECOND": "99999999999999999999"], "P2P_SEND_BYTES_PER_SECOND"),
        (["P2P_GOSSIP_INTERVAL_MS": "5"], "P2P_GOSSIP_INTERVAL_MS"),
        (["P2P_ANTI_ENTROPY_INTERVAL_MS": "abc"], "P2P_ANTI_ENTROPY_INTERVAL_MS"),
        (["P2P_NODE_NAME": "has.dots"], "P2P_NODE_NAME"),
        (["P2P_MDNS": "perhaps"], "P2P_MDNS"),
        (["P2P_PEERS": "a:1, nonsense"], "P2P_PEERS"),
        (["P2P_ENABLED": "true", "HUB_PORT": "7000", "P2P_PORT": "7000"], "P2P_PORT"),
        (["HTTP_HEADER_TIMEOUT_SECONDS": "0"], "HTTP_HEADER_TIMEOUT_SECONDS"),
        (["HTTP_BODY_TIMEOUT_SECONDS": "9223372036854775807"], "HTTP_BODY_TIMEOUT_SECONDS"),
        (["HTTP_IDLE_TIMEOUT_SECONDS": "soon"], "HTTP_IDLE_TIMEOUT_SECONDS"),
        (["P2P_GOSSIP_INTERVAL_MS": "9223372036854775807"], "P2P_GOSSIP_INTERVAL_MS"),
        (["P2P_FANOUT": "99999999999999999999999"], "P2P_FANOUT"),
        (["COST_STORAGE_PER_GB_MONTH": "-0.01"], "COST_STORAGE_PER_GB_MONTH"),
        (["COST_EGRESS_PER_GB": "cheap"], "COST_EGRESS_PER_GB"),
        (["COST_CDN_PER_GB": "1e3"], "COST_CDN_PER_GB"),
        (["COST_CDN_PER_GB": "nan"], "COST_CDN_PER_GB"),
        (["COST_ARCHIVE_PER_GB_MONTH": "1000.01"], "COST_ARCHIVE_PER_GB_MONTH"),
        (["METRICS_TOKEN": "short"], "METRICS_TOKEN"),
    ])
    func badSettingsNameTheSetting(environment: [String: String], setting: String) {
        #expect {
            try configuration(environment)
        } throws: { error in
            (error as? ConfigurationError)?.setting == setting
        }
    }
}

@Suite struct VideoIDTests {
    @Test func derivedFromAnUploadIsAStableUUID() {
        let upload = UploadID()
        let id = VideoID(derivedFrom: upload)
        #expect(id == VideoID(derivedFrom: upload))
        #expect(VideoID(id.rawValue) == id, "a canonical lowercase UUID")
        #expect(id != VideoID(derivedFrom: UploadID()))
    }
}

@Suite struct ObjectKeyTests {
    @Test(arguments: ["videos/ab/id/source", "a", "ünïcødé/ключ"])
    func acceptsRelativeKeys(key: String) throws {
        #expect(try ObjectKey(key).rawValue == key)
    }

    @Test(arguments: ["", "/etc/passwd", "../x", "a/../../b", "a//b", "a/./b", "a/", "a\u{0}b", "a\\b", String(repeating: "k", count: 2000)])
    func refusesKeysThatCouldEscape(key: String) {
        #expect(throws: InvalidInput.self) { try ObjectKey(key) }
    }
}

@Suite struct CRC32Tests {
    @Test func matchesTheStandardCheckValue() {
        // The CRC-32 of "123456789" is 0xCBF43926 (the check value of the zlib/IEEE CRC).
        #expect(CRC32.checksum(ByteBuffer(string: "123456789")) == 0xCBF4_3926)
        #expect(CRC32.base64(ByteBuffer(string: "123456789")) == "y/Q5Jg==")
        #expect(CRC32.checksum(ByteBuffer()) == 0)
    }
}
