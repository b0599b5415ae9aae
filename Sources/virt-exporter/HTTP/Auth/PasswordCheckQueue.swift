import Dispatch
import Synchronization

/// Runs password checks one at a time on a thread of their own, never on the server's: a request
/// whose credentials need bcrypt waits here (its connection suspended) while the server goes on
/// with every other connection, and bcrypt never takes more than one core.
///
/// The queue is bounded, and fair between client addresses: it holds at most
/// ``Limits/perAddress`` waiting checks of one address and ``Limits/total`` in all, and takes the
/// next check from each address with waiting checks in turn; an address whose check runs queues up
/// for its next turn only when that check is done. So a client whose checks fit waits, rather than
/// being refused; one past the bounds is refused at once (the server answers 429); and a flood from
/// one address delays another address's check by at most the check running when it arrives: its
/// own runs next.
final class PasswordCheckQueue: Sendable {
    /// How many checks may wait.
    struct Limits: Sendable {
        /// From one client address.
        var perAddress = 4
        /// In all.
        var total = 32
    }

    /// One waiting check: `run` runs it; `cancel` tells its requester it will not run.
    private struct Work {
        let run: @Sendable () -> Void
        let cancel: @Sendable () -> Void
    }

    private struct State {
        /// Waiting work by client address.
        var waiting: [String: [Work]] = [:]
        /// The addresses with waiting work, in the order their turns come; not the one in service.
        var turns: [String] = []
        /// The address whose check runs: it queues up for its next turn only when that is done, so
        /// that an address that comes meanwhile goes first.
        var inService: String?
        var count = 0
        var closed = false
    }

    let limits: Limits
    private let state = Mutex(State())
    /// One thread of Dispatch's, which runs the checks in order.
    private let worker = DispatchQueue(label: "virt-exporter.password-checks")

    init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Queues `run` for `address`; `false` (and nothing runs) if the queue has no room for it, or
    /// is closed. Once queued, exactly one of `run` and `cancel` is called, on another thread.
    func submit(
        from address: String, run: @escaping @Sendable () -> Void, cancel: @escaping @Sendable () -> Void
    ) -> Bool {
        let queued = state.withLock { state in
            guard !state.closed, state.count < limits.total,
                state.waiting[address, default: []].count < limits.perAddress
            else { return false }
            if state.waiting[address, default: []].isEmpty && state.inService != address { state.turns.append(address) }
            state.waiting[address, default: []].append(Work(run: run, cancel: cancel))
            state.count += 1
            return true
        }
        if queued { worker.async { [self] in runNext() } }
        return queued
    }

    /// Runs the waiting work whose turn it is: each `submit` schedules one of these.
    private func runNext() {
        let next = state.withLock { state -> (address: String, work: Work)? in
            guard !state.turns.isEmpty else { return nil }
            let address = state.turns.removeFirst()
            var queue = state.waiting[address] ?? []
            let work = queue.removeFirst()
            state.count -= 1
            state.waiting[address] = queue.isEmpty ? nil : queue
            state.inService = address
            return (address, work)
        }
        guard let next else { return }
        next.work.run()
        state.withLock { state in
            state.inService = nil
            if state.waiting[next.address] != nil { state.turns.append(next.address) }
        }
    }

    /// Checks waiting now.
    var waitingCount: Int { state.withLock(\.count) }

    /// Takes no more checks, cancels those waiting, and returns once the running one is done.
    func close() {
        let cancelled = state.withLock { state -> [Work] in
            state.closed = true
            let all = state.turns.flatMap { state.waiting[$0] ?? [] }
            state.waiting = [:]
            state.turns = []
            state.count = 0
            return all
        }
        for work in cancelled { work.cancel() }
        worker.sync {}
    }
}
