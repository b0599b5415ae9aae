import Foundation
import TestSupport
import Testing

@testable import PromFormat

@Suite struct GzipSpliceTests {
    @Test func piecesCompressedApartSpliceIntoOneMemberThatGunzipChecks() throws {
        let compressor = Gzip.Compressor(level: 1)
        let texts = (0..<40).map { index in
            Array(
                String(repeating: "libvirt_domain_job_type{domain=\"vm-\(index)\"} \(index % 3)\n", count: index).utf8)
        }
        let pieces = texts.map { compressor.piece($0) }
        let member = try #require(Gzip.member(of: pieces))
        let result = try Gunzip.run(member)
        #expect(result.status == 0, "gzip checks the combined CRC-32 and the length")
        #expect(result.output == Array(texts.joined()))
        #expect(RenderedBody(pieces: pieces).text == result.output)
    }

    @Test func aSplicedMemberWithAWrongCRCIsRejected() throws {
        let compressor = Gzip.Compressor(level: 6)
        var member = try #require(Gzip.member(of: [compressor.piece(Array("a 1\n".utf8))]))
        member[member.count - 8] ^= 1
        #expect(try Gunzip.run(member).status != 0, "so the test above would see a wrong CRC")
    }

    @Test func noPiecesGiveAnEmptyMember() throws {
        let member = try #require(Gzip.member(of: []))
        let result = try Gunzip.run(member)
        #expect(result.status == 0)
        #expect(result.output.isEmpty)
        #expect(RenderedBody.empty.textCount == 0)
    }

    @Test func aPieceIsReusedUnchangedInAnotherSplice() throws {
        let compressor = Gzip.Compressor(level: 1)
        let first = compressor.piece(Array("# HELP a A.\n# TYPE a gauge\na 1\n".utf8))
        let second = compressor.piece(Array("b 2\n".utf8))
        let replaced = compressor.piece(Array("b 3\n".utf8))
        let before = try Gunzip.run(try #require(Gzip.member(of: [first, second]))).output
        let after = try Gunzip.run(try #require(Gzip.member(of: [first, replaced]))).output
        #expect(String(decoding: before, as: UTF8.self).hasSuffix("b 2\n"))
        #expect(String(decoding: after, as: UTF8.self) == "# HELP a A.\n# TYPE a gauge\na 1\nb 3\n")
    }
}
