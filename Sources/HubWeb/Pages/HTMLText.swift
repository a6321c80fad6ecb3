import HubCore

/// Text made safe to put inside HTML. Templates escape on their own; this is for the few values
/// the hub assembles as markup itself (search highlights), which templates then insert as is.
/// One pass over the Unicode scalars: Foundation's `replacingOccurrences` goes through NSString
/// on Linux and was a visible share of every search.
enum HTMLText {
    static func escape(_ text: some StringProtocol) -> String {
        transform(text.unicodeScalars, marks: false)
    }

    /// A search highlight as HTML: escaped, with the match markers as `<mark>`.
    static func highlight(_ text: String) -> String {
        transform(text.unicodeScalars, marks: true)
    }

    private static let markStart = NoteHighlight.start.unicodeScalars.first!
    private static let markEnd = NoteHighlight.end.unicodeScalars.first!

    private static func transform(_ scalars: some Sequence<Unicode.Scalar>, marks: Bool) -> String {
        var result = String.UnicodeScalarView()
        for scalar in scalars {
            switch scalar {
            case "&": result.append(contentsOf: "&amp;".unicodeScalars)
            case "<": result.append(contentsOf: "&lt;".unicodeScalars)
            case ">": result.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": result.append(contentsOf: "&quot;".unicodeScalars)
            case "'": result.append(contentsOf: "&#39;".unicodeScalars)
            case markStart where marks: result.append(contentsOf: "<mark>".unicodeScalars)
            case markEnd where marks: result.append(contentsOf: "</mark>".unicodeScalars)
            default: result.append(scalar)
            }
        }
        return String(result)
    }
}
