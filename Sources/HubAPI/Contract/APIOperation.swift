/// One route of `/api/v1` as the contract states it: who may call it, what it takes, and every
/// status it answers. `APIContract.operations` lists them all; `OpenAPIDocument` writes them
/// out, and the reference page reads them.
public struct APIOperation: Sendable {
    public enum Method: String, Sendable, CaseIterable {
        case get, put, post, delete, options, head, patch
    }

    /// Who may call it. Members and admins send a session cookie or an API token.
    public enum Access: String, Sendable {
        case anyone, member, admin
    }

    public enum Location: String, Sendable {
        case path, query, header
    }

    public struct Parameter: Sendable {
        public var name: String
        public var location: Location
        public var description: String
        public var schema: JSONSchema
        public var required: Bool

        public init(_ name: String, in location: Location, _ description: String, _ schema: JSONSchema, required: Bool = false) {
            self.name = name
            self.location = location
            self.description = description
            self.schema = schema
            self.required = location == .path || required
        }
    }

    /// A body: JSON of a schema, or bytes of a media type.
    public enum Body: Sendable {
        case json(JSONSchema)
        case bytes(mediaType: String, schema: JSONSchema = .binary)

        var mediaType: String {
            switch self {
            case .json: "application/json"
            case .bytes(let type, _): type
            }
        }
    }

    public struct Header: Sendable {
        public var name: String
        public var description: String
        public var schema: JSONSchema

        public init(_ name: String, _ description: String, _ schema: JSONSchema = .string()) {
            self.name = name
            self.description = description
            self.schema = schema
        }
    }

    public struct Response: Sendable {
        public var status: Int
        public var description: String
        public var body: Body?
        public var headers: [Header]

        public init(_ status: Int, _ description: String, _ body: Body? = nil, headers: [Header] = []) {
            self.status = status
            self.description = description
            self.body = body
            self.headers = headers
        }
    }

    public var method: Method
    /// Under `/api/v1`, with `{name}` for path parameters.
    public var path: String
    public var id: String
    public var tag: APIContract.Tag
    public var summary: String
    public var access: Access
    public var parameters: [Parameter]
    public var body: Body?
    /// Whether the body may be left out.
    public var bodyRequired: Bool
    public var responses: [Response]
    /// Statuses answered with the error body, and when. Every operation also answers 401 (no
    /// or bad credentials; a bad token even where anyone may call), 403 when only admins may, and 400 and 413
    /// when it takes parameters or a body: `APIContract` adds those.
    public var errors: [Int: String]

    public init(
        _ method: Method, _ path: String, id: String, tag: APIContract.Tag, access: Access = .member, _ summary: String,
        parameters: [Parameter] = [], body: Body? = nil, bodyRequired: Bool = true, responses: [Response], errors: [Int: String] = [:]
    ) {
        self.method = method
        self.path = path
        self.id = id
        self.tag = tag
        self.summary = summary
        self.access = access
        self.parameters = parameters
        self.body = body
        self.bodyRequired = bodyRequired
        self.responses = responses
        self.errors = errors
    }

    /// Every status the operation answers with an error body, the implied ones included.
    public var errorStatuses: [(status: Int, description: String)] {
        var all = errors
        all[401] =
            all[401]
            ?? (access == .anyone
                ? "An `Authorization` header with an unknown or revoked token (`invalid_token`): a bad credential is refused even here."
                : "Not signed in, or the session or token is no longer valid (`sign_in_required`, `invalid_token`).")
        if access == .admin { all[403] = all[403] ?? "Only an admin may (`admin_only`)." }
        if !parameters.isEmpty || body != nil { all[400] = all[400] ?? "A parameter or the body is malformed; the message says which." }
        if body != nil { all[413] = all[413] ?? "The body is larger than this route takes (`body_too_large`)." }
        return all.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
