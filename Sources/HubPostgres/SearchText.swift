/// A person's search text as a PostgreSQL `tsquery` for `to_tsquery('hub_search', …)`: every word
/// required, each as a prefix ("cat" finds "catamaran"), as SQLite's FTS5 patterns do.
///
/// Only letters and digits reach the query, so quotes, `&`, `|`, `!`, `:` and parentheses in the
/// text separate words and are never read as operators; hostile text is searched as words.
enum SearchText {
    /// More words than anyone types: the bound keeps a pasted paragraph from costing a
    /// posting-list intersection per word.
    static let maximumWords = 32

    /// nil when the text has no word to search for.
    static func prefixQuery(_ text: String) -> String? {
        let words = text.split(whereSeparator: { !($0.isLetter || $0.isNumber) }).prefix(maximumWords)
        guard !words.isEmpty else { return nil }
        return words.map { $0.lowercased() + ":*" }.joined(separator: " & ")
    }
}
