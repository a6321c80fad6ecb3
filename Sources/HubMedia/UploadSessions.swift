import HubCore

/// In-memory companions of the durable upload records: which uploads have a request writing to
/// them right now, and the running digests of each upload's bytes so far. Losing this state (a
/// restart) costs only a re-read of the file at the end, never correctness.
actor UploadSessions {
    private var busy: Set<UploadID> = []
    private var hashes: [UploadID: (offset: Int64, hash: ContentHasher)] = [:]

    /// Claims exclusive write access to `id`; false when another request holds it.
    func claim(_ id: UploadID) -> Bool { busy.insert(id).inserted }

    func release(_ id: UploadID) { busy.remove(id) }

    /// The running digests when they cover exactly `offset` bytes of an upload of `length`.
    func hash(for id: UploadID, at offset: Int64, length: Int64) -> ContentHasher? {
        if offset == 0 { return ContentHasher(expectedSize: length) }
        guard let entry = hashes[id], entry.offset == offset else { return nil }
        return entry.hash
    }

    func record(_ hash: ContentHasher?, for id: UploadID, at offset: Int64) {
        hashes[id] = hash.map { (offset, $0) }
    }

    func forget(_ id: UploadID) { hashes[id] = nil }
}
