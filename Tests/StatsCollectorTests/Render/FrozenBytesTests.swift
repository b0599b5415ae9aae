import StatsCollector
import Testing

@Suite struct FrozenBytesTests {
    @Test func frozenBytesKeepTheirContent() {
        let bytes = FrozenBytes([1, 2, 3])
        #expect(bytes.count == 3)
        #expect(bytes.array == [1, 2, 3])
        #expect(FrozenBytes([UInt8]()).count == 0)
    }
}
