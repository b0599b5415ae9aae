import Foundation
import Synchronization

/// A serial executor that runs every job on one dedicated OS thread.
///
/// libvirt calls block for as long as libvirtd takes to answer; running them on Swift's cooperative
/// pool would starve it. An actor that uses this executor runs all its code on this thread, so the
/// C state it owns is only ever touched from one thread, and libvirt's thread-local last error is
/// read on the same thread as the call that set it.
final class DedicatedThreadExecutor: SerialExecutor {
    private enum Work {
        case job(UnownedJob)
        case stop
    }

    private let pending = Mutex<[Work]>([])
    private let available = DispatchSemaphore(value: 0)

    /// Starts the thread, named `name` for debuggers and `top -H`.
    init(name: String) {
        let thread = Thread { [self] in self.runUntilStopped() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        submit(.job(UnownedJob(job)))
    }

    /// Lets the thread finish the jobs already queued, then exit.
    func stop() {
        submit(.stop)
    }

    private func submit(_ work: Work) {
        pending.withLock { $0.append(work) }
        available.signal()
    }

    private func runUntilStopped() {
        while true {
            available.wait()
            switch pending.withLock({ $0.removeFirst() }) {
            case .job(let job): job.runSynchronously(on: asUnownedSerialExecutor())
            case .stop: return
            }
        }
    }
}
