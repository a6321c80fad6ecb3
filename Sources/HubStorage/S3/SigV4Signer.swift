import Crypto
import Foundation
import HubCore

/// Credentials for an S3-compatible store.
public struct AWSCredentials: Sendable, Equatable {
    public var accessKey: String
    public var secretKey: String
    /// Present with temporary (STS) credentials; signed as `x-amz-security-token`.
    public var sessionToken: String?

    public init(accessKey: String, secretKey: String, sessionToken: String? = nil) {
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.sessionToken = sessionToken
    }
}

/// AWS Signature Version 4 for S3, in headers (`Authorization`) and in query strings (presigned
/// URLs). There is no AWS SDK for Swift among the packages here, so this is ours; it is checked
/// against the examples AWS publishes and against botocore's signer for the same requests.
///
/// S3's flavour of SigV4: the path is URI-encoded once (not twice, as other services do), `/` is
/// kept, and the payload hash is sent as `x-amz-content-sha256` (or `UNSIGNED-PAYLOAD`).
public struct SigV4Signer: Sendable {
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public let credentials: AWSCredentials
    public let region: String
    public let service: String

    public init(credentials: AWSCredentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// A request to sign: everything that goes into the canonical request.
    public struct Request: Sendable {
        public var method: String
        /// The path as sent, before encoding (`/bucket/some key.mp4`).
        public var path: String
        public var query: [(name: String, value: String)]
        /// Headers to sign; `host` must be among them.
        public var headers: [(name: String, value: String)]

        public init(method: String, path: String, query: [(name: String, value: String)] = [], headers: [(name: String, value: String)]) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
        }
    }

    /// The headers to add to `request`: `x-amz-date`, `x-amz-content-sha256`, the session token
    /// when there is one, and `Authorization`.
    public func signedHeaders(for request: Request, payloadHash: String, date: Date) -> [(name: String, value: String)] {
        let stamp = Timestamp(date)
        var added: [(name: String, value: String)] = [("x-amz-date", stamp.full), ("x-amz-content-sha256", payloadHash)]
        if let token = credentials.sessionToken { added.append(("x-amz-security-token", token)) }
        var signing = request
        signing.headers += added
        let (canonical, signedNames) = canonicalRequest(signing, payloadHash: payloadHash)
        let signature = sign(canonical, stamp: stamp)
        added.append((
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKey)/\(scope(stamp)),SignedHeaders=\(signedNames),Signature=\(signature)"
        ))
        return added
    }

    /// The query string of a presigned URL for `request` (only `host` signed), valid `expires`
    /// seconds from `date`; append it to the URL after `?`.
    public func presignedQuery(for request: Request, expires: Int, date: Date) -> String {
        let stamp = Timestamp(date)
        var signing = request
        signing.query += [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", "\(credentials.accessKey)/\(scope(stamp))"),
            ("X-Amz-Date", stamp.full),
            ("X-Amz-Expires", String(expires)),
            ("X-Amz-SignedHeaders", "host"),
        ]
        if let token = credentials.sessionToken { signing.query.append(("X-Amz-Security-Token", token)) }
        signing.headers = request.headers.filter { $0.name.lowercased() == "host" }
        let (canonical, _) = canonicalRequest(signing, payloadHash: Self.unsignedPayload)
        let signature = sign(canonical, stamp: stamp)
        return Self.canonicalQuery(signing.query) + "&X-Amz-Signature=" + signature
    }

    // MARK: - The algorithm

    func canonicalRequest(_ request: Request, payloadHash: String) -> (text: String, signedHeaders: String) {
        var headers: [String: String] = [:]
        for (name, value) in request.headers {
            let key = name.lowercased()
            let trimmed = Self.collapsingSpaces(value)
            headers[key] = headers[key].map { "\($0),\(trimmed)" } ?? trimmed
        }
        let names = headers.keys.sorted()
        let signedHeaders = names.joined(separator: ";")
        let text = [
            request.method,
            Self.encode(request.path, keepingSlash: true),
            Self.canonicalQuery(request.query),
            names.map { "\($0):\(headers[$0]!)\n" }.joined(),
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")
        return (text, signedHeaders)
    }

    func sign(_ canonicalRequest: String, stamp: Timestamp) -> String {
        let stringToSign = [
            "AWS4-HMAC-SHA256", stamp.full, scope(stamp), SHA256.hash(data: Data(canonicalRequest.utf8)).hexEncoded,
        ].joined(separator: "\n")
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretKey)".utf8))
        for part in [stamp.day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key).hexEncoded
    }

    private func scope(_ stamp: Timestamp) -> String { "\(stamp.day)/\(region)/\(service)/aws4_request" }

    static func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        let encoded: [(name: String, value: String)] = query.map { item in
            (encode(item.name, keepingSlash: false), encode(item.value, keepingSlash: false))
        }
        let sorted = encoded.sorted { left, right in
            left.name == right.name ? left.value < right.value : left.name < right.name
        }
        return sorted.map { item in item.name + "=" + item.value }.joined(separator: "&")
    }

    /// RFC 3986 percent-encoding of everything but the unreserved characters (and `/` in paths),
    /// uppercase hex, spaces as `%20`: what SigV4 requires, and what the request must then send.
    public static func encode(_ text: String, keepingSlash: Bool) -> String {
        var encoded = ""
        encoded.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepingSlash:
                encoded.append("/")
            default:
                encoded += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0x0f, radix: 16, uppercase: true)
            }
        }
        return encoded
    }

    private static func collapsingSpaces(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            .trimmingCharacters(in: .whitespaces)
    }

    /// `20130524T000000Z` and `20130524`, in UTC.
    struct Timestamp {
        let full: String
        let day: String

        init(_ date: Date) {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
            day = String(format: "%04d%02d%02d", c.year!, c.month!, c.day!)
            full = day + String(format: "T%02d%02d%02dZ", c.hour!, c.minute!, c.second!)
        }
    }
}
