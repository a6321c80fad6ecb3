import Foundation
import HTTPTypes
import HubAPI
import Hummingbird
import Testing

@testable import HubWeb

/// The contract against the two things it describes: the router (the same routes, no more, no
/// fewer) and the wire types (what a schema says decodes into its type, and what the type
/// encodes is what its schema says). schemathesis then holds the running hub to it
/// (Tests/e2e/test_api_contract.py).
@Suite struct APIContractTests {
    static let schemas = Dictionary(
        APIContract.components.map { ($0.schemaName, $0.schema.json) }, uniquingKeysWith: { first, _ in first })

    @Test func theContractHasEveryRouteOfTheAPIAndNoOther() throws {
        let router = try buildRouter(TestHub().services)
        func pattern(_ path: String) -> [String] {
            path.split(separator: "/").map { $0.hasPrefix(":") || $0.hasPrefix("{") ? "{}" : String($0) }
        }
        let served = Set(
            router.routes.map(\.description).filter { $0.contains(" /api/v1/") }.map { description in
                let parts = description.split(separator: " ", maxSplits: 1)
                return "\(parts[0]) \(pattern(String(parts[1])).joined(separator: "/"))"
            })
        let documented = Set(
            APIContract.operations.map { "\($0.method.rawValue.uppercased()) \(pattern("/api/v1" + $0.path).joined(separator: "/"))" })
        #expect(served.subtracting(documented).isEmpty, "routes the contract leaves out")
        #expect(documented.subtracting(served).isEmpty, "operations no route serves")
        #expect(Set(APIContract.operations.map(\.id)).count == APIContract.operations.count, "operation ids are unique")
    }

    @Test func everyPathParameterIsDeclaredAndEveryReferenceResolves() throws {
        for operation in APIContract.operations {
            let names = operation.path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
            #expect(Set(names) == Set(operation.parameters.filter { $0.location == .path }.map(\.name)), "\(operation.id)")
        }
        let document = try OpenAPIDocument.make().encoded()
        let text = try #require(String(data: document, encoding: .utf8))
        let marker = "\"$ref\":\"#/components/schemas/"
        let references = text.components(separatedBy: marker).dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(!references.isEmpty)
        for name in references { #expect(Self.schemas[name] != nil, "\(name) is referenced but not a component") }
    }

    // A closure, not `\.schemaName`: a key path on an existential metatype crashes Swift 6.3's SILGen.
    static let componentNames = APIContract.components.map { $0.schemaName }

    @Test(arguments: componentNames)
    func aSchemaAndItsTypeAgree(_ name: String) throws {
        let type = try #require(APIContract.components.first { $0.schemaName == name })
        guard let codable = type as? any (Codable & DocumentedSchema).Type else {
            Issue.record("\(name) is not Codable")
            return
        }
        for full in [true, false] {
            try roundTrip(codable, full: full)
        }
    }

    /// Decodes an example built from the schema (every property, or only the required ones)
    /// into the type, encodes it again, and checks that against the schema.
    func roundTrip<T: Codable & DocumentedSchema>(_ type: T.Type, full: Bool) throws {
        let example = Self.example(T.schema.json, full: full)
        let data = try JSONSerialization.data(withJSONObject: example)
        let value: T
        do {
            value = try WireFormat.decoder().decode(T.self, from: data)
        } catch {
            Issue.record("\(T.schemaName): an example of its schema does not decode (\(full ? "every" : "required") property): \(error)")
            return
        }
        let encoded = try JSONSerialization.jsonObject(with: WireFormat.encoder().encode(value))
        let problems = Self.problems(encoded, against: T.schema.json, at: T.schemaName)
        #expect(problems.isEmpty, "\(problems.joined(separator: "; "))")
    }

    @Test func theReferencePageEscapesProseAndSetsCodeSpans() {
        #expect(APIReferencePage.prose("a <b> `c<d>` e").html == "a &lt;b&gt; <code>c&lt;d&gt;</code> e")
        #expect(APIReferencePage.prose("one ` unpaired").html == "one ` unpaired")
        let page = APIReferencePage()
        #expect(page.sections.map(\.name) == APIContract.Tag.allCases.map(\.rawValue))
        #expect(page.sections.reduce(0) { $0 + $1.operations.count } == APIContract.operations.count)
    }

    // MARK: - A small JSON Schema reader: the keywords the contract's builders write.

    static func resolved(_ schema: [String: JSONValue]) -> [String: JSONValue] {
        if case .string(let reference)? = schema["$ref"], let name = reference.split(separator: "/").last, let target = schemas[String(name)] {
            return target
        }
        if case .array(let choices)? = schema["anyOf"], case .object(let first)? = choices.first { return resolved(first) }
        return schema
    }

    static func type(of schema: [String: JSONValue]) -> String {
        switch schema["type"] {
        case .string(let type)?: type
        case .array(let types)?: types.compactMap { if case .string(let type) = $0, type != "null" { type } else { nil } }.first ?? "null"
        default: "object"
        }
    }

    static func example(_ schema: [String: JSONValue], full: Bool) -> Any {
        let schema = resolved(schema)
        if case .array(let examples)? = schema["examples"], let first = examples.first { return foundation(first) }
        if case .array(let values)? = schema["enum"], let first = values.first { return foundation(first) }
        switch type(of: schema) {
        case "string":
            if case .string("date-time")? = schema["format"] { return "2026-12-03T09:30:00Z" }
            return "text"
        case "integer":
            if case .integer(let minimum)? = schema["minimum"] { return max(minimum, 1) }
            return 1
        case "number": return 0.5
        case "boolean": return true
        case "array":
            guard case .object(let items)? = schema["items"] else { return [Any]() }
            return [example(items, full: full)]
        default:
            guard case .object(let properties)? = schema["properties"] else { return [String: Any]() }
            let required = requiredNames(schema)
            var object: [String: Any] = [:]
            for (name, property) in properties where full || required.contains(name) {
                guard case .object(let property) = property else { continue }
                object[name] = example(property, full: full)
            }
            return object
        }
    }

    static func requiredNames(_ schema: [String: JSONValue]) -> Set<String> {
        guard case .array(let names)? = schema["required"] else { return [] }
        return Set(names.compactMap { if case .string(let name) = $0 { name } else { nil } })
    }

    static func problems(_ value: Any, against schema: [String: JSONValue], at path: String) -> [String] {
        let schema = resolved(schema)
        if case .array(let values)? = schema["enum"], let text = value as? String, !values.contains(.string(text)) {
            return ["\(path): '\(text)' is not one of its values"]
        }
        switch type(of: schema) {
        case "string":
            guard let text = value as? String else { return ["\(path): not a string"] }
            if case .string(let pattern)? = schema["pattern"], text.range(of: pattern, options: .regularExpression) == nil {
                return ["\(path): '\(text)' does not match \(pattern)"]
            }
            return []
        case "integer": return value is Int || value is Int64 ? [] : ["\(path): not an integer"]
        case "number": return value is Int || value is Double ? [] : ["\(path): not a number"]
        case "boolean": return value is Bool ? [] : ["\(path): not a boolean"]
        case "array":
            guard let items = value as? [Any] else { return ["\(path): not an array"] }
            guard case .object(let itemSchema)? = schema["items"] else { return [] }
            return items.enumerated().flatMap { problems($1, against: itemSchema, at: "\(path)[\($0)]") }
        default:
            guard let object = value as? [String: Any] else { return ["\(path): not an object"] }
            var found: [String] = []
            let properties: [String: JSONValue]
            if case .object(let declared)? = schema["properties"] { properties = declared } else { properties = [:] }
            for name in requiredNames(schema) where object[name] == nil { found.append("\(path).\(name): required, but missing") }
            for (name, member) in object {
                guard case .object(let property)? = properties[name] else {
                    if case .bool(false)? = schema["additionalProperties"] { found.append("\(path).\(name): not in the schema") }
                    continue
                }
                found += problems(member, against: property, at: "\(path).\(name)")
            }
            return found
        }
    }

    static func foundation(_ value: JSONValue) -> Any {
        switch value {
        case .null: NSNull()
        case .bool(let value): value
        case .integer(let value): value
        case .number(let value): value
        case .string(let value): value
        case .array(let values): values.map(foundation)
        case .object(let members): members.mapValues(foundation)
        }
    }
}
