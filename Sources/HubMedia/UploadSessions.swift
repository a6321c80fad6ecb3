import HubCore

/// In-memory companions of the durable upload records: which uploads have a request writing to
/// them right now, and the running digests of each upload's bytes so far. Losing this state (a
/// restart) costs only a re-read of the file at the end, never correctness.
actor UploadSessions {
    private var busy: Set<UploadID> = []
    private var hashes: [UploadID: (offset: Int64, hash: ContentHasher)] = [:]

    /// Claims exclusive write access to `id`, waiting up to `patience` for a request that holds
    /// it; false when it is still held then (or the waiter is cancelled).
    ///
    /// The wait exists for the commonest contention, which is no contention at all: a client whose
    /// connection dropped resumes at once, while the request that was reading its body is still
    /// syncing and recording what arrived. Refusing that resume with 423 would only make the
    /// client back off and come again; waiting a moment lets it go through. A holder still reading
    /// from a live but silent connection outlasts the patience, and the request gets its 423.
    /// Polling suits a wait this rare and this short better than a queue of continuations.
    func claim(_ id: UploadID, patience: Duration = .seconds(3)) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: patience)
        while !busy.insert(id).inserted {
            guard ContinuousClock.now < deadline, (try? await Task.sleep(for: .milliseconds(25))) != nil else { return false }
        }
        return true
    }

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
