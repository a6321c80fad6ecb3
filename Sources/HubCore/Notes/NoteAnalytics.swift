import Foundation

/// Something a person did with notes, counted for the analytics page.
public enum NoteEvent: Sendable, Equatable {
    case viewed(NoteID, by: UserID?)
    case edited(NoteID, by: UserID?)
    case searched(query: String, results: Int, by: UserID?)
}

/// The analytics page's figures, limited to what the asking user may see.
public struct NoteAnalyticsReport: Sendable, Equatable, Codable {
    public struct NoteCount: Sendable, Equatable, Codable {
        public var id: String
        public var title: String
        public var count: Int
        public init(id: String, title: String, count: Int) { (self.id, self.title, self.count) = (id, title, count) }
    }
    public struct TermCount: Sendable, Equatable, Codable {
        public var term: String
        public var count: Int
        public init(term: String, count: Int) { (self.term, self.count) = (term, count) }
    }
    public struct SearchCount: Sendable, Equatable, Codable {
        public var query: String
        public var count: Int
        /// Results of the latest such search: 0 means people looked for something that is not there.
        public var lastResults: Int
        public init(query: String, count: Int, lastResults: Int) { (self.query, self.count, self.lastResults) = (query, count, lastResults) }
    }
    public struct Day: Sendable, Equatable, Codable {
        /// `YYYY-MM-DD`, UTC.
        public var day: String
        public var views: Int
        public var edits: Int
        public var searches: Int
        public init(day: String, views: Int, edits: Int, searches: Int) {
            (self.day, self.views, self.edits, self.searches) = (day, views, edits, searches)
        }
    }

    public var mostViewed: [NoteCount]
    public var mostEdited: [NoteCount]
    public var topTags: [TermCount]
    public var topSearches: [SearchCount]
    public var unansweredSearches: [SearchCount]
    public var activity: [Day]
    public var totals: Day

    public init(
        mostViewed: [NoteCount], mostEdited: [NoteCount], topTags: [TermCount], topSearches: [SearchCount],
        unansweredSearches: [SearchCount], activity: [Day], totals: Day
    ) {
        self.mostViewed = mostViewed
        self.mostEdited = mostEdited
        self.topTags = topTags
        self.topSearches = topSearches
        self.unansweredSearches = unansweredSearches
        self.activity = activity
        self.totals = totals
    }
}

extension NoteAnalyticsReport {
    /// Event counts per (UTC day `YYYY-MM-DD`, kind: `view`, `edit` or `search`) as one entry per
    /// day from `start` up to `end`, days without events as zeros, and their totals: what every
    /// database's report ends with.
    public static func activity(
        _ counts: [(day: String, kind: String, count: Int)], from start: Date, to end: Date
    ) -> (activity: [Day], totals: Day) {
        var days: [String: Day] = [:]
        for (day, kind, count) in counts {
            var entry = days[day] ?? Day(day: day, views: 0, edits: 0, searches: 0)
            switch kind {
            case "view": entry.views += count
            case "edit": entry.edits += count
            default: entry.searches += count
            }
            days[day] = entry
        }
        let activity = Self.days(from: start, to: end).map { days[$0] ?? Day(day: $0, views: 0, edits: 0, searches: 0) }
        let totals = activity.reduce(into: Day(day: "total", views: 0, edits: 0, searches: 0)) { sum, day in
            sum.views += day.views
            sum.edits += day.edits
            sum.searches += day.searches
        }
        return (activity, totals)
    }

    /// `YYYY-MM-DD` for each UTC day from `start` up to `end`, so days without events show as zero.
    public static func days(from start: Date, to end: Date) -> [String] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let formatter = DateFormatter()
        formatter.calendar = calendar
        formatter.timeZone = calendar.timeZone
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd"
        var days: [String] = []
        var day = calendar.startOfDay(for: start)
        while day < end {
            days.append(formatter.string(from: day))
            day = calendar.date(byAdding: .day, value: 1, to: day)!
        }
        return days
    }
}

/// Where analytics events are kept and summed.
public protocol NoteAnalyticsRepository: Sendable {
    func record(_ events: [(NoteEvent, Date)]) async throws
    /// The figures between `since` and `until`, counting only notes `visibility` allows, and
    /// only the searches of `searchesBy` (nil: everybody's, for admins).
    func report(visibility: Visibility, searchesBy user: UserID?, since: Date, until: Date) async throws -> NoteAnalyticsReport
}
