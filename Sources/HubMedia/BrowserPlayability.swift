import HubCore

/// Whether current Chromium and Firefox on Linux play a file as it is, judged from its sniffed
/// container and probed codecs, and if not, the cheapest conversion that makes them: a container
/// they refuse around codecs they play (H.264 in MKV or MOV) is only copied into MP4; a codec
/// they cannot decode (HEVC, ProRes, MPEG-2, MPEG-4 Part 2, AC-3, PCM…) is encoded again.
///
/// Both browsers play H.264, VP8, VP9 and AV1 video with AAC, MP3, Opus, Vorbis or FLAC audio,
/// in MP4 or WebM as each container allows. HEVC plays in Chromium only where the hardware
/// decodes it and not in Firefox, so it counts as unplayable; so does QuickTime's `video/
/// quicktime` type, which Firefox refuses even around H.264.
public enum BrowserPlayability {
    /// What to do to one stream when converting.
    public enum Step: Sendable, Equatable {
        case copy
        case encode
    }

    public enum Plan: Sendable, Equatable {
        /// Browsers play the original.
        case asIs
        /// An MP4 rendition, each stream copied or encoded (H.264, AAC); `audio` nil when the
        /// source has none.
        case convert(video: Step, audio: Step?)
        /// Nothing can be said without a probe (no ffmpeg): the container alone decides
        /// whether the page warns.
        case unknown
    }

    static let mp4Video: Set<String> = ["h264", "vp9", "av1"]
    static let mp4Audio: Set<String> = ["aac", "mp3", "opus", "flac"]
    static let webmVideo: Set<String> = ["vp8", "vp9", "av1"]
    static let webmAudio: Set<String> = ["opus", "vorbis"]

    public static func plan(contentType: String, media: MediaInfo) -> Plan {
        guard let video = media.videoCodec else { return .unknown }
        let audio = media.audioCodec
        let (videos, audios): (Set<String>, Set<String>) =
            switch contentType {
            case "video/mp4": (mp4Video, mp4Audio)
            case "video/webm": (webmVideo, webmAudio)
            default: ([], [])
            }
        if videos.contains(video), audio.map(audios.contains) ?? true { return .asIs }
        // Into MP4: H.264 and AAC/MP3 are copied; anything else is encoded to H.264 and AAC.
        return .convert(video: video == "h264" ? .copy : .encode, audio: audio.map { ["aac", "mp3"].contains($0) ? .copy : .encode })
    }

    /// Whether browsers will likely refuse a file whose codecs are unknown, by its container.
    public static func containerIsPlayable(_ contentType: String) -> Bool {
        contentType == "video/mp4" || contentType == "video/webm"
    }
}
