public import Atomics
public import PromFormat

/// The result of one collection, rendered once: the exposition text and its gzip form.
/// Immutable, so the HTTP side can serve it from any thread without locks or copies.
public final class MetricsSnapshot: Sendable, AtomicReference {
    /// The exposition text, in format 0.0.4.
    public let text: FrozenBytes
    /// The same text, gzip-compressed; `nil` if compression failed.
    public let gzip: FrozenBytes?

    /// Creates a snapshot from rendered text, compressing it once for every gzip scrape to come.
    public init(text: [UInt8]) {
        self.text = FrozenBytes(text)
        self.gzip = (try? Gzip.compress(text)).map { FrozenBytes($0) }
    }
}

/// Holds the latest snapshot. The collector publishes with an atomic reference swap; HTTP threads
/// read with an atomic load. Neither ever waits for the other.
public final class SnapshotStore: Sendable {
    private let current = ManagedAtomic<MetricsSnapshot?>(nil)

    /// Creates an empty store; ``latest`` is `nil` until the first collection is published.
    public init() {}

    /// The latest snapshot, or `nil` before the first collection has finished.
    public var latest: MetricsSnapshot? {
        current.load(ordering: .acquiring)
    }

    /// Replaces the latest snapshot.
    public func publish(_ snapshot: MetricsSnapshot) {
        current.store(snapshot, ordering: .releasing)
    }
}
