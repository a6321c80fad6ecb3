import Foundation
import HubCore
import HubMedia
import HubNotes
import HubSync
import NIOCore

/// The parsers of untrusted bytes, each as a function that must return for any input: a trap,
/// a crash or a hang in one of them is a finding. `FUZZ_TARGET` (or `--target`) picks one.
enum FuzzTargets {
    static let names = ["range", "conditional", "tus", "multipart", "dns", "markdown", "peer-message", "crdt"]

    static func named(_ name: String) -> (@Sendable ([UInt8]) -> Void)? {
        switch name {
        case "range": range
        case "conditional": conditional
        case "tus": tus
        case "multipart": multipart
        case "dns": dns
        case "markdown": markdown
        case "peer-message": peerMessage
        case "crdt": crdt
        default: nil
        }
    }

    /// `Range` against a size taken from the input's first bytes.
    @Sendable static func range(_ data: [UInt8]) {
        let size = data.prefix(8).reduce(Int64(0)) { ($0 << 8 | Int64($1)) & 0x0000_FFFF_FFFF_FFFF }
        _ = ByteRangeRequest.parse(String(decoding: data.dropFirst(8), as: UTF8.self), size: size)
    }

    /// The conditional headers, split on newlines, against fixed validators.
    @Sendable static func conditional(_ data: [UInt8]) {
        let fields = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func field(_ index: Int) -> String? { index < fields.count ? fields[index] : nil }
        let request = ConditionalRequest(ifMatch: field(0), ifNoneMatch: field(1), ifModifiedSince: field(2), ifUnmodifiedSince: field(3), ifRange: field(4))
        _ = request.evaluate(against: Validators(sha256: String(repeating: "a", count: 64), lastModified: Date(timeIntervalSince1970: 1_790_000_000)))
        if let date = HTTPDate.parse(field(2) ?? "") { _ = HTTPDate.format(date) }
    }

    /// tus `Upload-Metadata`, `Upload-Checksum` and the integers of its headers.
    @Sendable static func tus(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        if let metadata = try? UploadMetadata.parse(text) { _ = UploadDescription(metadata: metadata) }
        _ = try? UploadChecksum(header: text)
        _ = HeaderInteger.parse(text)
    }

    /// A `multipart/form-data` body in pieces cut where the input says.
    @Sendable static func multipart(_ data: [UInt8]) {
        guard let first = data.first else { return }
        var parser = MultipartStreamParser(boundary: "B")
        let step = Int(first % 64) + 1
        var offset = 1
        do {
            while offset < data.count {
                let end = min(data.count, offset + step)
                _ = try parser.feed(ByteBuffer(bytes: data[offset..<end]))
                offset = end
            }
        } catch {}
    }

    @Sendable static func dns(_ data: [UInt8]) {
        _ = try? DNSMessage(parsing: data)
    }

    @Sendable static func markdown(_ data: [UInt8]) {
        _ = MarkdownRenderer().html(String(decoding: data, as: UTF8.self), timestampLinks: data.first.map { $0 & 1 == 1 } ?? false)
    }

    /// Every peer message's decoding; a gossip batch that decodes is then merged into a note
    /// the way a hub would: checked change by change, then applied.
    @Sendable static func peerMessage(_ data: [UInt8]) {
        let decoder = JSONDecoder()
        let bytes = Data(data)
        _ = try? decoder.decode(PeerMessage.Hello.self, from: bytes)
        _ = try? decoder.decode(PeerMessage.Digest.self, from: bytes)
        _ = try? decoder.decode(PeerMessage.Pull.self, from: bytes)
        guard let gossip = try? decoder.decode(PeerMessage.Gossip.self, from: bytes) else { return }
        for batch in gossip.batches.prefix(16) {
            var document = NoteDocument(id: batch.note, node: NodeID("11111111111111111111111111111111")!)
            for change in batch.changes.prefix(64) where document.applyChecked(change, ownNodeName: "fuzz") != nil { break }
        }
    }

    /// Text operations from bytes, checked then applied to a text that also edits locally: the
    /// CRDT must refuse what does not fit and apply the rest without trapping.
    @Sendable static func crdt(_ data: [UInt8]) {
        var text = TextCRDT(replica: 1)
        var remote = TextCRDT(replica: 2)
        var bytes = data[...]
        func next() -> UInt32? {
            guard bytes.count >= 2 else { return nil }
            defer { bytes = bytes.dropFirst(2) }
            return UInt32(bytes[bytes.startIndex]) << 8 | UInt32(bytes[bytes.startIndex + 1])
        }
        while let op = next(), let a = next(), let b = next() {
            let replica: ReplicaID = [1, 2, 3][Int(op % 3)]
            let operation: TextOperation
            switch op % 4 {
            case 0:
                guard let made = remote.insert(Array("ab".unicodeScalars), at: Int(a) % (remote.count + 1)) else { continue }
                operation = made
            case 1:
                operation = .insert(first: CharacterID(replica: replica, counter: a), after: CharacterID(replica: replica, counter: b), before: nil, text: ["x"])
            case 2:
                operation = .delete(replica: replica, counters: min(a, b)...max(a, b))
            default:
                if text.count > 0 { text.delete(at: Int(a) % text.count, length: min(Int(b) % 4, text.count - Int(a) % text.count)) }
                text.insert(["y"], at: Int(b) % (text.count + 1))
                continue
            }
            if text.refusal(of: operation, madeBy: 2) == nil { text.apply(operation) }
        }
        _ = text.text
    }
}
