#if canImport(Glibc)
import Glibc
#endif

/// Keeps glibc from handing the 1 MiB read and upload buffers back to the kernel after every use.
///
/// By default glibc serves allocations of that size with fresh `mmap`s (or trims them off the heap
/// when freed), so each streamed megabyte paid 256 page faults before the first byte was copied;
/// under the streaming benchmark that was a third of the read path's system time. Raising the
/// thresholds lets freed buffers be reused from the heap. Applies to this process only, set once
/// before any thread starts. `mallopt` is looked up at run time because Swift's Glibc module does
/// not export `<malloc.h>`.
public enum MemoryTuning {
    public static func apply() {
        #if canImport(Glibc)
        typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: MallOpt.self)
        let (trimThreshold, mmapThreshold): (Int32, Int32) = (-1, -3)  // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
        _ = mallopt(mmapThreshold, 32 << 20)
        _ = mallopt(trimThreshold, 256 << 20)
        #endif
    }
}
