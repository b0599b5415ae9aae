import Dispatch
import Synchronization
import Testing

@testable import virt_exporter

/// The password check queue: bounded, fair between addresses, and closed with nothing left waiting.
@Suite struct PasswordCheckQueueTests {
    /// Work that records its name when it runs or is cancelled, and can be held until released.
    final class Journal: Sendable {
        private let entries = Mutex<[String]>([])
        let release = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)

        var names: [String] { entries.withLock { $0 } }

        func submit(_ queue: PasswordCheckQueue, _ name: String, from address: String, holding: Bool = false) -> Bool {
            queue.submit(
                from: address,
                run: { [self] in
                    if holding {
                        started.signal()
                        release.wait()
                    }
                    entries.withLock { $0.append(name) }
                    done.signal()
                },
                cancel: { [self] in
                    entries.withLock { $0.append("cancelled \(name)") }
                    done.signal()
                })
        }

        func waitFor(_ count: Int) {
            for _ in 0..<count { _ = done.wait(timeout: .now() + 10) }
        }
    }

    /// The order in which checks run when `first` (name, address) is running while `then` come.
    private func order(first: (String, String), then: [(String, String)]) -> [String] {
        let queue = PasswordCheckQueue()
        let journal = Journal()
        #expect(journal.submit(queue, first.0, from: first.1, holding: true))
        _ = journal.started.wait(timeout: .now() + 10)
        for (name, address) in then { #expect(journal.submit(queue, name, from: address)) }
        journal.release.signal()
        journal.waitFor(then.count + 1)
        return journal.names
    }

    /// While one check runs, four more from its address and then one from another come: the other
    /// address's runs next, before any more of the first's, and then the first's in order.
    @Test func takesAddressesInTurn() {
        let flood = (1...4).map { ("flood-\($0)", "10.0.0.1") }
        let names = order(first: ("flood-0", "10.0.0.1"), then: flood + [("scraper", "10.0.0.2")])
        #expect(names == ["flood-0", "scraper", "flood-1", "flood-2", "flood-3", "flood-4"])
    }

    /// Two addresses with checks waiting take turns, one check each.
    @Test func alternatesBetweenAddressesWithChecksWaiting() {
        let waiting = (1...3).map { ("a\($0)", "a") } + (1...3).map { ("b\($0)", "b") }
        #expect(order(first: ("a0", "a"), then: waiting) == ["a0", "b1", "a1", "b2", "a2", "b3", "a3"])
    }

    /// Past ``PasswordCheckQueue/Limits`` a check is refused at once; below them it waits.
    @Test func refusesChecksPastItsBounds() {
        let queue = PasswordCheckQueue(limits: .init(perAddress: 2, total: 3))
        let journal = Journal()
        #expect(journal.submit(queue, "running", from: "a", holding: true))
        _ = journal.started.wait(timeout: .now() + 10)
        #expect(journal.submit(queue, "a1", from: "a"))
        #expect(journal.submit(queue, "a2", from: "a"))
        #expect(!journal.submit(queue, "a3", from: "a"), "two of one address wait already")
        #expect(journal.submit(queue, "b1", from: "b"))
        #expect(!journal.submit(queue, "c1", from: "c"), "three wait in all")
        #expect(queue.waitingCount == 3)
        journal.release.signal()
        journal.waitFor(4)
        #expect(journal.names.sorted() == ["a1", "a2", "b1", "running"])
    }

    /// Closing cancels what waits, lets the running check finish first, and refuses new ones.
    @Test func closingCancelsTheWaitingAndWaitsForTheRunning() {
        let queue = PasswordCheckQueue()
        let journal = Journal()
        #expect(journal.submit(queue, "running", from: "a", holding: true))
        _ = journal.started.wait(timeout: .now() + 10)
        #expect(journal.submit(queue, "waiting", from: "b"))
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { journal.release.signal() }
        queue.close()
        #expect(journal.names == ["cancelled waiting", "running"])
        #expect(!journal.submit(queue, "late", from: "c"))
    }
}
