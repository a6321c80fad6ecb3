import HubCore
import Synchronization

/// Tells the peer network about changes made on this hub (saves and imports) to notes that
/// peers may hold. Nothing is kept when no one listens, so a hub without peers pays nothing.
public final class NoteChangeFeed: Sendable {
    public typealias Notice = NoteChangeNotice

    private let handler = Mutex<(@Sendable (Notice) -> Void)?>(nil)

    public init() {}

    public func subscribe(_ handler: @escaping @Sendable (Notice) -> Void) {
        self.handler.withLock { $0 = handler }
    }

    func publish(_ notice: Notice) {
        handler.withLock { $0 }?(notice)
    }
}
