import Foundation

/// The complete mergeable state of one note on one hub: content as a sequence CRDT, title, tags,
/// sharing, deletion and video as last-writer-wins registers ordered by (HLC, node), and the
/// version count. Applying the same changes in any causal order gives every hub the same
/// document; each applied change is a new version.
public struct NoteDocument: Sendable {
    public let id: NoteID
    public private(set) var text: TextCRDT
    public private(set) var title = LWWRegister("")
    public private(set) var tags = LWWRegister<[String]>([])
    public private(set) var shared = LWWRegister(false)
    public private(set) var deleted = LWWRegister(false)
    public private(set) var video = LWWRegister<VideoID?>(nil)
    public private(set) var version = 0
    /// The earliest and latest stamps applied, and who made them.
    public private(set) var created: (stamp: ChangeStamp, author: String)?
    public private(set) var updated: (stamp: ChangeStamp, author: String)?
    /// Register writes that lost to a concurrent later write: conflicts settled by the rules.
    public private(set) var conflicts = 0
    /// Which changes the document holds: what a peer is asked for, or told it can skip.
    public private(set) var vector = VersionVector()

    /// The node the note was created on: the only one whose sharing and deletion peers accept.
    public var homeNode: NodeID? { created?.stamp.node }

    /// An empty document whose local edits carry `node`'s replica id.
    public init(id: NoteID, node: NodeID) {
        self.id = id
        self.text = TextCRDT(replica: node.replica)
    }

    /// A document rebuilt from its stored history.
    public init(id: NoteID, node: NodeID, history: some Sequence<NoteChange>) {
        self.init(id: id, node: node)
        for change in history { apply(change) }
    }

    /// Applies a change made here or elsewhere (causal order assumed, repeats harmless for the
    /// text) and counts it as a version.
    public mutating func apply(_ change: NoteChange) {
        for operation in change.operations {
            if case .text(let text) = operation { self.text.apply(text) }
        }
        applyRegisters(change)
    }

    /// Applies a change made on another hub after checking it as the API checks a save: its
    /// title, tags and author, and that each text operation fits the text as it then stands.
    /// Returns why not when it does not; the document may then be partly changed and must be
    /// thrown away (merges work on a copy and refuse the whole batch).
    public mutating func applyChecked(_ change: NoteChange, ownNodeName: String) -> String? {
        if let problem = NoteRules.foreignAuthorProblem(change.author, ownNodeName: ownNodeName) { return problem }
        for operation in change.operations {
            switch operation {
            case .title(let title):
                if let problem = NoteRules.titleProblem(title) { return problem }
            case .tags(let tags):
                if let problem = NoteRules.tagsProblem(tags) { return problem }
            case .text, .shared, .deleted, .video:
                continue
            }
        }
        for operation in change.operations {
            guard case .text(let text) = operation else { continue }
            if let problem = self.text.refusal(of: text, madeBy: change.stamp.node.replica) { return problem }
            self.text.apply(text)
        }
        applyRegisters(change)
        return nil
    }

    private mutating func applyRegisters(_ change: NoteChange) {
        let stamp = change.stamp
        var lost = false
        for operation in change.operations {
            switch operation {
            case .text: continue
            case .title(let value): lost = !title.set(value, at: stamp) || lost
            case .tags(let value): lost = !tags.set(value, at: stamp) || lost
            case .shared(let value): lost = !shared.set(value, at: stamp) || lost
            case .deleted(let value): lost = !deleted.set(value, at: stamp) || lost
            case .video(let value): lost = !video.set(value, at: stamp) || lost
            }
        }
        if lost { conflicts += 1 }
        vector.record(stamp)
        version += 1
        if created == nil || stamp < created!.stamp { created = (stamp, change.author) }
        if updated == nil || stamp > updated!.stamp { updated = (stamp, change.author) }
    }

    /// Makes and applies the change that turns `base` (an earlier version of this document;
    /// nil for the current one) into what `edit` asks. Only what differs from the base becomes
    /// an operation, so a save from an old version keeps every change made since: its text
    /// operations are made on the old version and merged like a peer's, and registers the
    /// writer did not touch are not written. Nil when the edit changes nothing.
    public mutating func edit(_ edit: NoteEdit, basedOn base: NoteDocument? = nil, stamp: ChangeStamp, author: String) -> NoteChange? {
        var operations: [NoteOperation] = []
        func differs<Value: Equatable>(_ new: Value?, _ register: KeyPath<NoteDocument, LWWRegister<Value>>) -> Value? {
            guard let new, new != (base ?? self)[keyPath: register].value else { return nil }
            return new
        }
        if let value = differs(edit.title, \.title) { operations.append(.title(value)) }
        if let value = differs(edit.tags, \.tags) { operations.append(.tags(value)) }
        if let value = differs(edit.shared, \.shared) { operations.append(.shared(value)) }
        if let value = differs(edit.deleted, \.deleted) { operations.append(.deleted(value)) }
        if let value = differs(edit.video, \.video) { operations.append(.video(value)) }
        if let content = edit.content {
            let target = [Unicode.Scalar](scalarsOf: content)
            if var fork = base?.text {
                // New ids must not collide with ids this replica made after the base.
                fork.reserveCounters(below: text.nextLocalCounter)
                let made = Self.splice(&fork, to: target)
                for operation in made { text.apply(operation) }
                operations += made.map(NoteOperation.text)
            } else {
                operations += Self.splice(&text, to: target).map(NoteOperation.text)
            }
        }
        guard !operations.isEmpty else { return nil }
        let change = NoteChange(note: id, stamp: stamp, author: author, operations: operations)
        applyRegisters(change)
        return change
    }

    /// Edits `text` into `target` with the fewest operations, last hunk first so earlier
    /// positions stay valid; returns the operations in the order they were made.
    private static func splice(_ text: inout TextCRDT, to target: [Unicode.Scalar]) -> [TextOperation] {
        var operations: [TextOperation] = []
        for hunk in TextDiff.hunks(from: text.scalars, to: target).reversed() {
            operations += text.delete(at: hunk.offset, length: hunk.deleted)
            if let insert = text.insert(Array(target[hunk.inserted]), at: hunk.offset) { operations.append(insert) }
        }
        return operations
    }

    /// The note as stored and shown, for the local account `owner` (nil for a peer's note).
    /// `content`, when the caller knows it (a save that was not merged leaves exactly the text
    /// it sent), saves rebuilding the text from the CRDT.
    public func note(ownerID: UserID?, recordedAt: Date, content: String? = nil) -> Note {
        let createdAt = created?.stamp.clock.date ?? recordedAt
        return Note(
            id: id, title: title.value, content: content ?? text.text, tags: tags.value, ownerID: ownerID,
            author: created?.author ?? "", lastEditor: updated?.author ?? "", isShared: shared.value, videoID: video.value,
            version: version, createdAt: createdAt, updatedAt: updated?.stamp.clock.date ?? createdAt,
            deletedAt: deleted.value ? deleted.stamp?.clock.date : nil, homeNode: homeNode)
    }
}
