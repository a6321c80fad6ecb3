import Foundation
import HubCore

extension NodeID {
    /// This hub's id, made on first start.
    public static func load(dataDirectory: String) throws(ConfigurationError) -> NodeID {
        let path = (dataDirectory as NSString).appendingPathComponent("node_id")
        do {
            let text = try DurableFile.readOrCreateOnce(path) { NodeID.random().rawValue }
            guard let id = NodeID(text) else { throw InvalidInput("\(path) does not hold a node id", code: "invalid_node_id") }
            return id
        } catch {
            throw ConfigurationError(setting: "HUB_DATA_DIR", problem: "cannot keep this hub's node id at \(path): \(error)")
        }
    }
}
