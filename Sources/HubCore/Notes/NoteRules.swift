/// What a note's title, tags and authors may be, whoever wrote them: the API checks a save
/// with these, and a merge checks every change from a peer or an export with the same ones, so
/// nothing reaches the notepad through a peer that a user could not save directly.
public enum NoteRules {
    /// Why `title` (already trimmed) is not a title, if it is not: one line of 1 to
    /// `NoteLimits.titleLength` characters (Unicode scalars, as JSON Schema counts them) with no control characters (a NUL or an escape code in a
    /// title ends up in file names, logs and terminals).
    public static func titleProblem(_ title: String) -> String? {
        guard !title.isEmpty, title.unicodeScalars.count <= NoteLimits.titleLength, !title.unicodeScalars.contains(where: isControl),
            !title.contains(where: \.isNewline)
        else {
            return "title must be one line of 1 to \(NoteLimits.titleLength) characters without control characters"
        }
        return nil
    }

    /// Why `tags` (already normalised: trimmed, lowercase, no repeats) are not tags, if not.
    public static func tagsProblem(_ tags: [String]) -> String? {
        guard tags.count <= NoteLimits.tagCount,
            tags.allSatisfy({ !$0.isEmpty && $0.unicodeScalars.count <= NoteLimits.tagLength && !$0.unicodeScalars.contains(where: isControl) }),
            Set(tags).count == tags.count
        else {
            return "at most \(NoteLimits.tagCount) distinct tags of 1 to \(NoteLimits.tagLength) characters each, without control characters"
        }
        return nil
    }

    /// The most an author (`name@node-name`) may take.
    public static let authorBytes = 200

    /// Why `author` cannot be the author of a change made on another hub, if it cannot: it must
    /// be `name@node-name`, short, without control characters, and must not claim to be from
    /// this hub (`ownNodeName`): only changes made here are.
    public static func foreignAuthorProblem(_ author: String, ownNodeName: String) -> String? {
        guard author.utf8.count <= authorBytes, !author.unicodeScalars.contains(where: isControl),
            let at = author.lastIndex(of: "@"), at != author.startIndex, author.index(after: at) != author.endIndex
        else { return "an author must be name@node-name, at most \(authorBytes) bytes, without control characters" }
        guard author[author.index(after: at)...] != ownNodeName else {
            return "a change made on another hub claims to be from this hub (\(author))"
        }
        return nil
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control
    }
}
