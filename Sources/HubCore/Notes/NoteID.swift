/// Identifies a note on every hub it travels to.
public struct NoteID: RandomIdentifier {
    public let rawValue: String
    public init(canonical rawValue: String) { self.rawValue = rawValue }
}
