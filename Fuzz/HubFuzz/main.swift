import Foundation

// Coverage-guided fuzzing of the hub's parsers (scripts/fuzz.sh builds this with
// `--sanitize fuzzer --sanitize address -Xswiftc -DFUZZING` and runs each target for a bounded
// time over its committed corpus in Fuzz/corpus). Built normally, it replays files through a
// target instead, which is how a crash found once stays a regression test:
// `hub-fuzz --target dns Fuzz/corpus/dns/*`.

let arguments = CommandLine.arguments
let targetName = ProcessInfo.processInfo.environment["FUZZ_TARGET"]
    ?? arguments.firstIndex(of: "--target").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
guard let targetName, let target = FuzzTargets.named(targetName) else {
    FileHandle.standardError.write(Data("usage: FUZZ_TARGET=NAME hub-fuzz [libFuzzer options] CORPUS… (targets: \(FuzzTargets.names.joined(separator: ", ")))\n".utf8))
    exit(2)
}

#if FUZZING
typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: FuzzCallback
) -> Int32

// A C callback captures nothing: the chosen target goes through a process-wide slot, set once
// before the driver starts and only read after.
nonisolated(unsafe) var selected: (([UInt8]) -> Void)?
selected = target
var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    selected?(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
})
#else
var replayed = 0
for path in arguments.dropFirst() where !path.hasPrefix("-") && path != targetName {
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
print("\(targetName): \(replayed) inputs replayed, none crashed")
#endif
