import Testing

/// The HTTP details of ``AlertingStack`` (no testbed needed).
@Suite struct AlertingStackTests {
    @Test func aChunkedAnswerIsReassembled() {
        let body = Array("4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n".utf8)
        #expect(String(decoding: AlertingStack.dechunk(body), as: UTF8.self) == "{\"a\":1}")
    }
}
