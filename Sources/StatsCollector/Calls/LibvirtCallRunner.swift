public import Logging
import Synchronization

/// Runs libvirt calls on a ``BlockingCallPool`` with a deadline each, and keeps account of the
/// calls that overran it: a count per call for `libvirt_exporter_stuck_calls_total`, and a log line
/// when a call overruns and another when it finally returns. Calls given up before a thread was
/// free (every one held by calls that had not returned) are counted apart, for
/// `libvirt_exporter_unstarted_calls_total`: they never reached libvirt.
public final class LibvirtCallRunner: Sendable {
    /// The pool the calls run on.
    public let pool: BlockingCallPool
    /// How long a caller waits for a call before going on without it.
    public let deadline: Duration
    private let logger: Logger
    private let stuck = Mutex<[String: UInt64]>([:])
    private let unstarted = Mutex<[String: UInt64]>([:])

    /// Creates a runner.
    ///
    /// - Parameters:
    ///   - deadline: how long a caller waits for each call.
    public init(pool: BlockingCallPool, deadline: Duration, logger: Logger) {
        self.pool = pool
        self.deadline = deadline
        self.logger = logger
    }

    /// Calls that overran their deadline so far, by libvirt function.
    public var stuckCalls: [String: UInt64] { stuck.withLock { $0 } }

    /// Calls given up before a thread was free to run them so far, by libvirt function.
    public var unstartedCalls: [String: UInt64] { unstarted.withLock { $0 } }

    /// Runs `body`, the libvirt function `call` (about `domain`, if any), waiting at most `deadline`.
    func run<Value: Sendable>(
        _ call: String, domain: String? = nil, deadline: Duration? = nil,
        _ body: @escaping @Sendable () -> Value
    ) async -> CallOutcome<Value> {
        var metadata: Logger.Metadata = ["call": "\(call)"]
        if let domain { metadata["domain"] = "\(domain)" }
        let started = ContinuousClock.now
        let limit = deadline ?? self.deadline
        let outcome = await pool.run(
            deadline: limit,
            lateReturn: { [logger, metadata] in
                logger.info(
                    "overdue libvirt call returned; its answer is dropped",
                    metadata: metadata.merging(["after": "\(ContinuousClock.now - started)"]) { $1 })
            }, body)
        switch outcome {
        case .finished:
            break
        case .overran:
            stuck.withLock { $0[call, default: 0] += 1 }
            logger.info(
                "libvirt call overran its deadline; going on without it",
                metadata: metadata.merging(["deadline": "\(limit)"]) { $1 })
        case .notStarted:
            unstarted.withLock { $0[call, default: 0] += 1 }
            logger.info(
                "no call thread was free within the deadline; the libvirt call was not made",
                metadata: metadata.merging(["deadline": "\(limit)", "threads": "\(pool.maximumThreads)"]) { $1 })
        }
        return outcome
    }
}
