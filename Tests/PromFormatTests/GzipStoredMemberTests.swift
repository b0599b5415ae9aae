import TestSupport
import Testing

@testable import PromFormat

/// The stored gzip member that carries the HTTP self-metrics after the snapshot's gzip.
@Suite struct GzipStoredMemberTests {
    @Test func computesGzipsCRC32() {
        #expect(GzipStoredMember.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(GzipStoredMember.crc32([]) == 0)
    }

    @Test(arguments: [0, 1, 2069, 65_535, 65_536, 200_000])
    func gzipReadsItAfterAnotherMember(size: Int) throws {
        let data: [UInt8] = (0..<size).map { index in
            let offset = (index &* 31 &+ index >> 7) % 95
            return UInt8(0x20 + offset)
        }
        let first = try Gzip.compress(Array("first member\n".utf8))
        let result = try Command.run("/bin/gzip", ["-dc"], input: first + GzipStoredMember.make(data))
        #expect(result.status == 0, "\(result.output.prefix(200))")
        let expected = "first member\n" + String(decoding: data, as: UTF8.self)
        #expect(result.output == expected)
    }
}
