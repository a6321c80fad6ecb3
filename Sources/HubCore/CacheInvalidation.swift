/// Something changed that instances keep in memory for a moment (accounts, tokens, videos): what
/// one instance tells the others sharing its database, so a token revoked or a video unshared on
/// one is refused or hidden on all at once, not when their caches expire.
public enum CachedChange: Sendable, Hashable {
    /// An account's role, password, sessions or disabled flag changed, or it was deleted.
    case account(UserID)
    /// A token was revoked. Tokens are cached by their secret's hash, which the revocation does
    /// not carry, so every cached token is dropped.
    case tokens
    case video(VideoID)
    /// Changes may have been missed (the listening connection was down): drop everything.
    case everything

    /// The change as a notification's text.
    public var payload: String {
        switch self {
        case .account(let id): "account:\(id.rawValue)"
        case .tokens: "tokens"
        case .video(let id): "video:\(id.rawValue)"
        case .everything: "everything"
        }
    }

    /// A notification's text as a change; anything unreadable (another version's message) is
    /// taken as `everything`, the safe reading.
    public init(payload: String) {
        let (kind, value) = payload.firstIndex(of: ":").map { (payload[..<$0], String(payload[payload.index(after: $0)...])) }
            ?? (payload[...], "")
        switch kind {
        case "account": self = UserID(value).map(CachedChange.account) ?? .everything
        case "video": self = VideoID(value).map(CachedChange.video) ?? .everything
        case "tokens": self = .tokens
        default: self = .everything
        }
    }
}

/// Tells the other instances sharing the database what changed, and hears what they changed
/// (PostgreSQL `NOTIFY`/`LISTEN`). One process on SQLite has none.
public protocol CacheBroadcast: Sendable {
    /// Tells every instance, this one included. Best effort: a change that cannot be sent still
    /// reaches the others when their caches expire.
    func publish(_ change: CachedChange) async
    /// Every change published by any instance, as it arrives, for as long as the caller reads.
    func changes() -> AsyncStream<CachedChange>
}

/// A cache that drops what a change makes stale.
public protocol CacheInvalidating: Sendable {
    func invalidate(_ change: CachedChange)
}
