import Foundation
import HubAPI
import HubCore
import NIOCore
import NIOHTTP1

/// Keeps one HTTP/1 connection from holding the hub: it closes connections that stop sending
/// (header, body and idle timeouts), ends a connection cleanly when a response went out before
/// its request's body was read (a 413 or 401 decided from the headers), and refuses transfer
/// codings the hub does not speak.
///
/// Why at the channel level: Hummingbird reads a request's unread body before the next request,
/// and after a response to a `Connection: close` request it waits for the client to close. A
/// client that sends its whole oversized body before reading (as Python's urllib does) then
/// blocks in `send` while the hub waits for it: nobody ever reads the 413. Here the response
/// gets `Connection: close`, and the rest of the body is read and dropped up to a bound, so the
/// client finishes sending, reads its answer, and the connection closes.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// At most this much of an unread body is read and dropped after an early response.
    static let drainBytes = 32 << 20
    /// And for at most this long.
    static let drainTime: TimeAmount = .seconds(10)

    private enum Phase: Equatable {
        /// No request in flight: waiting for the next one (idle timeout).
        case idle
        /// A request's first bytes arrived, its headers are not complete (header timeout).
        case readingHead
        /// Headers read, body arriving (body timeout between reads).
        case readingBody
        /// The request is read; the hub is answering. No timeout: the work is the hub's own.
        case responding
        /// The response went out before the body was read: dropping the rest, then closing.
        case draining(dropped: Int)
    }

    private let timeouts: HubConfiguration.ConnectionTimeouts
    private var phase = Phase.idle
    private var deadline: Scheduled<Void>?
    /// Requests whose response has not ended yet.
    private var unanswered = 0
    /// The current request's `end` has not arrived.
    private var bodyPending = false
    private var closeAfterResponse = false
    /// The request could not be parsed: nothing after it can be framed.
    private var unparsable = false
    /// Armed while the socket will not take more of a response (the client stopped reading).
    private var writeDeadline: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(timeouts: HubConfiguration.ConnectionTimeouts) {
        self.timeouts = timeouts
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        arm(timeouts.idle, context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        writeDeadline?.cancel()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        writeDeadline?.cancel()
        context.fireChannelInactive()
    }

    /// A client that stops reading a response (a stream it never consumes) holds a connection
    /// and the response's buffers: once the socket has taken nothing for twice the body timeout
    /// (nginx's `send_timeout` is 60 s too), the connection closes.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        writeDeadline?.cancel()
        writeDeadline = nil
        if !context.channel.isWritable {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            writeDeadline = context.eventLoop.scheduleTask(in: TimeAmount(timeouts.body * 2)) { bound.value.close(promise: nil) }
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: - Requests

    /// Raw bytes arrived (told by `ByteCounter`, in front of the decoder).
    fileprivate func bytesArrived() {
        guard let context else { return }
        switch phase {
        case .idle where unanswered == 0:
            phase = .readingHead
            arm(timeouts.header, context: context)
        case .readingBody:
            arm(timeouts.body, context: context)
        case .idle, .readingHead, .responding, .draining:
            break
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let head):
            if let refusal = Self.refusal(of: head) {
                refuse(refusal, context: context)
                return
            }
            unanswered += 1
            bodyPending = true
            phase = .readingBody
            arm(timeouts.body, context: context)
        case .body(let bytes):
            if case .draining(let dropped) = phase {
                let total = dropped + bytes.readableBytes
                phase = .draining(dropped: total)
                if total > Self.drainBytes { context.close(promise: nil) }
                return
            }
        case .end:
            bodyPending = false
            if case .draining = phase {
                context.close(promise: nil)
                return
            }
            phase = .responding
            cancelDeadline()
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // What is dropped never reaches Hummingbird, which therefore asks for no more reads:
        // the guard asks for them itself until the drain ends.
        if case .draining = phase { context.read() }
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A malformed request (bad chunk size, bad header): nothing more can be read from this
        // connection, so it closes once the answer to it is written.
        if error is HTTPParserError {
            closeAfterResponse = true
            unparsable = true
        }
        context.fireErrorCaught(error)
    }

    // MARK: - Responses

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where bodyPending || closeAfterResponse:
            // The client is still sending a body this response does not want.
            closeAfterResponse = true
            head.headers.replaceOrAdd(name: "connection", value: "close")
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end:
            context.write(data, promise: promise)
            responseEnded(context: context)
        default:
            context.write(data, promise: promise)
        }
    }

    private func responseEnded(context: ChannelHandlerContext) {
        unanswered = max(0, unanswered - 1)
        if closeAfterResponse {
            context.flush()
            guard bodyPending, !unparsable else {
                context.close(promise: nil)
                return
            }
            phase = .draining(dropped: 0)
            arm(Self.drainTime, context: context)
            context.read()
        } else if unanswered == 0, !bodyPending {
            phase = .idle
            arm(timeouts.idle, context: context)
        }
    }

    // MARK: - Refusing what the hub does not speak

    struct Refusal {
        var status: HTTPResponseStatus
        var code: String
        var message: String
    }

    /// RFC 9112 §6.1: a server that receives a transfer coding it does not understand answers
    /// 501. The hub understands `chunked` alone; `gzip, chunked` would otherwise be read as
    /// plain chunked and its compressed bytes stored as they are.
    static func refusal(of head: HTTPRequestHead) -> Refusal? {
        let codings = head.headers["transfer-encoding"].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard !codings.isEmpty else { return nil }
        guard codings == ["chunked"] else {
            return Refusal(
                status: .notImplemented, code: "unsupported_transfer_encoding",
                message: "the only transfer coding accepted is 'chunked', got '\(codings.joined(separator: ", "))'")
        }
        guard head.headers["content-length"].isEmpty else {
            return Refusal(
                status: .badRequest, code: "bad_request", message: "a request may not carry both Transfer-Encoding and Content-Length")
        }
        return nil
    }

    /// Answers a request the hub will not read with a JSON error, then closes: what follows its
    /// headers cannot be framed.
    private func refuse(_ refusal: Refusal, context: ChannelHandlerContext) {
        guard unanswered == 0 else {
            context.close(promise: nil)
            return
        }
        // The hub's error body, as ErrorMiddleware writes it (no request id: no request was made).
        let json = try? JSONEncoder().encode(APIErrorBody(error: .init(code: refusal.code, message: refusal.message, requestId: nil)))
        let body = ByteBuffer(bytes: json ?? Data())
        let headers = HTTPHeaders([
            ("content-type", "application/json; charset=utf-8"), ("content-length", "\(body.readableBytes)"), ("connection", "close"),
        ])
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: refusal.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
    }

    // MARK: - Deadlines

    private func arm(_ timeout: TimeAmount, context: ChannelHandlerContext) {
        deadline?.cancel()
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) { bound.value.close(promise: nil) }
    }

    private func arm(_ timeout: Duration, context: ChannelHandlerContext) {
        arm(TimeAmount(timeout), context: context)
    }

    private func cancelDeadline() {
        deadline?.cancel()
        deadline = nil
    }

    /// Sits in front of the HTTP decoder and tells the guard whenever bytes arrive, so a
    /// request whose header lines trickle in is timed from its first byte.
    final class ByteCounter: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer

        private let connectionGuard: ConnectionGuard

        init(_ connectionGuard: ConnectionGuard) {
            self.connectionGuard = connectionGuard
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            connectionGuard.bytesArrived()
            context.fireChannelRead(data)
        }
    }
}
