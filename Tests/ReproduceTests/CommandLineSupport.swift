import Foundation
import XCTest

/// Helpers shared by the end-to-end tests that run the built binary.
enum CommandLineSupport {
    /// Skips the test when Debian's Fashion-MNIST package is not installed.
    static func requireFashionMNIST() throws {
        guard FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz") else {
            throw XCTSkip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
        }
    }

    /// Waits (up to `timeout` seconds, polling every `poll`) until `condition` holds; its last value.
    static func waitUntil(_ timeout: Double, poll: Double = 0.05, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: poll)
        }
        return condition()
    }
}
