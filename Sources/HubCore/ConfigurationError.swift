/// A setting the hub cannot start with. `description` is the one line an operator sees.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The environment name of the setting at fault, e.g. `HUB_PORT`.
    public let setting: String
    public let problem: String

    public init(setting: String, problem: String) {
        self.setting = setting
        self.problem = problem
    }

    public var description: String { "configuration error: \(setting) \(problem)" }
}
