import Foundation

/// Decompresses with the system's `gzip -dc`, an implementation independent of the exporter's, so
/// that tests check the exporter's gzip against what real clients read.
public enum Gunzip {
    /// `gzip -dc` of `bytes`: its exit status and its output.
    public static func run(_ bytes: [UInt8]) throws -> (status: Int32, output: [UInt8]) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("gunzip-\(UUID().uuidString).gz")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(bytes).write(to: file)
        let gunzip = Process()
        gunzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gunzip.arguments = ["-dc", file.path]
        let pipe = Pipe()
        gunzip.standardOutput = pipe
        gunzip.standardError = FileHandle.nullDevice
        try gunzip.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        gunzip.waitUntilExit()
        return (gunzip.terminationStatus, Array(output))
    }
}
