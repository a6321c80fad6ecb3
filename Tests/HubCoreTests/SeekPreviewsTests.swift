import HubCore
import Testing

@Suite struct SeekPreviewsTests {
    @Test func framesFillSheetsRowByRowAndTheTrackPointsAtEachTile() {
        let previews = SeekPreviews(interval: 10, count: 23, width: 160, height: 90, columns: 10, rows: 2, sheetKeys: ["a", "b"])
        #expect(previews.tile(0) == (0, 0, 0))
        #expect(previews.tile(11) == (0, 160, 90))
        #expect(previews.tile(20) == (1, 0, 0), "a sheet holds columns × rows frames")
        let track = previews.webVTT(duration: 225.5) { "/sheets/\($0 + 1)" }
        let lines = track.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "WEBVTT")
        #expect(lines.filter { $0.contains(" --> ") }.count == 23)
        #expect(track.contains("00:00:10.000 --> 00:00:20.000\n/sheets/1#xywh=160,0,160,90\n"))
        #expect(track.contains("00:03:40.000 --> 00:03:45.500\n/sheets/2#xywh=20,90,160,90\n") == false)
        #expect(track.hasSuffix("00:03:40.000 --> 00:03:45.500\n/sheets/2#xywh=320,0,160,90\n"), "the last cue ends with the video")
    }
}
