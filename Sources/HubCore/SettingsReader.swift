import Foundation
import Configuration

/// Reads settings under a prefix and turns them into typed values, with errors that name the
/// setting. A setting is named once, by its key (`p2p.port`); its environment name is the key
/// in capitals with underscores (`P2P_PORT`), which is how `EnvironmentVariablesProvider`
/// maps them. A group of settings reads from its own scope (`settings.scoped("p2p")` reads
/// `port` as `p2p.port`).
///
/// Parsing here rather than through `ConfigReader.int(forKey:)` is deliberate: that returns nil
/// for "abc", and a typo must not silently become the default.
public struct SettingsReader {
    let reader: ConfigReader
    let prefix: String

    public init(_ reader: ConfigReader) {
        self.reader = reader
        self.prefix = ""
    }

    private init(_ reader: ConfigReader, prefix: String) {
        self.reader = reader
        self.prefix = prefix
    }

    /// The settings under `name` (`aws`, `p2p`, `http`).
    public func scoped(_ name: String) -> SettingsReader {
        SettingsReader(reader, prefix: prefix + name + ".")
    }

    /// The environment name of the setting `name` in this scope.
    public func environmentName(_ name: String) -> String {
        (prefix + name).uppercased().replacingOccurrences(of: ".", with: "_")
    }

    /// The error for a bad value of `name`, naming it as the operator wrote it.
    public func problem(_ name: String, _ problem: String) -> ConfigurationError {
        ConfigurationError(setting: environmentName(name), problem: problem)
    }

    public func string(_ name: String, secret: Bool = false) -> String? {
        guard let value = reader.string(forKey: ConfigKey(prefix + name), isSecret: secret)?.trimmingCharacters(in: .whitespaces),
            !value.isEmpty
        else { return nil }
        return value
    }

    public func integer(_ name: String) throws(ConfigurationError) -> Int64? {
        guard let raw = string(name) else { return nil }
        guard let value = Int64(raw) else { throw problem(name, "must be a whole number, got '\(raw)'") }
        return value
    }

    /// A whole number within `range`, else `problem` (which says what the range is).
    public func integer(_ name: String, in range: ClosedRange<Int64>, _ outside: String) throws(ConfigurationError) -> Int? {
        guard let value = try integer(name) else { return nil }
        guard range.contains(value), let int = Int(exactly: value) else { throw problem(name, outside) }
        return int
    }

    /// A decimal number (`0.023`) within `range`; `nan`, `inf` and exponents are not prices.
    public func decimal(_ name: String, in range: ClosedRange<Double>) throws(ConfigurationError) -> Double? {
        guard let raw = string(name) else { return nil }
        guard raw.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), let value = Double(raw), range.contains(value) else {
            throw problem(name, "must be a number from \(range.lowerBound) to \(range.upperBound), got '\(raw)'")
        }
        return value
    }

    public func port(_ name: String) throws(ConfigurationError) -> Int? {
        guard let raw = string(name) else { return nil }
        guard let value = Int(raw), (0...65_535).contains(value) else {
            throw problem(name, "must be a port number (0-65535), got '\(raw)'")
        }
        return value
    }

    public func byteCount(_ name: String, atMost limit: Int64 = .max, _ tooLarge: String = "") throws(ConfigurationError) -> Int64? {
        guard let value = try integer(name) else { return nil }
        guard value > 0 else { throw problem(name, "must be a positive number of bytes") }
        guard value <= limit else { throw problem(name, tooLarge) }
        return value
    }

    public func bool(_ name: String) throws(ConfigurationError) -> Bool? {
        guard let raw = string(name) else { return nil }
        switch raw.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw problem(name, "must be true or false, got '\(raw)'")
        }
    }

    /// A duration in milliseconds within `range`.
    public func milliseconds(_ name: String, in range: ClosedRange<Int64>) throws(ConfigurationError) -> Duration? {
        try integer(name, in: range, "must be from \(range.lowerBound) to \(range.upperBound) milliseconds").map { .milliseconds($0) }
    }
}
