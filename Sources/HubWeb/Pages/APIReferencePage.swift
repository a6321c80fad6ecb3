import HubAPI

/// `/api`: the API contract as a page a person reads, drawn from `APIContract` like the
/// OpenAPI document, so the two never say different things.
struct APIReferencePage: PageView {
    static let template = "api-reference"
    var pageTitle = "API reference"

    struct Section: Sendable {
        var name: String
        var summaryHTML: TrustedHTML
        var operations: [Operation]
    }

    struct Operation: Sendable {
        var anchor: String
        var method: String
        var path: String
        var summaryHTML: TrustedHTML
        var access: String
        var parameters: [Field]
        var hasParameters: Bool
        var body: String?
        var responses: [Answer]
    }

    struct Field: Sendable {
        var name: String
        var type: String
        var detailHTML: TrustedHTML
        var required: Bool
    }

    /// Named `returns`, not `body`: Mustache would look an absent `body` up in the operation.
    struct Answer: Sendable {
        var status: String
        var whenHTML: TrustedHTML
        var returns: String?
    }

    struct Schema: Sendable {
        var name: String
        var descriptionHTML: TrustedHTML?
        var properties: [Field]
    }

    var sections: [Section]
    var schemas: [Schema]

    init() {
        sections = APIContract.Tag.allCases.map { tag in
            Section(
                name: tag.rawValue, summaryHTML: Self.prose(tag.summary),
                operations: APIContract.operations.filter { $0.tag == tag }.map(Self.operation))
        }
        schemas = APIContract.components.map { type in
            let json = type.schema.json
            return Schema(
                name: type.schemaName, descriptionHTML: json["description"].flatMap(Self.text).map(Self.prose), properties: Self.properties(of: json))
        }
    }

    static func operation(_ operation: APIOperation) -> Operation {
        let parameters = operation.parameters.map { parameter in
            Field(
                name: parameter.name, type: "\(parameter.location.rawValue) · \(typeName(parameter.schema.json))",
                detailHTML: prose(parameter.description), required: parameter.required)
        }
        var responses = operation.responses.map { Answer(status: String($0.status), whenHTML: prose($0.description), returns: $0.body.map(bodyName)) }
        responses += operation.errorStatuses.map { Answer(status: String($0.status), whenHTML: prose($0.description), returns: "Error") }
        return Operation(
            anchor: operation.id, method: operation.method.rawValue.uppercased(), path: "/api/v1" + operation.path,
            summaryHTML: prose(operation.summary),
            access: operation.access == .anyone ? "anyone" : operation.access == .admin ? "admins" : "signed in",
            parameters: parameters, hasParameters: !parameters.isEmpty, body: operation.body.map(bodyName), responses: responses)
    }

    static func bodyName(_ body: APIOperation.Body) -> String {
        switch body {
        case .json(let schema): "JSON: " + typeName(schema.json)
        case .bytes(let mediaType, _): mediaType
        }
    }

    static func properties(of json: [String: JSONValue]) -> [Field] {
        guard case .object(let properties)? = json["properties"] else { return [] }
        var required: Set<String> = []
        if case .array(let names)? = json["required"] { required = Set(names.compactMap(text)) }
        return properties.sorted { $0.key < $1.key }.map { name, value in
            guard case .object(let schema) = value else { return Field(name: name, type: "", detailHTML: prose(""), required: false) }
            return Field(
                name: name, type: typeName(schema), detailHTML: prose(schema["description"].flatMap(text) ?? ""), required: required.contains(name))
        }
    }

    /// A schema in a few words: `Video`, `[string]`, `integer 1…100`, `same | added | removed`.
    static func typeName(_ json: [String: JSONValue]) -> String {
        if let reference = json["$ref"].flatMap(text) { return String(reference.split(separator: "/").last ?? "") }
        if case .array(let choices)? = json["anyOf"] {
            return choices.compactMap { choice -> String? in
                guard case .object(let schema) = choice else { return nil }
                return typeName(schema)
            }.joined(separator: " or ")
        }
        if case .array(let values)? = json["enum"] {
            return values.map { text($0) ?? "null" }.joined(separator: " | ")
        }
        var type: String
        switch json["type"] {
        case .string(let name)?: type = name
        case .array(let names)?: type = names.compactMap(text).joined(separator: " or ")
        default: type = "object"
        }
        if type == "array", case .object(let items)? = json["items"] { return "[\(typeName(items))]" }
        if type == "object", json["properties"] != nil { return "object" }
        if let format = json["format"].flatMap(text), format != "int64" { type += " (\(format))" }
        switch (json["minimum"].flatMap(number), json["maximum"].flatMap(number)) {
        case (let low?, let high?): type += " \(low)…\(high)"
        case (let low?, nil): type += " ≥ \(low)"
        default: break
        }
        return type
    }

    /// The contract's prose, escaped, with its `code` spans set as code.
    static func prose(_ text: String) -> TrustedHTML {
        let parts = text.split(separator: "`", omittingEmptySubsequences: false)
        // Odd parts are inside backticks; with an unpaired backtick, the last part is not.
        let paired = parts.count % 2 == 1 ? parts.count : parts.count - 1
        var html = ""
        for (index, part) in parts.enumerated() {
            if index % 2 == 1 && index < paired {
                html += "<code>\(HTMLText.escape(part))</code>"
            } else {
                html += (index >= paired ? "`" : "") + HTMLText.escape(part)
            }
        }
        return TrustedHTML(rendered: html)
    }

    static func text(_ value: JSONValue) -> String? {
        if case .string(let text) = value { return text }
        return nil
    }

    static func number(_ value: JSONValue) -> String? {
        switch value {
        case .integer(let number): String(number)
        case .number(let number): String(number)
        default: nil
        }
    }
}
