import HubCore

/// The analytics page's activity-over-time chart as inline SVG, drawn on the server so it needs
/// no script and no chart library: one line each for views, edits and searches per day.
enum ActivityChart {
    static let width = 720
    static let height = 220
    static let margin = (left: 40, right: 12, top: 12, bottom: 28)

    static func svg(_ days: [NoteAnalyticsReport.Day]) -> String {
        let plotWidth = width - margin.left - margin.right
        let plotHeight = height - margin.top - margin.bottom
        let peak = max(1, days.map { max($0.views, $0.edits, $0.searches) }.max() ?? 1)
        let step = days.count > 1 ? Double(plotWidth) / Double(days.count - 1) : 0
        func x(_ index: Int) -> String { format(Double(margin.left) + Double(index) * step) }
        func y(_ value: Int) -> String { format(Double(margin.top) + Double(plotHeight) * (1 - Double(value) / Double(peak))) }

        var svg = """
            <svg class="chart" role="img" aria-labelledby="chart-title" viewBox="0 0 \(width) \(height)" xmlns="http://www.w3.org/2000/svg">
            <title id="chart-title">Views, edits and searches per day</title>
            <line class="axis" x1="\(margin.left)" y1="\(height - margin.bottom)" x2="\(width - margin.right)" y2="\(height - margin.bottom)"/>
            <line class="axis" x1="\(margin.left)" y1="\(margin.top)" x2="\(margin.left)" y2="\(height - margin.bottom)"/>
            <text class="label" x="\(margin.left - 6)" y="\(margin.top + 4)" text-anchor="end">\(peak)</text>
            <text class="label" x="\(margin.left - 6)" y="\(height - margin.bottom)" text-anchor="end">0</text>

            """
        for (name, value) in [("views", \NoteAnalyticsReport.Day.views), ("edits", \.edits), ("searches", \.searches)] {
            let points = days.enumerated().map { "\(x($0.offset)),\(y($0.element[keyPath: value]))" }.joined(separator: " ")
            svg += "<polyline class=\"series \(name)\" fill=\"none\" points=\"\(points)\"><title>\(name)</title></polyline>\n"
        }
        // A date under the first, middle and last day.
        for index in Set([0, days.count / 2, days.count - 1]).sorted() where days.indices.contains(index) {
            let anchor = index == 0 ? "start" : index == days.count - 1 ? "end" : "middle"
            svg += "<text class=\"label\" x=\"\(x(index))\" y=\"\(height - 8)\" text-anchor=\"\(anchor)\">\(HTMLText.escape(days[index].day))</text>\n"
        }
        return svg + "</svg>"
    }

    private static func format(_ value: Double) -> String {
        String((value * 10).rounded() / 10)
    }
}
