import COpenBLAS
import Foundation

/// What the BLAS library in this process is doing, and how to make it use the
/// fast kernels for this CPU.
///
/// OpenBLAS chooses its compute kernels when the library is loaded, before
/// `main` runs. Some builds (Debian 12's 0.3.21 among them) do not recognise
/// newer CPUs and fall back to generic SSE3 ("Prescott") kernels, several times
/// slower. The only remedy is the environment variable `OPENBLAS_CORETYPE`, read
/// at load time; ``relaunchEnvironmentIfSlowKernel()`` tells the launcher
/// what to set before re-executing itself.
public enum BLASRuntime {
    /// The kernel family OpenBLAS chose, e.g. "Haswell", "SkylakeX", "Prescott".
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// Kernels OpenBLAS uses when it does not recognise the CPU.
    static let genericKernels: Set<String> = ["prescott", "core2", "katmai", "coppermine", "northwood", "banias", "atom", "unknown"]

    /// Whether the active kernel is a generic fallback.
    public static var isGenericKernel: Bool { genericKernels.contains(coreName.lowercased()) }

    /// CPU feature flags from /proc/cpuinfo (Linux), empty elsewhere.
    public static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return [] }
        for line in text.split(separator: "\n") where line.hasPrefix("flags") {
            if let colon = line.firstIndex(of: ":") {
                return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
            }
        }
        return []
    }

    /// The `OPENBLAS_CORETYPE` that gives this CPU its fast kernels when the
    /// library fell back to generic ones, or nil when nothing needs changing
    /// (already fast, or the user chose a core type explicitly).
    public static func recommendedCoreType(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        activeCore: String = coreName, flags: Set<String>? = nil
    ) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil else { return nil }
        guard genericKernels.contains(activeCore.lowercased()) else { return nil }
        let cpu = flags ?? cpuFlags()
        if cpu.contains("avx512f") && cpu.contains("avx512bw") && cpu.contains("avx512vl") { return "SkylakeX" }
        if cpu.contains("avx2") && cpu.contains("fma") { return "Haswell" }
        if cpu.contains("avx") { return "SandyBridge" }
        return nil
    }

    /// Limits OpenBLAS to `count` threads (1 keeps reductions in a fixed order).
    public static func setThreadCount(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }
}
