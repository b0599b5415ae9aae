import Foundation
import TestSupport
import Testing

@testable import PromFormat

@Suite struct GzipTests {
    @Test func producesAGzipMemberThatGunzipReadsBack() throws {
        let input = Array(String(repeating: "libvirt_up 1\n", count: 1000).utf8)
        let compressed = try Gzip.compress(input)
        #expect(compressed.starts(with: [0x1f, 0x8b]))
        #expect(compressed.count < input.count / 10)

        let (status, output) = try Gunzip.run(compressed)
        #expect(status == 0)
        #expect(output == input)
    }

    @Test func compressesEmptyInput() throws {
        #expect(try Gzip.compress([]).count > 10)
    }
}
