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

    /// Creates a snapshot from the rendered domain series and `trailer`, families rendered and
    /// compressed now and served after them (the self-metrics). The gzip form splices the body's
    /// compressed pieces with the trailer's into one gzip member; nothing of the body is compressed
    /// again. `MetricsSnapshot(body: .empty, trailer: families)` serves the trailer alone.
    ///
    /// The trailer's families must sort after the body's for the whole to be in name order; the
    /// exposition format only asks that each family's lines are together, once.
    public init(body: RenderedBody, trailer: [MetricFamily]) {
        let compressor = Gzip.Compressor(level: StatsPipeline.compressionLevel)
        let pieces = body.pieces + [compressor.piece(TextEncoder.encode(trailer))]
        self.text = FrozenBytes(RenderedBody(pieces: pieces).text)
        self.gzip = Gzip.member(of: pieces).map { FrozenBytes($0) }
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
