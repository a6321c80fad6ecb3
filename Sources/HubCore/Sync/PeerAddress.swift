import Foundation

/// Where a peer's listener is: `host:port`, or `[v6 address]:port`, as in `P2P_PEERS`.
public struct PeerAddress: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public var host: String
    public var port: Int

    public init?(host: String, port: Int) {
        guard !host.isEmpty, host.utf8.count <= 253, (1...65_535).contains(port),
            !host.contains(where: { $0.isWhitespace || "/?#@[]".contains($0) })
        else { return nil }
        self.host = host
        self.port = port
    }

    public init?(_ text: String) {
        let text = text.trimmingCharacters(in: .whitespaces)
        let host: Substring
        let port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return nil }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        }
        guard let number = Int(port) else { return nil }
        self.init(host: String(host), port: number)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// A loopback host: peers there need no secret, since nothing off this machine reaches them.
    public var isLoopback: Bool { PeerAddress.isLoopback(host) }

    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host.hasPrefix("127.") || host == "::1"
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.host, lhs.port) < (rhs.host, rhs.port) }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let address = PeerAddress(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not host:port"))
        }
        self = address
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
