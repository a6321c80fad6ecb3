/// Exclusive write access to an upload across every instance sharing the database, so that one
/// upload's PATCHes may land on any instance and two at once never interleave. Within one
/// process `TusUploadService` already excludes concurrent writers; this adds the other processes.
public protocol UploadLocks: Sendable {
    /// The lock of `id`, or nil when another instance holds it.
    func acquire(_ id: UploadID) async throws -> (any Lease)?
    /// Releases every lock this instance holds, at shutdown.
    func close() async
}

/// Work that one instance of a deployment does at a time, whichever it is.
public enum ExclusiveRole: Sendable, CaseIterable {
    /// Being the deployment's one node to its peers: their listener, gossip and anti-entropy.
    case peerNetwork
    /// Writing the notes' file mirror (`NOTEPAD_STORAGE_PATH`) with every instance's edits.
    case noteMirror
    /// Walking the video library for upkeep (block manifests of videos stored before ingest
    /// made them): once for the deployment, not once per instance.
    case videoUpkeep
}

/// Claims of `ExclusiveRole`s across the instances sharing the database. A claim lasts while the
/// instance lives and keeps its connection to the database; then another instance's claim
/// succeeds, which is how a role is taken over.
public protocol RoleClaims: Sendable {
    /// The role, or nil while another instance holds it.
    func claim(_ role: ExclusiveRole) async throws -> (any Lease)?
}

/// A held lock (of an upload or a role). An instance that dies releases its locks with it (the
/// database ends its session); one whose connection to the database drops loses them, which
/// `isHeld` reports.
public protocol Lease: Sendable {
    /// Whether the lock is still this instance's: checked before an upload's offset is recorded,
    /// so a writer that lost its lock never records bytes another may be writing, and by a role's
    /// holder, which stops when it no longer holds it.
    func isHeld() async -> Bool
    func release() async
}
