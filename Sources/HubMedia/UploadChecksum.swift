import Crypto
import Foundation
import HubCore

/// The tus checksum extension: `Upload-Checksum: <algorithm> <base64 digest>` on a PATCH.
public struct UploadChecksum: Sendable {
    public enum Algorithm: String, Sendable, CaseIterable {
        case sha1, sha256
    }

    public let algorithm: Algorithm
    public let expected: Data

    /// The value of `Tus-Checksum-Algorithm`.
    public static let supportedAlgorithms = Algorithm.allCases.map(\.rawValue).joined(separator: ",")

    public init?(header: String?) throws(InvalidInput) {
        guard let header, !header.isEmpty else { return nil }
        let parts = header.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2 else {
            throw InvalidInput("Upload-Checksum must be '<algorithm> <base64 digest>'", code: "invalid_checksum")
        }
        guard let algorithm = Algorithm(rawValue: parts[0].lowercased()) else {
            throw InvalidInput("checksum algorithm '\(parts[0])' is not supported; use one of \(Self.supportedAlgorithms)", code: "unsupported_checksum_algorithm")
        }
        guard let digest = Data(base64Encoded: String(parts[1])) else {
            throw InvalidInput("the Upload-Checksum digest is not base64", code: "invalid_checksum")
        }
        self.algorithm = algorithm
        self.expected = digest
    }
}

/// A running digest of one request's bytes, in whichever algorithm the client chose.
public enum ChunkDigest: Sendable {
    case sha1(Insecure.SHA1)
    case sha256(SHA256)

    public init(_ algorithm: UploadChecksum.Algorithm) {
        switch algorithm {
        case .sha1: self = .sha1(Insecure.SHA1())
        case .sha256: self = .sha256(SHA256())
        }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .sha1(var hasher):
            hasher.update(bufferPointer: bytes)
            self = .sha1(hasher)
        case .sha256(var hasher):
            hasher.update(bufferPointer: bytes)
            self = .sha256(hasher)
        }
    }

    public func finalize() -> Data {
        switch self {
        case .sha1(let hasher): Data(hasher.finalize())
        case .sha256(let hasher): Data(hasher.finalize())
        }
    }
}

