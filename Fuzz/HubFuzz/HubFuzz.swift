import Foundation

// Coverage-guided fuzzing of the hub's parsers. scripts/fuzz.sh builds this with
// `--sanitize fuzzer --sanitize address -Xswiftc -DFUZZING`: libFuzzer then supplies `main` and
// calls `LLVMFuzzerTestOneInput` with inputs for the target named by `FUZZ_TARGET`. Built
// normally, it replays files through a target instead, which is how a crash found once stays a
// regression test: `hub-fuzz --target dns Fuzz/corpus/dns`.

/// The target `FUZZ_TARGET` names, looked up once.
let fuzzTarget: (@Sendable ([UInt8]) -> Void)? = ProcessInfo.processInfo.environment["FUZZ_TARGET"].flatMap(FuzzTargets.named)

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let fuzzTarget else {
        FileHandle.standardError.write(Data("set FUZZ_TARGET to one of: \(FuzzTargets.names.joined(separator: ", "))\n".utf8))
        exit(2)
    }
    fuzzTarget(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}
#else
@main
enum Replay {
    static func main() {
        let arguments = CommandLine.arguments
        let name = arguments.firstIndex(of: "--target").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
        guard let name, let target = FuzzTargets.named(name) ?? fuzzTarget else {
            FileHandle.standardError.write(Data("usage: hub-fuzz --target NAME FILE_OR_DIRECTORY… (\(FuzzTargets.names.joined(separator: ", ")))\n".utf8))
            exit(2)
        }
        var replayed = 0
        for path in arguments.dropFirst() where !path.hasPrefix("-") && path != name {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            let files = isDirectory.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 } : [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                target(Array(data))
                replayed += 1
            }
        }
        print("\(name): \(replayed) inputs replayed, none crashed")
    }
}
#endif
