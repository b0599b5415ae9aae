import Foundation
import Testing

@testable import PromFormat

@Suite struct GzipTests {
    @Test func producesAGzipMemberThatGunzipReadsBack() throws {
        let input = Array(String(repeating: "libvirt_up 1\n", count: 1000).utf8)
        let compressed = try Gzip.compress(input)
        #expect(compressed.starts(with: [0x1f, 0x8b]))
        #expect(compressed.count < input.count / 10)

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("gzip-test-\(UUID().uuidString).gz")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(compressed).write(to: file)
        let gunzip = Process()
        gunzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gunzip.arguments = ["-dc", file.path]
        let pipe = Pipe()
        gunzip.standardOutput = pipe
        try gunzip.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        gunzip.waitUntilExit()
        #expect(gunzip.terminationStatus == 0)
        #expect(Array(output) == input)
    }

    @Test func compressesEmptyInput() throws {
        #expect(try Gzip.compress([]).count > 10)
    }
}
