import HubCore
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

extension HTTPServerBuilder {
    /// Hummingbird's HTTP/1 server with `ConnectionGuard` in each connection's pipeline: what the
    /// web port and the peer port both run.
    static func guardedHTTP1(timeouts: HubConfiguration.ConnectionTimeouts) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            GuardedHTTP1Channel(inner: HTTP1Channel(responder: responder), timeouts: timeouts)
        }
    }
}

/// `HTTP1Channel`, whose pipeline gets a `ConnectionGuard` right behind the HTTP decoder (where
/// the raw `Transfer-Encoding` is still visible and every response passes on its way out) and
/// its byte counter in front of everything (where a half-sent header line is already visible).
struct GuardedHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = HTTP1Channel.Value

    let inner: HTTP1Channel
    let timeouts: HubConfiguration.ConnectionTimeouts

    var responder: HTTPChannelHandler.Responder { inner.responder }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let timeouts = timeouts
        return inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let operations = channel.pipeline.syncOperations
            let connectionGuard = ConnectionGuard(timeouts: timeouts)
            try operations.addHandler(ConnectionGuard.ByteCounter(connectionGuard), position: .first)
            let decoder = try operations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try operations.addHandler(connectionGuard, position: .after(decoder))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }
}
