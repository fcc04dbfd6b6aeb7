import Core
import Foundation

/// Re-executes the process with `OPENBLAS_CORETYPE` set when OpenBLAS did not
/// recognise the CPU and loaded its slow generic kernels. Users never need to
/// know: `reproduce bench` prints the kernel that ran. Results do not depend on
/// it beyond rounding (the brute-force tests guard correctness either way).
enum BLASRelauncher {
    static let marker = "REPRODUCE_BLAS_RELAUNCHED"

    static func relaunchIfNeeded() {
        let environment = ProcessInfo.processInfo.environment
        guard environment[marker] == nil, let coreType = BLASRuntime.recommendedCoreType() else { return }
        setenv("OPENBLAS_CORETYPE", coreType, 1)
        setenv(marker, "1", 1)
        let arguments = CommandLine.arguments
        var cArguments = arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &cArguments)
        // execv returns only on failure: carry on with the slow kernels.
        for pointer in cArguments { free(pointer) }
    }
}
