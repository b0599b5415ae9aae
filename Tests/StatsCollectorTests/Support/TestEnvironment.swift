import Foundation

enum ProcessInfoEnvironment {
    /// Whether golden files should be rewritten (`UPDATE_GOLDEN=1`).
    static var updateGolden: Bool { ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" }
}
