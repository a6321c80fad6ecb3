/// Who is making a request, once authenticated.
public struct Identity: Sendable, Equatable {
    public enum Credential: Sendable, Equatable {
        /// A browser session; `csrfToken` is what its state-changing requests must echo.
        case session(csrfToken: String)
        case apiToken(id: String)
    }

    public var user: User
    public var credential: Credential

    public init(user: User, credential: Credential) {
        self.user = user
        self.credential = credential
    }
}

/// Something with an owner and a visibility: videos and notes.
public protocol OwnedItem {
    /// Nil for items whose owner was deleted: only admins see and manage those.
    var ownerID: UserID? { get }
    var isShared: Bool { get }
    /// Whether the item is a peer's, listed here from the peer network: viewed here, changed
    /// only by its owner on its origin hub.
    var isFromPeer: Bool { get }
}

extension OwnedItem {
    public var isFromPeer: Bool { false }
}

/// Which items a listing or search may return to a user; repositories turn it into a filter.
public enum Visibility: Sendable, Equatable {
    case everything
    /// The user's own items and every shared item.
    case ownedOrShared(by: UserID)
}

/// The hub's access rules, in one place, for every kind of item and every route: private items
/// are visible to their owner and admins, shared items to every signed-in user, and only the
/// owner or an admin edits or deletes. Routes ask this; repositories apply `visibility(for:)`.
public enum AccessPolicy {
    public enum Action: Sendable {
        /// See, list, stream, download.
        case view
        /// Change a shared item's content: notes are collaborative, so everyone who may see a
        /// shared note may edit it (its owner still decides sharing and deletion).
        case contribute
        /// Edit, share, delete.
        case modify
    }

    public static func allows(_ user: User, to action: Action, _ item: some OwnedItem) -> Bool {
        if item.isFromPeer { return action == .view && item.isShared }
        if user.isAdmin || item.ownerID == user.id { return true }
        switch action {
        case .view, .contribute: return item.isShared
        case .modify: return false
        }
    }

    public static func visibility(for user: User) -> Visibility {
        user.isAdmin ? .everything : .ownedOrShared(by: user.id)
    }

    /// The error for a refused action. An item the user may not even see is reported as missing,
    /// so ids cannot be probed for existence.
    public static func check(_ user: User, may action: Action, _ item: some OwnedItem, describedAs name: String) throws(AccessError) {
        guard allows(user, to: action, item) else {
            if allows(user, to: .view, item) {
                throw .forbidden("only the owner or an admin can change \(name)")
            }
            throw .notFound(name)
        }
    }
}
