import Testing

@testable import virt_exporter

/// The connection limits and deadlines, driven with a clock the test chooses.
@Suite struct ConnectionTableTests {
    private let limits = ConnectionTable.Limits(
        maxConnections: 3, maxConnectionsPerAddress: 2, headerTimeout: .seconds(5), idleTimeout: .seconds(30))

    @Test func refusesPastTheTotalAndPerAddressLimits() throws {
        let table = ConnectionTable(limits: limits)
        let now = ContinuousClock.now
        let first = try table.open(address: "10.0.0.1", socket: 10, at: now).get()
        _ = try table.open(address: "10.0.0.1", socket: 11, at: now).get()
        #expect(table.open(address: "10.0.0.1", socket: 12, at: now) == .failure(RejectionError(.addressLimit)))
        _ = try table.open(address: "10.0.0.2", socket: 13, at: now).get()
        #expect(table.open(address: "10.0.0.3", socket: 14, at: now) == .failure(RejectionError(.connectionLimit)))
        table.close(first)
        #expect((try? table.open(address: "10.0.0.1", socket: 15, at: now).get()) != nil)
        #expect(table.count == 3)
    }

    @Test func closesAtTheHeaderDeadlineThenAtTheResponseAndIdleDeadlines() throws {
        let table = ConnectionTable(limits: limits)
        let start = ContinuousClock.now
        let slow = try table.open(address: "a", socket: 20, at: start).get()
        let answered = try table.open(address: "b", socket: 21, at: start).get()
        table.headerReceived(answered, at: start + .seconds(1))
        var closed: [Int32] = []
        #expect(table.expired(at: start + .seconds(4)) { closed.append($0) }.isEmpty)
        #expect(table.expired(at: start + .seconds(5)) { closed.append($0) } == [.headerTimeout])
        #expect(closed == [20])
        #expect(table.expired(at: start + .seconds(6)) { closed.append($0) }.isEmpty, "reported once")
        table.close(slow)

        #expect(table.expired(at: start + .seconds(31)) { closed.append($0) } == [.responseTimeout])
        let idle = try table.open(address: "c", socket: 22, at: start).get()
        table.headerReceived(idle, at: start)
        table.responseFinished(idle, at: start + .seconds(2))
        #expect(table.expired(at: start + .seconds(31)) { _ in }.isEmpty)
        #expect(table.expired(at: start + .seconds(32)) { closed.append($0) } == [.headerTimeout])
        #expect(closed == [20, 21, 22])
    }
}
