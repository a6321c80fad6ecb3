import CLinuxExtras
import Foundation
import HubCore
import HubSystem

/// `trace-replay FILE…`: replays real editing traces (`../shared/data/editing-traces`, the
/// josephg/editing-traces formats) through the notes' text CRDT and prints one JSON line per file:
/// `{"trace": path, "ok": final text == endContent, "ms": replay time, "peakRSSBytes": n}`.
///
/// Sequential traces are applied as local edits on one replica. Concurrent ones fork a replica
/// per agent: a transaction's edits are made on its agent's replica once that replica has merged
/// everything the transaction's parents had seen, and at the end every replica merges everything
/// and must hold `endContent`.
@main
struct TraceReplay {
    static func main() throws {
        let paths = CommandLine.arguments.dropFirst()
        guard !paths.isEmpty else {
            FileHandle.standardError.write(Data("usage: trace-replay FILE.json[.gz]...\n".utf8))
            exit(64)
        }
        for path in paths {
            let trace = try JSONDecoder().decode(Trace.self, from: try read(path))
            ProcessMemory.resetPeak()
            let started = ContinuousClock.now
            let ok = trace.txns.contains { !$0.parents.isEmpty } || trace.numAgents != nil ? replayConcurrent(trace) : replaySequential(trace)
            let elapsed = ContinuousClock.now - started
            let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            let line: [String: Any] = ["trace": path, "ok": ok, "ms": (ms * 10).rounded() / 10, "peakRSSBytes": ProcessMemory.peakResidentBytes()]
            print(String(decoding: try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
        }
    }

    static func replaySequential(_ trace: Trace) -> Bool {
        var document = TextCRDT(replica: 1)
        if !trace.startContent.isEmpty { document.insert(Array(trace.startContent.unicodeScalars), at: 0) }
        for txn in trace.txns {
            for patch in txn.patches { apply(patch, to: &document) }
        }
        return document.scalars.elementsEqual(trace.endContent.unicodeScalars)
    }

    @discardableResult
    static func apply(_ patch: Trace.Patch, to document: inout TextCRDT) -> [TextOperation] {
        var operations = document.delete(at: patch.position, length: patch.deleted)
        if let insert = document.insert(patch.inserted, at: patch.position) { operations.append(insert) }
        return operations
    }

    static func replayConcurrent(_ trace: Trace) -> Bool {
        let agents = max(trace.numAgents ?? 1, (trace.txns.map(\.agent).max() ?? 0) + 1)
        var replicas = (0..<agents).map { TextCRDT(replica: ReplicaID($0 + 1)) }
        var applied = [[Bool]](repeating: [Bool](repeating: false, count: trace.txns.count), count: agents)
        var operations = [[TextOperation]](repeating: [], count: trace.txns.count)

        /// Brings `replica` up to everything `roots` had seen, in causal (index) order.
        func merge(_ replica: Int, upTo roots: [Int]) {
            var missing: [Int] = []
            var stack = roots
            while let txn = stack.popLast() {
                guard !applied[replica][txn] else { continue }
                applied[replica][txn] = true
                missing.append(txn)
                stack.append(contentsOf: trace.txns[txn].parents)
            }
            for txn in missing.sorted() {
                for operation in operations[txn] { replicas[replica].apply(operation) }
            }
        }

        for (index, txn) in trace.txns.enumerated() {
            merge(txn.agent, upTo: txn.parents)
            for patch in txn.patches { operations[index] += apply(patch, to: &replicas[txn.agent]) }
            applied[txn.agent][index] = true
        }
        let everything = Array(trace.txns.indices)
        let expected = Array(trace.endContent.unicodeScalars)
        return (0..<agents).allSatisfy { replica in
            merge(replica, upTo: everything)
            return replicas[replica].scalars == expected
        }
    }

    /// The file's bytes, gunzipped when it ends in `.gz`.
    static func read(_ path: String) throws -> Data {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return path.hasSuffix(".gz") ? try gunzip(data) : data
    }

    static func gunzip(_ data: Data) throws -> Data {
        var stream = z_stream()
        // 16 + MAX_WBITS: expect a gzip header.
        guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw InvalidInput("zlib could not start", code: "gzip")
        }
        defer { inflateEnd(&stream) }
        var output = Data()
        var input = [UInt8](data)
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        let status: Int32 = input.withUnsafeMutableBufferPointer { inputBuffer in
            stream.next_in = inputBuffer.baseAddress
            stream.avail_in = uInt(inputBuffer.count)
            var status = Z_OK
            while status == Z_OK {
                status = chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                output.append(contentsOf: chunk[0..<(chunk.count - Int(stream.avail_out))])
            }
            return status
        }
        guard status == Z_STREAM_END else { throw InvalidInput("not a whole gzip file (zlib \(status))", code: "gzip") }
        return output
    }
}

/// The josephg/editing-traces formats: sequential (`startContent`, `txns` of patches) and
/// concurrent (`numAgents`, `txns` with `parents` and `agent`).
struct Trace: Decodable {
    var startContent: String
    var endContent: String
    var numAgents: Int?
    var txns: [Txn]

    struct Txn: Decodable {
        var parents: [Int]
        var agent: Int
        var patches: [Patch]

        enum CodingKeys: String, CodingKey { case parents, agent, patches }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            parents = try container.decodeIfPresent([Int].self, forKey: .parents) ?? []
            agent = try container.decodeIfPresent(Int.self, forKey: .agent) ?? 0
            patches = try container.decode([Patch].self, forKey: .patches)
        }
    }

    /// `[position, numDeleted, inserted]`, in Unicode scalars.
    struct Patch: Decodable {
        var position: Int
        var deleted: Int
        var inserted: [Unicode.Scalar]

        init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            position = try container.decode(Int.self)
            deleted = try container.decode(Int.self)
            inserted = Array(try container.decode(String.self).unicodeScalars)
        }
    }

    enum CodingKeys: String, CodingKey { case startContent, endContent, numAgents, txns }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        startContent = try container.decodeIfPresent(String.self, forKey: .startContent) ?? ""
        endContent = try container.decode(String.self, forKey: .endContent)
        numAgents = try container.decodeIfPresent(Int.self, forKey: .numAgents)
        txns = try container.decode([Txn].self, forKey: .txns)
    }
}
