import Testing

@testable import StatsCollector

@Suite struct DomainCallGateTests {
    private static let timeout = LibvirtError(
        function: "virDomainGetJobStats", code: .operationTimeout, domain: 10,
        message: "Timed out during operation: cannot acquire state change lock")

    @Test func atMostOneCallInFlightPerDomain() {
        let gate = DomainCallGate()
        #expect(gate.acquire("web"))
        #expect(!gate.acquire("web"), "a second call on the same domain waits its turn")
        #expect(gate.acquire("db"), "other domains are not held up")
        gate.release("web", after: .milliseconds(10), error: nil)
        #expect(gate.acquire("web"))
    }

    @Test func aSlowOrTimedOutDomainBacksOffAndAQuickAnswerClearsIt() {
        let gate = DomainCallGate()
        #expect(gate.acquire("stuck"))
        gate.release("stuck", after: .seconds(30), error: nil)
        #expect(gate.isBackingOff("stuck"))
        #expect(!gate.acquire("stuck"), "no call while backing off")

        #expect(gate.acquire("locked"))
        gate.release("locked", after: .milliseconds(5), error: Self.timeout)
        #expect(gate.isBackingOff("locked"), "a timeout backs off however quickly it came")

        #expect(gate.acquire("fine"))
        gate.release("fine", after: .seconds(1), error: nil)
        #expect(!gate.isBackingOff("fine"))
    }

    @Test func callReportsSkippedSucceededAndFailed() throws {
        let gate = DomainCallGate()
        let succeeded = gate.call("web") { () throws(LibvirtError) in 42 }
        #expect(try succeeded?.get() == 42)
        let failed = gate.call("web") { () throws(LibvirtError) -> Int in throw Self.timeout }
        guard case .failure(let error)? = failed else {
            Issue.record("expected a failure")
            return
        }
        #expect(error == Self.timeout)
        let skipped = gate.call("web") { () throws(LibvirtError) in 1 }
        #expect(skipped == nil, "skipped while backing off")
    }
}
