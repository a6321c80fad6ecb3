import Dispatch
import HubCore
import Synchronization

/// Notes as HTML, rendered away from the threads that serve requests and kept per version.
///
/// A version's content never changes, so each is rendered once and its HTML kept (up to a byte
/// budget, oldest first out); reading a note, however large, costs a lookup after the first
/// time. Rendering runs on one thread of its own, one note at a time: whatever a render costs,
/// it leaves the other core and the event loops to everything else (two previews of a huge
/// note once froze `/healthz` for 19 s because they ran on the request threads).
public final class NoteHTML: Sendable {
    private struct Cache {
        var entries: [String: String] = [:]
        var order: [String] = []
        var first = 0
        var bytes = 0
    }

    public let renderer: MarkdownRenderer
    private let queue = DispatchQueue(label: "streamhub.markdown")
    private let cache = Mutex(Cache())
    private let budget: Int

    public init(renderer: MarkdownRenderer = MarkdownRenderer(), budget: Int = 64 << 20) {
        self.renderer = renderer
        self.budget = budget
    }

    /// A stored note (or an old version of one) as HTML; timestamps link to its video's player.
    public func of(_ note: Note) async -> String {
        let key = "\(note.id)/\(note.version)"
        if let html = cache.withLock({ $0.entries[key] }) { return html }
        let html = await preview(note.content, timestampLinks: note.videoID != nil)
        keep(html, as: key)
        return html
    }

    /// Markdown that is not a stored version (the editor's live preview): rendered, not kept.
    public func preview(_ markdown: String, timestampLinks: Bool) async -> String {
        let renderer = renderer
        return await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: renderer.html(markdown, timestampLinks: timestampLinks)) }
        }
    }

    private func keep(_ html: String, as key: String) {
        let size = html.utf8.count
        guard size <= budget / 4 else { return }
        cache.withLock { cache in
            guard cache.entries.updateValue(html, forKey: key) == nil else { return }
            cache.order.append(key)
            cache.bytes += size
            while cache.bytes > budget, cache.first < cache.order.count {
                if let evicted = cache.entries.removeValue(forKey: cache.order[cache.first]) { cache.bytes -= evicted.utf8.count }
                cache.first += 1
            }
            // The evicted keys' slots are reclaimed once they outnumber the live ones.
            if cache.first > 1_024, cache.first * 2 > cache.order.count {
                cache.order.removeFirst(cache.first)
                cache.first = 0
            }
        }
    }
}
