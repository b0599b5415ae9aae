/// How one kind of call of a collection went: how long it took and whether it failed, for
/// `libvirt_exporter_call_duration_seconds{call}` and `libvirt_exporter_call_success{call}`, in the
/// manner of node_exporter's `node_scrape_collector_duration_seconds{collector}` and
/// `_success{collector}`. Parts that share one libvirt call (the bulk groups) share its timing.
public struct CallTiming: Sendable, Equatable {
    /// The kind of call, as the `call` label of the other self-metrics names it.
    public var call: String
    /// Wall time from its first call's start to its last call's end, seconds.
    public var seconds: Double
    /// Whether none of its calls failed. Calls not made (a domain that another call still waits
    /// for) and failures the driver is expected to give (a call it does not support) do not count.
    public var succeeded: Bool

    /// Times `body` as the kind of call `call`; it succeeded when `body` reported no failure that counts.
    static func measure<Value>(
        _ call: String, isolation: isolated (any Actor)? = #isolation,
        _ body: () async -> (Value, [CollectionError])
    ) async -> (value: Value, errors: [CollectionError], timing: CallTiming) {
        let started = ContinuousClock.now
        let (value, errors) = await body()
        let seconds = (ContinuousClock.now - started).inSeconds
        return (
            value, errors, CallTiming(call: call, seconds: seconds, succeeded: !errors.contains(where: Self.counts))
        )
    }

    /// Whether `error` makes its kind of call unsuccessful.
    static func counts(_ error: CollectionError) -> Bool {
        !error.isSkipped && !error.isExpected
    }
}
