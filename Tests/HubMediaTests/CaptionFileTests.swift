import Foundation
import HubCore
import HubMedia
import Testing

@Suite struct CaptionFileTests {
    @Test func webVTTIsReadWithIdentifiersSettingsAndNotesAndWrittenBackPlain() throws {
        let file = try CaptionFile(reading: """
            WEBVTT - a talk
            Kind: captions

            NOTE written by hand

            intro
            00:01.000 --> 00:04.500 align:start position:10%
            <v Ada>Hello, <i>everyone</i>.

            01:02:03.004 --> 01:02:05.000
            Two
            lines
            """)
        #expect(file.cues == [
            .init(start: 1_000, end: 4_500, text: "<v Ada>Hello, <i>everyone</i>."),
            .init(start: 3_723_004, end: 3_725_000, text: "Two\nlines"),
        ])
        #expect(file.webVTT == "WEBVTT\n\n00:00:01.000 --> 00:00:04.500\n<v Ada>Hello, <i>everyone</i>.\n\n01:02:03.004 --> 01:02:05.000\nTwo\nlines\n")
    }

    @Test func searchIndexesTheWordsOfEachCueWithoutItsMarkup() throws {
        let file = try CaptionFile(reading: """
            WEBVTT

            00:01.000 --> 00:04.500
            <v Ada>Hello, <i>everyone</i>.
            Fish &amp; chips &lt;3

            00:05.000 --> 00:06.000
            <b></b>

            00:07.000 --> 00:08.000
            <00:07.500>karaoke  words
            """)
        #expect(file.searchableCues == [
            CaptionCue(startMilliseconds: 1_000, text: "Hello, everyone . Fish & chips <3"),
            CaptionCue(startMilliseconds: 7_000, text: "karaoke words"),
        ])
    }

    @Test func srtWithABomAndWindowsLineEndsBecomesWebVTT() throws {
        let file = try CaptionFile(reading: "\u{FEFF}1\r\n00:00:01,000 --> 00:00:02,500\r\nFirst\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\nSecond\r\n")
        #expect(file.webVTT == "WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nFirst\n\n00:00:03.000 --> 00:00:04.000\nSecond\n")
    }

    @Test(arguments: [
        ("WEBVTTX\n\n00:01.000 --> 00:02.000\nx\n", 1, "starts with a line that is WEBVTT"),
        ("1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03.000 --> 00:00:04,000\nbad\n", 6, "'00:00:03.000' is not a time"),
        ("1\n00:00:05,000 --> 00:00:02,000\nbackwards\n", 2, "ends before it starts"),
        ("1\n00:00:01,000 --> 00:00:02,000\nno blank line\n2\n00:00:03,000 --> 00:00:04,000\n", 5, "is a blank line missing"),
        ("WEBVTT\n\n00:61.000 --> 00:62.000\nsixty-one seconds\n", 3, "is not a time"),
        ("WEBVTT\n\n99999999999999999999:00:00.000 --> 00:01.000\nhuge\n", 3, "is not a time"),
        ("just some text\n", 1, "expected a timing line"),
        ("WEBVTT\n", 2, "no cues"),
        ("", 1, "no cues"),
    ])
    func malformedFilesAreRefusedWithTheirLine(text: String, line: Int, words: String) {
        #expect {
            try CaptionFile(reading: text)
        } throws: { error in
            guard case CaptionError.malformed(let at, let problem) = error else { return false }
            return at == line && problem.contains(words)
        }
    }

    @Test func languageTagsAreCheckedBeforeTheyNameAnObject() {
        for tag in ["en", "fr", "pt-BR", "zh-Hant-TW", "yue"] { #expect(CaptionTrack.isLanguageTag(tag), "\(tag)") }
        for tag in ["", "e", "english", "en_US", "../x", "en-", "en-a", "fr-ÇA", String(repeating: "ab-", count: 20) + "ab"] {
            #expect(!CaptionTrack.isLanguageTag(tag), "\(tag)")
        }
    }
}

@Suite struct ProbeReportTests {
    static func report(duration: String, width: Int, height: Int) -> Data {
        Data("""
            {"format": {"duration": "\(duration)"}, "streams": [
                {"codec_type": "video", "codec_name": "h264", "width": \(width), "height": \(height)},
                {"codec_type": "audio", "codec_name": "aac"}]}
            """.utf8)
    }

    @Test func numbersAFileClaimsAreKeptOnlyWithinBounds() {
        #expect(FFmpegMediaProcessor.mediaInfo(fromReport: Self.report(duration: "6.02", width: 640, height: 360))
            == MediaInfo(durationSeconds: 6.02, width: 640, height: 360, videoCodec: "h264", audioCodec: "aac"))
        for duration in ["nan", "inf", "-1", "1e300", "N/A"] {
            #expect(FFmpegMediaProcessor.mediaInfo(fromReport: Self.report(duration: duration, width: 640, height: 360)).durationSeconds == nil, "\(duration)")
        }
        let huge = FFmpegMediaProcessor.mediaInfo(fromReport: Self.report(duration: "1", width: 0, height: 9_000_000_000))
        #expect(huge.width == nil && huge.height == nil)
        #expect(FFmpegMediaProcessor.mediaInfo(fromReport: Data("not json".utf8)) == MediaInfo())
    }

    @Test func previewTimestampsAreBoundedWhateverTheyAreGiven() {
        let previews = SeekPreviews(interval: .infinity, count: 2, width: 160, height: 90, columns: 2, rows: 1, sheetKeys: ["a"])
        #expect(previews.webVTT(duration: .nan) { "/\($0)" }.contains("00:00:00.000 --> 99:59:59.999"))
    }
}
