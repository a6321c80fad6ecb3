import Foundation
import HubCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc  // SO_REUSEPORT
#endif
#if canImport(CNIOLinux)
    import CNIOLinux  // where NIO's view of in_addr comes from
#endif

/// Announces this hub as `<P2P_NODE_NAME>._streamhub._tcp.local.` (TXT `id=<node id>`) and
/// browses for other hubs, over multicast DNS on 224.0.0.251:5353, so hubs on one network find
/// each other with no configuration, and standard tools (avahi-browse, python-zeroconf) see them.
///
/// It answers queries for the service type and its own instance, announces itself at start,
/// and queries at growing intervals (1 s, 2 s, 4 s… up to a minute), per RFC 6762's advice for
/// continuous querying. Multicast goes out of the interface the hub listens on (the first
/// non-loopback IPv4 interface when it listens on every address), set with `IP_MULTICAST_IF`:
/// without it Linux sends by the default route, or fails with ENETUNREACH where there is none.
struct MulticastDNSService: Service {
    static let serviceType = "_streamhub._tcp.local"
    static let group = "224.0.0.251"
    static let port = 5353
    static let ttl: UInt32 = 120

    let instance: String
    let node: NodeID
    /// The peer listener's port, announced in the SRV record.
    let port: Int
    let host: String
    let logger: Logger
    /// Called for each hub found: its peer address, instance name and node id.
    let found: @Sendable (PeerAddress, String, NodeID?) async -> Void

    init(
        instance: String, node: NodeID, port: Int, host: String, logger: Logger,
        found: @escaping @Sendable (PeerAddress, String, NodeID?) async -> Void
    ) {
        self.instance = instance
        self.node = node
        self.port = port
        self.host = host
        self.logger = logger
        self.found = found
    }

    var instanceName: String { "\(instance).\(Self.serviceType)" }
    var hostName: String { "\(instance).local" }

    func run() async throws {
        guard let interface = Self.interfaceAddress(for: host) else {
            logger.warning("mDNS is off: no IPv4 interface to announce on")
            return try await Self.idle()
        }
        let channel: NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>
        do {
            channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelOption(.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: 1)
                .bind(host: "0.0.0.0", port: Self.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            logger.warning("mDNS is off: could not open the multicast socket", metadata: ["error": "\(error)"])
            return try await Self.idle()
        }
        let groupAddress = try SocketAddress(ipAddress: Self.group, port: Self.port)
        let announcement = announcementRecords(address: interface)
        // Everything, joining the group included, inside executeThenClose: the channel must be
        // closed through it on every path.
        try await channel.executeThenClose { inbound, outbound in
            do {
                try await Self.joinGroup(channel.channel, interface: interface)
            } catch {
                logger.warning("mDNS is off: could not join the multicast group", metadata: ["error": "\(error)"])
                return try await Self.idle()
            }
            logger.info("announcing by mDNS", metadata: ["instance": "\(instanceName)", "interface": "\(interface.map(String.init).joined(separator: "."))"])
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    // Announce twice a second apart (RFC 6762 §8.3), then query with backoff.
                    var delay: Duration = .seconds(1)
                    try await outbound.write(self.envelope(DNSMessage(isResponse: true, answers: announcement), to: groupAddress))
                    try await outbound.write(self.envelope(self.query(), to: groupAddress))
                    try await Task.sleep(for: .seconds(1))
                    try await outbound.write(self.envelope(DNSMessage(isResponse: true, answers: announcement), to: groupAddress))
                    while true {
                        try await outbound.write(self.envelope(self.query(), to: groupAddress))
                        try await Task.sleep(for: delay)
                        delay = min(delay * 2, .seconds(60))
                    }
                }
                tasks.addTask {
                    for try await datagram in inbound {
                        guard let message = try? DNSMessage(parsing: Array(datagram.data.readableBytesView)) else { continue }
                        if message.isResponse {
                            await self.browse(message, from: datagram.remoteAddress)
                        } else if self.asksForUs(message) {
                            // Legacy unicast queries (not from port 5353) get their answer directly.
                            let target = datagram.remoteAddress.port == Self.port ? groupAddress : datagram.remoteAddress
                            var answer = DNSMessage(isResponse: true, answers: announcement)
                            answer.id = target == groupAddress ? 0 : message.id
                            answer.questions = target == groupAddress ? [] : message.questions
                            try await outbound.write(self.envelope(answer, to: target))
                        }
                    }
                }
                // Ends with the hub: graceful shutdown stops the announcing and the listening.
                tasks.addTask { try await gracefulShutdown() }
                try await tasks.next()
                tasks.cancelAll()
            }
        }
    }

    /// A service that returns early stops the hub; without mDNS the hub still runs (peers come
    /// from configuration), so a failed start waits for shutdown instead.
    private static func idle() async throws {
        try? await gracefulShutdown()
    }

    private func envelope(_ message: DNSMessage, to address: SocketAddress) -> AddressedEnvelope<ByteBuffer> {
        AddressedEnvelope(remoteAddress: address, data: ByteBuffer(bytes: message.encoded()))
    }

    private func query() -> DNSMessage {
        DNSMessage(isResponse: false, questions: [.init(name: Self.serviceType, type: DNSMessage.RecordType.ptr.rawValue)])
    }

    /// PTR (type → instance), SRV (instance → host and port), TXT (node id) and A (host → address).
    func announcementRecords(address: [UInt8]) -> [DNSMessage.Record] {
        [
            .init(name: Self.serviceType, type: DNSMessage.RecordType.ptr.rawValue, ttl: Self.ttl * 37, data: .ptr(instanceName)),
            .init(
                name: instanceName, type: DNSMessage.RecordType.srv.rawValue, ttl: Self.ttl,
                data: .srv(priority: 0, weight: 0, port: UInt16(port), target: hostName), flush: true),
            .init(name: instanceName, type: DNSMessage.RecordType.txt.rawValue, ttl: Self.ttl * 37, data: .txt(["id=\(node)"]), flush: true),
            .init(name: hostName, type: DNSMessage.RecordType.a.rawValue, ttl: Self.ttl, data: .a(address), flush: true),
        ]
    }

    func asksForUs(_ message: DNSMessage) -> Bool {
        message.questions.contains { question in
            let name = question.name.lowercased()
            return (name == Self.serviceType && [DNSMessage.RecordType.ptr.rawValue, DNSMessage.RecordType.any.rawValue].contains(question.type))
                || name == instanceName.lowercased() || name == hostName.lowercased()
        }
    }

    /// Finds the hubs a response describes: every instance of the service type with an SRV
    /// record, at the A record's address (or the packet's source when it has none).
    func browse(_ message: DNSMessage, from source: SocketAddress) async {
        for hub in Self.hubs(in: message, source: source.ipAddress) where hub.node != node {
            await found(hub.address, hub.name, hub.node)
        }
    }

    static func hubs(in message: DNSMessage, source: String?) -> [(address: PeerAddress, name: String, node: NodeID?)] {
        let records = message.answers + message.additionals
        var addresses: [String: String] = [:]
        var services: [String: (port: Int, target: String)] = [:]
        var ids: [String: NodeID] = [:]
        var instances: Set<String> = []
        for record in records {
            let name = record.name.lowercased()
            switch record.data {
            case .a(let bytes): addresses[name] = bytes.map(String.init).joined(separator: ".")
            case .ptr(let target) where name == serviceType: instances.insert(target.lowercased())
            case .srv(_, _, let port, let target) where name.hasSuffix("." + serviceType):
                services[name] = (Int(port), target.lowercased())
                instances.insert(name)
            case .txt(let strings) where name.hasSuffix("." + serviceType):
                if let id = strings.first(where: { $0.hasPrefix("id=") }).flatMap({ NodeID(String($0.dropFirst(3))) }) { ids[name] = id }
            default: continue
            }
        }
        return instances.compactMap { instance in
            guard let service = services[instance], let host = addresses[service.target] ?? source,
                let address = PeerAddress(host: host, port: service.port)
            else { return nil }
            let label = records.first { $0.name.lowercased() == instance }?.name ?? instance
            return (address, String(label.prefix { $0 != "." }), ids[instance])
        }
    }

    /// The interface address multicast goes out of: the listener's own address, or the first
    /// non-loopback IPv4 address when it listens on every address.
    static func interfaceAddress(for host: String) -> [UInt8]? {
        if let bytes = ipv4(host) { return bytes[0] == 0 ? firstInterface() : bytes }
        if host == "localhost" { return [127, 0, 0, 1] }
        return firstInterface()
    }

    private static func firstInterface() -> [UInt8]? {
        let devices = (try? System.enumerateDevices()) ?? []
        let addresses = devices.compactMap { $0.address?.ipAddress }.compactMap(ipv4)
        return addresses.first { $0[0] != 127 } ?? addresses.first
    }

    static func ipv4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".").compactMap { UInt8($0) }
        return parts.count == 4 && text.split(separator: ".").count == 4 ? parts : nil
    }

    /// Joins the mDNS group on the interface and sends from it, with loopback so hubs on one
    /// machine see each other. The membership is set with `IP_ADD_MEMBERSHIP` directly: NIO
    /// refuses interfaces without the MULTICAST flag, which `lo` lacks although multicast works
    /// on it.
    private static func joinGroup(_ channel: any Channel, interface: [UInt8]) async throws {
        guard let options = channel as? any SocketOptionProvider else { throw ChannelError.operationUnsupported }
        let address = try inAddress(interface.map(String.init).joined(separator: "."))
        var membership = ip_mreq()
        membership.imr_multiaddr = try inAddress(group)
        membership.imr_interface = address
        try await options.unsafeSetSocketOption(level: .ip, name: .ip_add_membership, value: membership).get()
        try await options.setIPMulticastIF(address).get()
        try await options.setIPMulticastLoop(1).get()
        try await options.setIPMulticastTTL(255).get()
    }

    private static func inAddress(_ text: String) throws -> in_addr {
        guard case .v4(let socket) = try SocketAddress(ipAddress: text, port: 0) else { throw ChannelError.operationUnsupported }
        return socket.address.sin_addr
    }
}
