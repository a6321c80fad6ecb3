import HubCore

/// The peer protocol's bodies (JSON, under `/p2p/v1`, every request signed). A hub answers
/// each with the matching response; anything it cannot parse is a 400 with the JSON error body.
public enum PeerMessage {
    /// `POST /p2p/v1/hello`: who the sender is and which peers it knows, answered in kind.
    /// It is also the failure detector's probe.
    public struct Hello: Codable, Sendable, Equatable {
        public var node: NodeID
        public var name: String
        /// The port of the sender's peer listener.
        public var port: Int
        /// The host peers should use for the sender, when it listens on a specific address;
        /// nil when it listens on every address (peers then use the address they saw).
        public var host: String?
        public var members: [Member]
        /// The newest change of a shared note the sender holds (its HLC): a hub that hears of
        /// one it lacks, older than a couple of gossip rounds, was missed by the gossip and
        /// asks that peer at once instead of waiting for anti-entropy.
        public var newest: HLCTimestamp?
        /// How much of the peers' videos the sender keeps whole, for the Peers page.
        public var keptForOthers: KeptForOthers?

        public init(
            node: NodeID, name: String, port: Int, host: String?, members: [Member], newest: HLCTimestamp? = nil,
            keptForOthers: KeptForOthers? = nil
        ) {
            self.node = node
            self.name = name
            self.port = port
            self.host = host
            self.members = members
            self.newest = newest
            self.keptForOthers = keptForOthers
        }
    }

    /// A peer in a membership list.
    public struct Member: Codable, Sendable, Equatable {
        public var node: NodeID?
        public var name: String
        public var address: PeerAddress

        public init(node: NodeID?, name: String, address: PeerAddress) {
            self.node = node
            self.name = name
            self.address = address
        }
    }

    /// `POST /p2p/v1/gossip`: new changes of shared notes.
    public struct Gossip: Codable, Sendable {
        public var batches: [NoteBatch]

        public init(batches: [NoteBatch]) { self.batches = batches }
    }

    /// How much of a note a hub holds.
    public struct Holding: Codable, Sendable, Equatable {
        public var note: NoteID
        public var have: VersionVector

        public init(note: NoteID, have: VersionVector) {
            self.note = note
            self.have = have
        }
    }

    /// What the receiver did with a gossip batch; for notes whose batch it could not apply
    /// yet, what it holds, so the sender follows up with exactly what is missing.
    public struct GossipReceipt: Codable, Sendable {
        public var applied: Int
        public var behind: [Holding]

        public init(applied: Int, behind: [Holding]) {
            self.applied = applied
            self.behind = behind
        }
    }

    /// `POST /p2p/v1/digest`: anti-entropy's first step. The sender's root digest (XOR of its
    /// notes' digests) and note count; a receiver that differs answers with every note's digest.
    public struct Digest: Codable, Sendable {
        public var root: UInt64
        public var count: Int
        /// Note id → digest.
        public var notes: [String: UInt64]?

        public init(root: UInt64, count: Int, notes: [String: UInt64]? = nil) {
            self.root = root
            self.count = count
            self.notes = notes
        }
    }

    /// `POST /p2p/v1/pull`: anti-entropy's second step, asking for notes' missing changes.
    public struct Pull: Codable, Sendable {
        public var notes: [Holding]

        public init(notes: [Holding]) { self.notes = notes }
    }

    public struct PullResponse: Codable, Sendable {
        public var batches: [NoteBatch]

        public init(batches: [NoteBatch]) { self.batches = batches }
    }

    /// `POST /p2p/v1/catalogue`: entries of the shared video catalogue that changed, pushed by
    /// gossip; also the answer to a catalogue pull.
    public struct CatalogueEntries: Codable, Sendable {
        public var entries: [CatalogueEntry]

        public init(entries: [CatalogueEntry]) { self.entries = entries }
    }

    /// How many of a pushed batch of entries were new to the receiver.
    public struct CatalogueReceipt: Codable, Sendable {
        public var applied: Int

        public init(applied: Int) { self.applied = applied }
    }

    /// `POST /p2p/v1/catalogue/digest`: anti-entropy for the catalogue, as `Digest` is for notes.
    /// The sender's root (XOR of its entries' digests) and count; a receiver that differs
    /// answers with every entry's digest.
    public struct CatalogueDigest: Codable, Sendable {
        public var root: UInt64
        public var count: Int
        /// Video id → digest.
        public var videos: [String: UInt64]?

        public init(root: UInt64, count: Int, videos: [String: UInt64]? = nil) {
            self.root = root
            self.count = count
            self.videos = videos
        }
    }

    /// `POST /p2p/v1/catalogue/pull`: the entries of the videos named, answered with
    /// `CatalogueEntries`.
    public struct CataloguePull: Codable, Sendable {
        public var videos: [VideoID]

        public init(videos: [VideoID]) { self.videos = videos }
    }

    /// The most entries one catalogue message carries (an entry is at most a few kilobytes).
    public static let catalogueLimit = 500

    /// `POST /p2p/v1/manifest`: a shared video's block manifest, answered in its stored binary
    /// form (`BlockManifest.encoded()`), or 404 when the video is not shared or not held.
    public struct ManifestRequest: Codable, Sendable, Equatable {
        public var video: VideoID

        public init(video: VideoID) { self.video = video }
    }

    /// `POST /p2p/v1/thumbnail`: a shared video's JPEG thumbnail, or 404 when the video is not
    /// shared, not held, or has none.
    public struct ThumbnailRequest: Codable, Sendable, Equatable {
        public var video: VideoID

        public init(video: VideoID) { self.video = video }
    }

    /// The largest thumbnail a hub sends or takes (ffmpeg's are tens of kilobytes).
    public static let maxThumbnailBytes = 4 << 20

    /// `POST /p2p/v1/blocks`: the bytes of `count` consecutive blocks of a shared video from
    /// block `index`, answered as `application/octet-stream`. The asker checks each block against
    /// the manifest before it serves a byte of it; a run lets it take a read-ahead window in one
    /// round trip.
    public struct BlocksRequest: Codable, Sendable, Equatable {
        public var video: VideoID
        public var index: Int
        public var count: Int

        public init(video: VideoID, index: Int, count: Int = 1) {
            self.video = video
            self.index = index
            self.count = count
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                video: try container.decode(VideoID.self, forKey: .video), index: try container.decode(Int.self, forKey: .index),
                count: try container.decodeIfPresent(Int.self, forKey: .count) ?? 1)
        }

        /// The run asked for, or why it cannot be served from `manifest`.
        func run(in manifest: BlockManifest) throws(PeerError) -> ClosedRange<Int> {
            guard (1...PeerMessage.maxBlocksPerRequest).contains(count) else {
                throw .tooManyBlocks(limit: PeerMessage.maxBlocksPerRequest)
            }
            // Compared before any arithmetic: an index near Int.max must not overflow `index + count`.
            guard index >= 0, index < manifest.blocks.count, count <= manifest.blocks.count - index else {
                throw .blocksOutside(count: manifest.blocks.count)
            }
            guard count * manifest.blockSize <= PeerMessage.maxBlockBytesPerRequest else {
                throw .tooManyBlocks(limit: PeerMessage.maxBlockBytesPerRequest / manifest.blockSize)
            }
            return index...(index + count - 1)
        }
    }

    /// The longest run of blocks one request may ask for, in blocks and in bytes.
    public static let maxBlocksPerRequest = 64
    public static let maxBlockBytesPerRequest = 64 << 20

    /// How many notes a pull may ask for at once.
    public static let pullLimit = 1_000

    /// A name as a peer may announce it, for itself or for a peer it knows: at most 63
    /// characters (what `POST /api/v1/peers` accepts as a peer's name; `P2P_NODE_NAME`, an mDNS
    /// instance name, is at most 63 bytes and so always fits), printable, so names shown on the
    /// Peers page and in logs are short.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.count <= 63 && !name.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}
