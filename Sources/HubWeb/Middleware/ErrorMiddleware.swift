import Foundation
import HTTPTypes
import HubCore
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// Maps every error a route throws to the hub's JSON error body
/// `{"error": {"code", "message"}}` with the right status — the one place where domain errors
/// become HTTP. Anything unexpected is logged with the request id and answered with a 500 that
/// reveals nothing internal.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Self.response(for: error, request: request, context: context)
        }
    }

    static func response(for error: any Error, request: Request, context: some RequestContext) -> Response {
        if error is SignInRedirect {
            var query = URLComponents()
            query.queryItems = [URLQueryItem(name: "next", value: request.uri.description)]
            return .redirect(to: "/login" + (query.string ?? ""), type: .normal)
        }
        let hubError = translate(error)
        if hubError.status >= 500 {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
        }
        return hubError.response(requestID: context.id)
    }

    static func translate(_ error: any Error) -> HubError {
        switch error {
        case let error as HubError:
            return error
        case let error as ObjectStoreError:
            switch error {
            case .notFound: return HubError.notFound("the stored object")
            case .accessDenied(let message): return HubError(status: 503, code: "storage_access_denied", message: message)
            case .unavailable(let message): return HubError.unavailable("storage is unavailable: \(message)")
            case .preconditionFailed(let message): return HubError(status: 412, code: "precondition_failed", message: message)
            case .insufficientStorage(let message): return HubError.insufficientStorage(message)
            }
        case let error as PosixError where error.isNoSpace:
            return HubError.insufficientStorage("the server's disk is full")
        case let error as HTTPError:
            return HubError(
                status: Int(error.status.code), code: Self.code(for: error.status),
                message: error.body ?? error.status.reasonPhrase)
        case is HTTPParserError:
            // The body's framing broke mid-request (a chunk size of 2^72, say): the client's fault.
            return HubError.badRequest("the request is malformed: \(error)", code: "malformed_request")
        case is NIOTooManyBytesError:
            return HubError(status: 413, code: "payload_too_large", message: "the request body is too large")
        case is DecodingError:
            return HubError.badRequest("the request body is not valid JSON of the expected shape", code: "invalid_json")
        default:
            return HubError(status: 500, code: "internal_error", message: "an unexpected error occurred; it has been logged")
        }
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "bad_request"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 413: "payload_too_large"
        case 415: "unsupported_media_type"
        default: status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_")
        }
    }
}

extension HubError {
    struct Body: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
            var requestId: String?
        }
        var error: Detail
    }

    func response(requestID: String?) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        for (name, value) in self.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        let body = Body(error: .init(code: code, message: message, requestId: requestID))
        let data = (try? JSONEncoder().encode(body)) ?? Data(#"{"error":{"code":"internal_error","message":""}}"#.utf8)
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
