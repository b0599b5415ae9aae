/// The `event` and `detail` labels of `libvirt_domain_events_total`: names for libvirt's codes,
/// from `libvirt-domain.h`, so that every label value comes from a bounded set. A code newer than
/// this table is `unknown`; an event without a detail code has the detail `none`.
enum DomainEventLabels {
    /// The label values of one counted event.
    struct Key: Sendable, Hashable {
        /// The `event` label: `started`, `suspended`, `io_error`, `watchdog`, …
        let event: String
        /// The `detail` label: `booted`, `ioerror`, `pause`, …
        let detail: String
    }

    /// The fallback for a code this table does not know.
    static let unknown = "unknown"
    /// The detail of an event that has none.
    static let none = "none"

    /// The labels of `kind`; `nil` for the kinds that are not counted (job and migration progress,
    /// metadata and device changes, which other consumers of the events act on).
    static func key(of kind: DomainEvent.Kind) -> Key? {
        switch kind {
        case .lifecycle(let event, let detail):
            let (name, details) = lifecycle(event)
            return Key(event: name, detail: details[detail] ?? unknown)
        case .ioError(let action):
            return Key(event: "io_error", detail: ioErrorActions[action] ?? unknown)
        case .watchdog(let action):
            return Key(event: "watchdog", detail: watchdogActions[action] ?? unknown)
        case .blockThreshold:
            return Key(event: "block_threshold", detail: none)
        case .reboot:
            return Key(event: "reboot", detail: none)
        case .jobCompleted, .migrationIteration, .metadataChanged, .deviceAdded, .deviceRemoved:
            return nil
        }
    }

    /// The event's name and the names of its `virDomainEvent<Event>DetailType` codes.
    private static func lifecycle(_ event: DomainEvent.LifecycleEvent) -> (String, [Int32: String]) {
        switch event {
        case .defined: ("defined", [0: "added", 1: "updated", 2: "renamed", 3: "from_snapshot"])
        case .undefined: ("undefined", [0: "removed", 1: "renamed"])
        case .started:
            ("started", [0: "booted", 1: "migrated", 2: "restored", 3: "from_snapshot", 4: "wakeup"])
        case .suspended:
            (
                "suspended",
                [
                    0: "paused", 1: "migrated", 2: "ioerror", 3: "watchdog", 4: "restored", 5: "from_snapshot",
                    6: "api_error", 7: "postcopy", 8: "postcopy_failed",
                ]
            )
        case .resumed:
            ("resumed", [0: "unpaused", 1: "migrated", 2: "from_snapshot", 3: "postcopy", 4: "postcopy_failed"])
        case .stopped:
            (
                "stopped",
                [
                    0: "shutdown", 1: "destroyed", 2: "crashed", 3: "migrated", 4: "saved", 5: "failed",
                    6: "from_snapshot",
                ]
            )
        case .shutdown: ("shutdown", [0: "finished", 1: "guest", 2: "host"])
        case .pmSuspended: ("pmsuspended", [0: "memory", 1: "disk"])
        case .crashed: ("crashed", [0: "panicked", 1: "crashloaded"])
        case .other: (unknown, [:])
        }
    }

    /// `virDomainEventIOErrorAction`.
    private static let ioErrorActions: [Int32: String] = [0: "none", 1: "pause", 2: "report"]

    /// `virDomainEventWatchdogAction`.
    private static let watchdogActions: [Int32: String] = [
        0: "none", 1: "pause", 2: "reset", 3: "poweroff", 4: "shutdown", 5: "debug", 6: "inject_nmi",
    ]
}
