import Foundation
import HubCore
import Testing

@testable import HubStorage

/// The signer against the worked examples in AWS's S3 documentation ("Signature Calculations
/// for the Authorization Header" and "Query String Authentication") and the SigV4 test suite,
/// then against botocore's signer for requests those examples do not cover.
@Suite struct SigV4SignerTests {
    static let example = SigV4Signer(
        credentials: AWSCredentials(accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1")
    static let may24 = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z
    static let host = ("host", "examplebucket.s3.amazonaws.com")

    func authorization(_ request: SigV4Signer.Request, signer: SigV4Signer = example, payloadHash: String, date: Date = may24) -> String {
        signer.signedHeaders(for: request, payloadHash: payloadHash, date: date).first { $0.name == "Authorization" }!.value
    }

    @Test func getObjectWithRange() {
        let request = SigV4Signer.Request(method: "GET", path: "/test.txt", headers: [Self.host, ("Range", "bytes=0-9")])
        #expect(authorization(request, payloadHash: SigV4Signer.emptyPayloadHash)
            == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test func putObject() {
        let body = Data("Welcome to Amazon S3.".utf8)
        let request = SigV4Signer.Request(
            method: "PUT", path: "/test$file.text",
            headers: [Self.host, ("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")])
        let hash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
        #expect(Array(body).count == 21)
        #expect(authorization(request, payloadHash: hash).hasSuffix(
            "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"
                + "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"))
    }

    @Test func getBucketLifecycle() {
        let request = SigV4Signer.Request(method: "GET", path: "/", query: [("lifecycle", "")], headers: [Self.host])
        #expect(authorization(request, payloadHash: SigV4Signer.emptyPayloadHash).hasSuffix(
            "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"))
    }

    @Test func listObjects() {
        let request = SigV4Signer.Request(method: "GET", path: "/", query: [("max-keys", "2"), ("prefix", "J")], headers: [Self.host])
        #expect(authorization(request, payloadHash: SigV4Signer.emptyPayloadHash).hasSuffix(
            "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"))
    }

    @Test func presignedGet() {
        let request = SigV4Signer.Request(method: "GET", path: "/test.txt", headers: [Self.host])
        #expect(Self.example.presignedQuery(for: request, expires: 86_400, date: Self.may24)
            == "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    }

    /// `get-vanilla` of the SigV4 test suite (a generic service, which signs the same way for
    /// a path with nothing to encode).
    @Test func testSuiteGetVanilla() {
        let signer = SigV4Signer(
            credentials: AWSCredentials(accessKey: "AKIDEXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            region: "us-east-1", service: "service")
        let (canonical, _) = signer.canonicalRequest(
            .init(method: "GET", path: "/", headers: [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")]),
            payloadHash: SigV4Signer.emptyPayloadHash)
        #expect(signer.sign(canonical, stamp: .init(Date(timeIntervalSince1970: 1_440_938_160)))
            == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test func encodingIsRFC3986() {
        #expect(SigV4Signer.encode("videos/ab/ü clip+1~.mp4", keepingSlash: true) == "videos/ab/%C3%BC%20clip%2B1~.mp4")
        #expect(SigV4Signer.encode("a/b=c&d", keepingSlash: false) == "a%2Fb%3Dc%26d")
    }

    /// The same requests signed by botocore (installed by `scripts/setup.sh --test`): unicode and
    /// reserved characters in keys, multipart-upload queries, a session token, presigned URLs.
    @Test func agreesWithBotocore() throws {
        let script = """
            import json, sys, datetime
            from unittest import mock
            import botocore.auth
            from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
            out = []
            for case in json.load(sys.stdin):
                creds = Credentials("AKIDEXAMPLE", "secret/key+example", case.get("token"))
                url = "http://minio.local:9000" + case["path"] + (("?" + case["query"]) if case["query"] else "")
                req = AWSRequest(method=case["method"], url=url, headers=dict(case["headers"]), data=case["body"].encode())
                if case["unsigned"]:
                    req.context["client_config"] = type("Config", (), {"s3": {"payload_signing_enabled": False}})()
                when = datetime.datetime(2026, 11, 25, 10, 27, 46)
                with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when):
                    if case["presign"]:
                        S3SigV4QueryAuth(creds, "s3", "eu-west-3", expires=900).add_auth(req)
                        out.append([req.url.split("?", 1)[1], ""])
                    else:
                        S3SigV4Auth(creds, "s3", "eu-west-3").add_auth(req)
                        # botocore separates the parts with ", ", AWS's examples with ","; the
                        # header is not signed, and S3 takes both.
                        out.append([req.headers["Authorization"].replace(", ", ","), req.headers["X-Amz-Content-SHA256"]])
            print(json.dumps(out))
            """
        struct Case: Encodable {
            var method: String
            var path: String
            var query: String
            var headers: [[String]]
            var body: String
            var unsigned: Bool
            var presign: Bool
            var token: String?
        }
        // (method, path, query, headers, body, unsigned payload, presigned, session token)
        let cases: [(Case, SigV4Signer.Request)] = [
            ("GET", "/bucket/videos/ab/clip.mp4", [], [("Range", "bytes=0-1048575")], "", true, false, nil),
            ("PUT", "/bucket/videos/é ü/(1) a+b=c.mp4", [], [("Content-Type", "video/mp4")], "some bytes", false, false, nil),
            ("POST", "/bucket/big.mp4", [("uploads", "")], [], "", false, false, nil),
            ("PUT", "/bucket/big.mp4", [("partNumber", "7"), ("uploadId", "2~abc/def=")], [], "part", false, false, "session//token=="),
            ("GET", "/bucket", [("list-type", "2"), ("prefix", "videos/ä b"), ("continuation-token", "x+y/z")], [], "", false, false, nil),
            ("GET", "/bucket/videos/x y.mp4", [], [], "", true, true, nil),
        ].map { method, path, query, headers, body, unsigned, presign, token in
            let encodedQuery = query.map { "\(SigV4Signer.encode($0.0, keepingSlash: false))=\(SigV4Signer.encode($0.1, keepingSlash: false))" }
                .joined(separator: "&")
            let testCase = Case(
                method: method, path: SigV4Signer.encode(path, keepingSlash: true), query: encodedQuery,
                headers: headers.map { [$0.0, $0.1] }, body: body, unsigned: unsigned, presign: presign, token: token)
            let request = SigV4Signer.Request(
                method: method, path: path, query: query.map { ($0.0, $0.1) },
                headers: [("host", "minio.local:9000")] + headers.map { ($0.0, $0.1) })
            return (testCase, request)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(try JSONEncoder().encode(cases.map(\.0)))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "botocore is needed: scripts/setup.sh --test installs it")
        let expected = try JSONDecoder().decode([[String]].self, from: data)
        let date = Date(timeIntervalSince1970: 1_795_602_466)  // 2026-11-25T10:27:46Z
        for ((testCase, request), botocore) in zip(cases, expected) {
            let signer = SigV4Signer(
                credentials: AWSCredentials(accessKey: "AKIDEXAMPLE", secretKey: "secret/key+example", sessionToken: testCase.token),
                region: "eu-west-3")
            let ours =
                testCase.presign
                ? signer.presignedQuery(for: request, expires: 900, date: date)
                : signer.signedHeaders(for: request, payloadHash: botocore[1], date: date).first { $0.name == "Authorization" }!.value
            #expect(ours == botocore[0], "\(testCase.method) \(testCase.path)")
            if testCase.unsigned && !testCase.presign { #expect(botocore[1] == SigV4Signer.unsignedPayload) }
        }
    }
}
