import Foundation

/// A type of the API's bodies that says what its JSON looks like, beside its declaration, so a
/// field added to a wire type without its schema fails `APIContractTests` (which decodes an
/// example made from the schema into the type and checks what the type encodes against it).
public protocol DocumentedSchema {
    /// The name under `#/components/schemas`.
    static var schemaName: String { get }
    static var schema: JSONSchema { get }
}

extension DocumentedSchema {
    public static var schemaName: String { String(describing: Self.self) }
}

/// A JSON Schema (draft 2020-12, OpenAPI 3.1's dialect), built by the constructors below so
/// the hub's rules (one-line titles, byte limits, canonical ids) are written one way.
public struct JSONSchema: Sendable {
    public var json: [String: JSONValue]
    /// A property of an object that may be left out. (Optional fields are left out of answers,
    /// never sent as `null`; in requests, `null` is the same as leaving one out.)
    public var isOptional = false

    public init(_ json: [String: JSONValue]) { self.json = json }

    // MARK: Scalars

    public static func string(
        _ description: String? = nil, minLength: Int? = nil, maxLength: Int? = nil, pattern: String? = nil, format: String? = nil
    ) -> JSONSchema {
        var json: [String: JSONValue] = ["type": "string"]
        json["description"] = description.map(JSONValue.string)
        json["minLength"] = minLength.map { .integer(Int64($0)) }
        json["maxLength"] = maxLength.map { .integer(Int64($0)) }
        json["pattern"] = pattern.map(JSONValue.string)
        json["format"] = format.map(JSONValue.string)
        return JSONSchema(json)
    }

    /// Text the hub keeps on one line (a title, a tag): no control characters, no line or
    /// paragraph separators, and something besides spaces (the hub trims them). Its limit is in
    /// characters, as `maxLength` counts them (Unicode scalars).
    public static func line(_ description: String? = nil, maxLength: Int) -> JSONSchema {
        // `\u2028-\u2029` as a range: schemathesis (4.32) cannot generate from a class that
        // names them one by one.
        let allowed = "[^\\u0000-\\u001f\\u007f-\\u009f\\u2028-\\u2029]"
        let visible = "[^\\s\\u0000-\\u001f\\u007f-\\u009f\\u2028-\\u2029]"
        return string(
            [description, "1 to \(maxLength) characters on one line."].compactMap { $0 }.joined(separator: " "),
            minLength: 1, maxLength: maxLength, pattern: "^\(allowed)*\(visible)\(allowed)*$")
    }

    /// A canonical lowercase UUID: every id the hub makes (videos, notes, users, uploads).
    public static func uuid(_ description: String? = nil) -> JSONSchema {
        string(description, pattern: "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", format: "uuid")
            .example("0b7e4a52-93d1-4c4e-9a6f-2f1d8c3b5e71")
    }

    public static func dateTime(_ description: String? = nil) -> JSONSchema { string(description, format: "date-time").example("2026-12-03T09:30:00Z") }

    /// One of a fixed set of strings.
    public static func oneOf(_ values: [String], _ description: String? = nil) -> JSONSchema {
        var schema = string(description)
        schema.json["enum"] = .array(values.map(JSONValue.string))
        return schema
    }

    public static func oneOf<Choice: CaseIterable & RawRepresentable>(_ type: Choice.Type, _ description: String? = nil) -> JSONSchema
    where Choice.RawValue == String {
        oneOf(type.allCases.map(\.rawValue), description)
    }

    public static func integer(_ description: String? = nil, minimum: Int64? = nil, maximum: Int64? = nil) -> JSONSchema {
        var json: [String: JSONValue] = ["type": "integer", "format": "int64"]
        json["description"] = description.map(JSONValue.string)
        json["minimum"] = minimum.map(JSONValue.integer)
        json["maximum"] = maximum.map(JSONValue.integer)
        return JSONSchema(json)
    }

    /// A count or a size: never negative.
    public static func count(_ description: String? = nil) -> JSONSchema { integer(description, minimum: 0) }

    public static func number(_ description: String? = nil, minimum: Double? = nil, maximum: Double? = nil) -> JSONSchema {
        var json: [String: JSONValue] = ["type": "number"]
        json["description"] = description.map(JSONValue.string)
        json["minimum"] = minimum.map(JSONValue.number)
        json["maximum"] = maximum.map(JSONValue.number)
        return JSONSchema(json)
    }

    public static func boolean(_ description: String? = nil) -> JSONSchema {
        var json: [String: JSONValue] = ["type": "boolean"]
        json["description"] = description.map(JSONValue.string)
        return JSONSchema(json)
    }

    /// Bytes, not JSON: a video, a thumbnail, a chunk of an upload.
    public static let binary = JSONSchema(["type": "string", "format": "binary"])

    // MARK: Composites

    public static func array(_ items: JSONSchema, _ description: String? = nil, maxItems: Int? = nil, uniqueItems: Bool = false) -> JSONSchema {
        var json: [String: JSONValue] = ["type": "array", "items": .object(items.json)]
        json["description"] = description.map(JSONValue.string)
        json["maxItems"] = maxItems.map { .integer(Int64($0)) }
        if uniqueItems { json["uniqueItems"] = true }
        return JSONSchema(json)
    }

    /// An object with these properties; those not marked `optional` are required. An answer's
    /// object is closed (`additionalProperties: false`), so a field the document does not name
    /// fails the contract's checks; a request's is `open`, because the hub ignores what it does
    /// not know.
    public static func object(_ properties: KeyValuePairs<String, JSONSchema>) -> JSONSchema { object(nil, properties) }

    public static func object(open: Bool, _ properties: KeyValuePairs<String, JSONSchema>) -> JSONSchema { object(nil, open: open, properties) }

    public static func object(_ description: String?, open: Bool = false, _ properties: KeyValuePairs<String, JSONSchema>) -> JSONSchema {
        // The hub decodes a request's optional field with `decodeIfPresent`, which reads `null`
        // as absent: say so, or a client sending `null` is told it broke the contract.
        func declared(_ property: JSONSchema) -> JSONValue {
            .object(open && property.isOptional && !property.allowsNull ? property.nullable.json : property.json)
        }
        var json: [String: JSONValue] = [
            "type": "object",
            "properties": .object(Dictionary(properties.map { ($0.key, declared($0.value)) }, uniquingKeysWith: { first, _ in first })),
        ]
        let required = properties.filter { !$0.value.isOptional }.map(\.key)
        if !required.isEmpty { json["required"] = .array(required.map(JSONValue.string)) }
        if !open { json["additionalProperties"] = false }
        json["description"] = description.map(JSONValue.string)
        return JSONSchema(json)
    }

    /// A documented type, by reference.
    public static func ref<Type: DocumentedSchema>(_ type: Type.Type, _ description: String? = nil) -> JSONSchema {
        var json: [String: JSONValue] = ["$ref": .string("#/components/schemas/\(type.schemaName)")]
        // 3.1 lets a reference carry its own description.
        json["description"] = description.map(JSONValue.string)
        return JSONSchema(json)
    }

    // MARK: Modifiers

    /// May be left out of its object.
    public var optional: JSONSchema {
        var copy = self
        copy.isOptional = true
        return copy
    }

    var allowsNull: Bool {
        switch json["type"] {
        case .array(let types)?: types.contains("null")
        default: json["anyOf"] != nil
        }
    }

    /// May be `null`.
    public var nullable: JSONSchema {
        var copy = self
        if case .string(let type)? = json["type"] {
            copy.json["type"] = [.string(type), "null"]
            if case .array(let values)? = json["enum"] { copy.json["enum"] = .array(values + [.null]) }
        } else {
            copy.json = ["anyOf": [.object(json), ["type": "null"]]]
        }
        return copy
    }

    /// A value a reader (and the contract's tests, which build bodies from the examples) can use.
    public func example(_ value: JSONValue) -> JSONSchema {
        var copy = self
        copy.json["examples"] = [value]
        return copy
    }

    public func described(_ description: String) -> JSONSchema {
        var copy = self
        copy.json["description"] = .string(description)
        return copy
    }
}
