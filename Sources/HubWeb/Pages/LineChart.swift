import Foundation
import HubCore

/// A line chart as inline SVG, drawn on the server so it needs no script and no chart library:
/// the analytics page's activity per day and the operations page's figures over the last hour
/// or day. Lines share one scale from zero to the highest value; a missing value (a mean over
/// an interval with nothing to measure) leaves the line out at that point.
struct LineChart: Sendable {
    struct Line: Sendable {
        var name: String
        /// The CSS class that colours it (and its key).
        var style: String
        var values: [Double?]
    }

    var id: String
    var title: String
    var lines: [Line]
    /// Under the points: the first, middle and last are drawn.
    var labels: [String]

    static let width = 720
    static let height = 220
    static let margin = (left: 48, right: 12, top: 12, bottom: 28)

    var svg: String {
        let (width, height, margin) = (Self.width, Self.height, Self.margin)
        let plotWidth = width - margin.left - margin.right
        let plotHeight = height - margin.top - margin.bottom
        let count = lines.map(\.values.count).max() ?? 0
        let highest = lines.flatMap { $0.values.compactMap { $0 } }.filter(\.isFinite).max() ?? 0
        let peak = highest > 0 ? highest : 1
        let step = count > 1 ? Double(plotWidth) / Double(count - 1) : 0
        func x(_ index: Int) -> String { Self.format(Double(margin.left) + Double(index) * step) }
        func y(_ value: Double) -> String { Self.format(Double(margin.top) + Double(plotHeight) * (1 - min(max(value, 0), peak) / peak)) }

        var svg = """
            <svg class="chart" id="\(HTMLText.escape(id))" role="img" aria-labelledby="\(HTMLText.escape(id))-title" viewBox="0 0 \(width) \(height)" xmlns="http://www.w3.org/2000/svg">
            <title id="\(HTMLText.escape(id))-title">\(HTMLText.escape(title))</title>
            <line class="axis" x1="\(margin.left)" y1="\(height - margin.bottom)" x2="\(width - margin.right)" y2="\(height - margin.bottom)"/>
            <line class="axis" x1="\(margin.left)" y1="\(margin.top)" x2="\(margin.left)" y2="\(height - margin.bottom)"/>
            <text class="label" x="\(margin.left - 6)" y="\(margin.top + 4)" text-anchor="end">\(Self.axisLabel(peak))</text>
            <text class="label" x="\(margin.left - 6)" y="\(height - margin.bottom)" text-anchor="end">0</text>

            """
        for line in lines {
            let points = line.values.enumerated().compactMap { index, value in
                value.flatMap { $0.isFinite ? "\(x(index)),\(y($0))" : nil }
            }.joined(separator: " ")
            svg += "<polyline class=\"series \(HTMLText.escape(line.style))\" fill=\"none\" points=\"\(points)\"><title>\(HTMLText.escape(line.name))</title></polyline>\n"
        }
        for index in Set([0, labels.count / 2, labels.count - 1]).sorted() where labels.indices.contains(index) {
            let anchor = index == 0 ? "start" : index == labels.count - 1 ? "end" : "middle"
            svg += "<text class=\"label\" x=\"\(x(index))\" y=\"\(height - 8)\" text-anchor=\"\(anchor)\">\(HTMLText.escape(labels[index]))</text>\n"
        }
        return svg + "</svg>"
    }

    /// Whole numbers as they are, fractions to what their size needs.
    static func axisLabel(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return value >= 10 ? String(format: "%.0f", value) : value >= 1 ? String(format: "%.1f", value) : String(format: "%.3f", value)
    }

    private static func format(_ value: Double) -> String {
        String((value * 10).rounded() / 10)
    }
}

extension LineChart {
    /// The analytics page's views, edits and searches per day.
    static func activity(_ days: [NoteAnalyticsReport.Day]) -> LineChart {
        LineChart(
            id: "chart", title: "Views, edits and searches per day",
            lines: [("views", \NoteAnalyticsReport.Day.views), ("edits", \.edits), ("searches", \.searches)].map { name, value in
                Line(name: name, style: name, values: days.map { Double($0[keyPath: value]) })
            },
            labels: days.map(\.day))
    }
}
