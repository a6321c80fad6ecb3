import HubCore

/// One rung of the adaptive ladder: an H.264/AAC rendition whose frame's shorter side is
/// `shortSide` pixels (so `720p` is 1280×720 for a landscape video and 720×1280 for a phone's
/// portrait one), its bit rate capped at `maxBitRate`.
public struct LadderRung: Sendable, Equatable {
    public var shortSide: Int
    /// Bits per second the encoder may not pass over its buffer (`-maxrate`).
    public var maxBitRate: Int

    public init(shortSide: Int, maxBitRate: Int) {
        self.shortSide = shortSide
        self.maxBitRate = maxBitRate
    }

    /// Its rendition's name, `720p`.
    public var name: String { "\(shortSide)p" }
}

/// Which rungs a video gets: the configured sizes below its own, and its own size when the
/// configuration lists a larger one, so the top rung is never an upscale and a 480p phone clip
/// gets 360p and 480p from `360,720,1080`. A ladder of one rung adapts nothing and is not made.
public enum AdaptiveLadder {
    /// Seconds per segment: every rung has a keyframe at each multiple of it, so a player can
    /// switch rungs at any segment boundary. Two seconds make the first frame arrive quickly on
    /// a slow link (one 360p segment is about 200 KB) at a small cost in compression.
    public static let segmentSeconds = 2

    public static func rungs(for media: MediaInfo, resolutions: [Int]) -> [LadderRung] {
        guard media.videoCodec != nil, let width = media.width, let height = media.height, let largest = resolutions.max() else { return [] }
        let short = min(width, height), long = max(width, height)
        var sizes = Set(resolutions.filter { $0 < short })
        // The source's own size, even (H.264's 4:2:0 needs it), when a larger one is configured.
        if largest >= short { sizes.insert(short / 2 * 2) } else { sizes.insert(largest) }
        let rungs = sizes.filter { $0 >= 2 }.sorted().map { side in
            // 0.1 bit per pixel at 30 frames a second: about what H.264 needs for a good
            // picture (640×360 → 0.7 Mbit/s, 1920×1080 → 6.2 Mbit/s); the encoder aims at
            // constant quality and spends less where the picture allows.
            let longSide = Int((Double(side) * Double(long) / Double(short)).rounded())
            return LadderRung(shortSide: side, maxBitRate: max(200_000, longSide * side * 3))
        }
        return rungs.count >= 2 ? rungs : []
    }
}
