import Dispatch
import Synchronization

/// How a call run with a deadline ended for its caller.
public enum CallOutcome<Value: Sendable>: Sendable {
    /// The call returned in time.
    case finished(Value)
    /// The deadline passed while the call ran. It may still be running on its thread; what it
    /// returns then is dropped, and the thread goes back to the pool.
    case overran
    /// The deadline passed while the call waited for a thread, every one being busy: it never ran,
    /// and never will, so nothing it would have done or undone happened.
    case notStarted
}

/// A bounded set of OS threads for calls that block, such as libvirt's, each awaited with a deadline.
///
/// A caller waits for its call at most until the deadline, then goes on without it. The call keeps
/// its thread until it returns, so a hung libvirtd or QEMU can hold at most ``maximumThreads``
/// threads; further calls wait for a free thread within their own deadline, and a call whose
/// caller gave up before it got a thread is never started. Threads are started when needed and
/// kept for the life of the pool.
public final class BlockingCallPool: Sendable {
    /// The most threads the pool runs.
    public let maximumThreads: Int
    private let name: String
    private let state = Mutex(State())
    private let overdue = Atomic<Int>(0)
    private let available = DispatchSemaphore(value: 0)

    private struct State {
        var queue: [Work] = []
        var threads = 0
        var idle = 0
    }

    /// One call: queued, then run by a thread, unless its caller gave up first.
    private final class Work: Sendable {
        enum Phase {
            /// Waiting for a thread.
            case queued
            /// Running; its caller still waits.
            case running
            /// Running after its caller gave up.
            case overdue
            /// Given up before a thread took it: never runs.
            case abandoned
            /// Returned.
            case done
        }

        /// Runs the call and keeps its result.
        let body: @Sendable () -> Void
        /// Resumes the caller, if it still waits.
        let wake: @Sendable () -> Void
        /// Runs when the call returns after its caller gave up.
        let lateReturn: @Sendable () -> Void
        let phase = Mutex(Phase.queued)

        init(
            body: @escaping @Sendable () -> Void, wake: @escaping @Sendable () -> Void,
            lateReturn: @escaping @Sendable () -> Void
        ) {
            self.body = body
            self.wake = wake
            self.lateReturn = lateReturn
        }
    }

    /// Creates a pool of at most `maximumThreads` threads, named `name` in `top -H`.
    public init(name: String, maximumThreads: Int) {
        precondition(maximumThreads > 0, "a pool needs a thread")
        self.name = name
        self.maximumThreads = maximumThreads
    }

    /// Threads started so far; at most ``maximumThreads``.
    public var threadCount: Int { state.withLock(\.threads) }

    /// Calls whose deadline passed and that still run.
    public var overdueCalls: Int { overdue.load(ordering: .relaxed) }

    /// Runs `body` on one of the pool's threads, and waits for it until `deadline` from now.
    ///
    /// Cancelling the waiting task counts as the deadline passing. When a call returns after its
    /// deadline, its result is dropped and `lateReturn` runs on its thread. A call still waiting for a
    /// thread at its deadline is given up and never runs: ``CallOutcome/notStarted``.
    public func run<Value: Sendable>(
        deadline: Duration, lateReturn: @escaping @Sendable () -> Void = {},
        _ body: @escaping @Sendable () -> Value
    ) async -> CallOutcome<Value> {
        let slot = ResultSlot<Value>()
        let work = Work(body: { slot.store(body()) }, wake: slot.wake, lateReturn: lateReturn)
        let timer = Task {
            try? await Task.sleep(for: deadline)
            slot.wake()
        }
        await withTaskCancellationHandler {
            await slot.wait(after: { submit(work) })
        } onCancel: {
            slot.wake()
        }
        timer.cancel()
        return work.phase.withLock { phase -> CallOutcome<Value> in
            switch phase {
            case .queued:
                phase = .abandoned
                return .notStarted
            case .running:
                phase = .overdue
                overdue.add(1, ordering: .relaxed)
                return .overran
            case .done:
                // The thread stores the value before it marks the call done.
                guard let value = slot.take() else { preconditionFailure("a returned call has its value") }
                return .finished(value)
            case .overdue, .abandoned:
                preconditionFailure("only this caller gives up on its call")
            }
        }
    }

    private func submit(_ work: Work) {
        let startThread = state.withLock { state -> Bool in
            state.queue.append(work)
            if state.idle > 0 {
                state.idle -= 1
                return false
            }
            guard state.threads < maximumThreads else { return false }
            state.threads += 1
            return true
        }
        if startThread {
            OSThread.spawn(name: name) { [self] in serve() }
        } else {
            available.signal()
        }
    }

    private func serve() {
        while true {
            guard let work = next() else {
                available.wait()
                continue
            }
            work.body()
            let wasOverdue = work.phase.withLock { phase in
                defer { phase = .done }
                if phase == .overdue { overdue.subtract(1, ordering: .relaxed) }
                return phase == .overdue
            }
            if wasOverdue { work.lateReturn() } else { work.wake() }
        }
    }

    /// The next queued call whose caller still waits, marked running; `nil` (and the thread
    /// counted idle) when there is none.
    private func next() -> Work? {
        state.withLock { state in
            while !state.queue.isEmpty {
                let work = state.queue.removeFirst()
                let taken = work.phase.withLock { phase in
                    guard phase == .queued else { return false }
                    phase = .running
                    return true
                }
                if taken { return work }
            }
            state.idle += 1
            return nil
        }
    }
}

/// Where a pool thread leaves a call's result, and how it wakes the caller: the first of the
/// thread, the deadline and cancellation to wake it does, even one that comes before it waits.
private final class ResultSlot<Value: Sendable>: Sendable {
    private enum Waiter {
        case notYet
        case waiting(CheckedContinuation<Void, Never>)
        case woken
    }

    private let value = Mutex<Value?>(nil)
    private let waiter = Mutex(Waiter.notYet)

    func store(_ result: Value) {
        value.withLock { $0 = result }
    }

    func take() -> Value? {
        value.withLock { $0.take() }
    }

    /// Calls `start`, then suspends until ``wake()``.
    func wait(after start: () -> Void) async {
        await withCheckedContinuation { continuation in
            let wokenAlready = waiter.withLock { waiter -> Bool in
                if case .woken = waiter { return true }
                waiter = .waiting(continuation)
                return false
            }
            if wokenAlready { continuation.resume() } else { start() }
        }
    }

    @Sendable func wake() {
        let continuation = waiter.withLock { waiter -> CheckedContinuation<Void, Never>? in
            defer { waiter = .woken }
            if case .waiting(let continuation) = waiter { return continuation }
            return nil
        }
        continuation?.resume()
    }
}
