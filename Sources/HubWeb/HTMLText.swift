import Foundation
import HubCore

/// Text made safe to put inside HTML. Templates escape on their own; this is for the few values
/// the hub assembles as markup itself (search highlights), which templates then insert as is.
enum HTMLText {
    static func escape(_ text: some StringProtocol) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }

    /// A search highlight as HTML: escaped first, then the match markers become `<mark>`.
    static func highlight(_ text: String) -> String {
        escape(text)
            .replacingOccurrences(of: String(NoteHighlight.start), with: "<mark>")
            .replacingOccurrences(of: String(NoteHighlight.end), with: "</mark>")
    }
}
