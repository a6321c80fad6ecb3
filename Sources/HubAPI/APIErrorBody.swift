/// The body of every error the API answers: `{"error": {"code", "message", "requestId"}}`.
public struct APIErrorBody: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        /// Stable and machine-readable (`not_found`, `invalid_json`, `offset_mismatch`, …).
        public var code: String
        public var message: String
        /// The request's id, as in the hub's log and the `X-Request-Id` header.
        public var requestId: String?

        public init(code: String, message: String, requestId: String? = nil) {
            self.code = code
            self.message = message
            self.requestId = requestId
        }
    }

    public var error: Detail

    public init(error: Detail) { self.error = error }
}

extension APIErrorBody: DocumentedSchema {
    public static let schemaName = "Error"
    public static let schema = JSONSchema.object(
        "Every error the API answers.",
        [
            "error": .object([
                "code": .string("Stable and machine-readable: `not_found`, `invalid_json`, `offset_mismatch`…"),
                "message": .string("For people: what was wrong and what to do."),
                "requestId": .string("The request's id, as in the hub's log and the `X-Request-Id` header.").optional,
            ])
        ])
}
