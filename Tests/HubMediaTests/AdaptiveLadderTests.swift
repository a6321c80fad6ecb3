import Foundation
import HubCore
import Testing

@testable import HubMedia

@Suite struct AdaptiveLadderTests {
    static let sizes = [360, 720, 1080]

    static func media(_ width: Int, _ height: Int) -> MediaInfo {
        MediaInfo(durationSeconds: 60, width: width, height: height, videoCodec: "h264", audioCodec: "aac")
    }

    @Test func rungsAreTheConfiguredSizesUpToTheSourceNeverAbove() {
        #expect(AdaptiveLadder.rungs(for: Self.media(1920, 1080), resolutions: Self.sizes).map(\.name) == ["360p", "720p", "1080p"])
        #expect(AdaptiveLadder.rungs(for: Self.media(3840, 2160), resolutions: Self.sizes).map(\.name) == ["360p", "720p", "1080p"])
        #expect(AdaptiveLadder.rungs(for: Self.media(1280, 720), resolutions: Self.sizes).map(\.name) == ["360p", "720p"])
        // A size between two configured ones tops the ladder at the source's own, made even.
        #expect(AdaptiveLadder.rungs(for: Self.media(853, 481), resolutions: Self.sizes).map(\.name) == ["360p", "480p"])
        // A phone's portrait video: the shorter side is its size.
        #expect(AdaptiveLadder.rungs(for: Self.media(1080, 1920), resolutions: Self.sizes).map(\.name) == ["360p", "720p", "1080p"])
    }

    @Test func aLadderOfOneRungOrWithoutAPictureIsNotMade() {
        #expect(AdaptiveLadder.rungs(for: Self.media(640, 360), resolutions: Self.sizes).isEmpty, "one rung adapts nothing")
        #expect(AdaptiveLadder.rungs(for: Self.media(320, 240), resolutions: Self.sizes).isEmpty)
        #expect(AdaptiveLadder.rungs(for: Self.media(1920, 1080), resolutions: []).isEmpty, "TRANSCODE_RESOLUTIONS=none")
        #expect(AdaptiveLadder.rungs(for: MediaInfo(durationSeconds: 60, audioCodec: "aac"), resolutions: Self.sizes).isEmpty)
    }

    @Test func bitRateCapsFollowThePictureSize() {
        let rungs = AdaptiveLadder.rungs(for: Self.media(1920, 1080), resolutions: Self.sizes)
        #expect(rungs.map(\.maxBitRate) == [640 * 360 * 3, 1280 * 720 * 3, 1920 * 1080 * 3])
    }
}

@Suite struct HLSPlaylistTests {
    /// What ffmpeg 5.1 writes with `-hls_segment_type fmp4 -hls_flags single_file`.
    static let ffmpegPlaylist = """
        #EXTM3U
        #EXT-X-VERSION:7
        #EXT-X-TARGETDURATION:2
        #EXT-X-MEDIA-SEQUENCE:0
        #EXT-X-PLAYLIST-TYPE:VOD
        #EXT-X-MAP:URI="360p.mp4",BYTERANGE="1353@0"
        #EXTINF:2.000000,
        #EXT-X-BYTERANGE:104009@1353
        360p.mp4
        #EXTINF:1.500000,
        #EXT-X-BYTERANGE:50000
        360p.mp4
        #EXT-X-ENDLIST

        """

    @Test func readsFFmpegsPlaylistAndRendersItWithTheRenditionsURI() throws {
        let playlist = try HLSMediaPlaylist(parsing: Self.ffmpegPlaylist, fileSize: 155_362)
        #expect(playlist.initialization == .init(duration: 0, offset: 0, length: 1353))
        #expect(playlist.segments == [.init(duration: 2, offset: 1353, length: 104_009), .init(duration: 1.5, offset: 105_362, length: 50_000)])
        #expect(playlist.duration == 3.5)
        #expect(playlist.peakBitRate == 416_036)
        #expect(playlist.averageBitRate == Int((Double(154_009) * 8 / 3.5).rounded(.up)))
        let served = playlist.rendered(uri: "../renditions/360p")
        #expect(served.contains("#EXT-X-MAP:URI=\"../renditions/360p\",BYTERANGE=\"1353@0\""))
        #expect(served.contains("#EXTINF:1.500000,\n#EXT-X-BYTERANGE:50000@105362\n../renditions/360p\n"))
        #expect(try HLSMediaPlaylist(parsing: served, fileSize: 155_362) == playlist, "the hub reads its own rendering back")
    }

    @Test(arguments: [
        ("a range past the file's end", ffmpegPlaylist, Int64(155_361)),
        ("an offset near Int64.max", ffmpegPlaylist.replacingOccurrences(of: "104009@1353", with: "104009@9223372036854775000"), Int64(155_362)),
        ("no end", ffmpegPlaylist.replacingOccurrences(of: "#EXT-X-ENDLIST", with: ""), Int64(155_362)),
        ("no initialization", ffmpegPlaylist.replacingOccurrences(of: "#EXT-X-MAP", with: "#EXT-X-NOPE"), Int64(155_362)),
        ("a duration of nan", ffmpegPlaylist.replacingOccurrences(of: "#EXTINF:2.000000", with: "#EXTINF:nan"), Int64(155_362)),
        ("a duration under a millisecond", ffmpegPlaylist.replacingOccurrences(of: "#EXTINF:2.000000", with: "#EXTINF:0.000001"), Int64(155_362)),
        ("a range without its duration", ffmpegPlaylist.replacingOccurrences(of: "#EXTINF:1.500000,", with: ""), Int64(155_362)),
        ("a negative length", ffmpegPlaylist.replacingOccurrences(of: "50000", with: "-5"), Int64(155_362)),
    ])
    func refusesAPlaylistThatDoesNotFitItsFile(_ what: String, _ text: String, _ size: Int64) {
        #expect(throws: HLSMediaPlaylist.Malformed.self, "\(what)") { try HLSMediaPlaylist(parsing: text, fileSize: size) }
    }

    @Test func theMasterListsTheRungsLowestFirstWithWhatAPlayerChoosesBy() {
        func rung(_ name: String, _ width: Int, _ height: Int, _ peak: Int) -> Rendition {
            Rendition(
                name: name, storageKey: "k/\(name).mp4", contentType: "video/mp4", sizeBytes: 1, sha256: name, width: width, height: height,
                playlistKey: "k/\(name).m3u8", codecs: "avc1.64001f,mp4a.40.2", peakBitRate: peak, averageBitRate: peak / 2)
        }
        let playable = Rendition(name: Rendition.playable, storageKey: "k/p.mp4", contentType: "video/mp4", sizeBytes: 1, sha256: "p")
        let master = HLSMasterPlaylist.rendered([rung("720p", 1280, 720, 3_000_000), playable, rung("360p", 640, 360, 800_000)]) { "\($0.name).m3u8" }
        #expect(
            master == """
                #EXTM3U
                #EXT-X-VERSION:7
                #EXT-X-INDEPENDENT-SEGMENTS
                #EXT-X-STREAM-INF:BANDWIDTH=800000,AVERAGE-BANDWIDTH=400000,RESOLUTION=640x360,CODECS="avc1.64001f,mp4a.40.2"
                360p.m3u8
                #EXT-X-STREAM-INF:BANDWIDTH=3000000,AVERAGE-BANDWIDTH=1500000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2"
                720p.m3u8

                """)
        #expect(HLSAttributes.firstVariant(in: master)?["CODECS"] == "avc1.64001f,mp4a.40.2")
    }
}
