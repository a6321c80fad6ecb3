/// A last-writer-wins register: the value of the write with the greatest stamp. Every replica
/// that saw the same writes holds the same value, whatever order they arrived in.
public struct LWWRegister<Value: Sendable & Equatable>: Sendable, Equatable {
    public private(set) var value: Value
    /// The stamp of the write that holds; nil until the first write.
    public private(set) var stamp: ChangeStamp?

    public init(_ initial: Value) {
        value = initial
    }

    /// Applies a write; returns whether it won (a write that loses changes nothing).
    @discardableResult
    public mutating func set(_ newValue: Value, at newStamp: ChangeStamp) -> Bool {
        if let stamp, newStamp <= stamp { return false }
        value = newValue
        stamp = newStamp
        return true
    }
}
