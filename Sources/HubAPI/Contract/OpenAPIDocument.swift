/// Writes `APIContract` as an OpenAPI 3.1 document: what `GET /api/v1/openapi.json` serves.
public enum OpenAPIDocument {
    public static func make(serverURL: String = "/api/v1") -> JSONValue {
        var paths: [String: [String: JSONValue]] = [:]
        for operation in APIContract.operations {
            paths[operation.path, default: [:]][operation.method.rawValue] = self.operation(operation)
        }
        let schemas = Dictionary(
            APIContract.components.map { ($0.schemaName, JSONValue.object($0.schema.json)) }, uniquingKeysWith: { first, _ in first })
        return [
            "openapi": "3.1.0",
            "info": [
                "title": .string(APIContract.title), "version": .string(APIContract.version),
                "description": """
                    The JSON API of a Stream & Upload Hub: videos (uploads, streaming, processing, captions), the community notepad, \
                    accounts and the peer network. Sign in with `POST /session` (a cookie) or send an API token as \
                    `Authorization: Bearer TOKEN`. Every error is `{"error": {"code", "message", "requestId"}}`.
                    """,
            ],
            "servers": [["url": .string(serverURL)]],
            "tags": .array(APIContract.Tag.allCases.map { ["name": .string($0.rawValue), "description": .string($0.summary)] }),
            "paths": .object(paths.mapValues(JSONValue.object)),
            "components": [
                "schemas": .object(schemas),
                "securitySchemes": [
                    "token": ["type": "http", "scheme": "bearer", "description": "An API token (`streamhub token create`, or `POST /tokens`)."],
                    "session": ["type": "apiKey", "in": "cookie", "name": "streamhub_session", "description": "The session cookie `POST /session` sets."],
                ],
            ],
        ]
    }

    static func operation(_ operation: APIOperation) -> JSONValue {
        var json: [String: JSONValue] = [
            "operationId": .string(operation.id), "tags": [.string(operation.tag.rawValue)], "summary": .string(operation.summary),
        ]
        json["security"] = operation.access == .anyone ? [] : [["token": []], ["session": []]]
        if operation.access == .admin { json["description"] = "Admins only." }
        if !operation.parameters.isEmpty {
            json["parameters"] = .array(
                operation.parameters.map { parameter in
                    [
                        "name": .string(parameter.name), "in": .string(parameter.location.rawValue), "description": .string(parameter.description),
                        "required": .bool(parameter.required), "schema": .object(parameter.schema.json),
                    ]
                })
        }
        if let body = operation.body {
            json["requestBody"] = ["required": .bool(operation.bodyRequired), "content": content(body)]
        }
        var responses: [String: JSONValue] = [:]
        for response in operation.responses {
            var answer: [String: JSONValue] = ["description": .string(response.description)]
            if let body = response.body { answer["content"] = content(body) }
            if !response.headers.isEmpty {
                answer["headers"] = .object(
                    Dictionary(
                        response.headers.map { ($0.name, ["description": .string($0.description), "schema": .object($0.schema.json)]) },
                        uniquingKeysWith: { first, _ in first }))
            }
            responses[String(response.status)] = .object(answer)
        }
        for (status, description) in operation.errorStatuses {
            responses[String(status)] = ["description": .string(description), "content": content(.json(.ref(APIErrorBody.self)))]
        }
        json["responses"] = .object(responses)
        return .object(json)
    }

    static func content(_ body: APIOperation.Body) -> JSONValue {
        switch body {
        case .json(let schema): ["application/json": ["schema": .object(schema.json)]]
        case .bytes(let mediaType, let schema): .object([mediaType: ["schema": .object(schema.json)]])
        }
    }
}
