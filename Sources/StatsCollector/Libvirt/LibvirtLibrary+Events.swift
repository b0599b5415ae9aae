import CLibvirt
import Glibc
import Synchronization

/// Domain events: the registration of every event ID the exporter watches on a connection.
extension LibvirtLibrary.Connection {
    func watchDomainEvents(_ handler: @escaping @Sendable (DomainEvent) -> Void) throws(LibvirtError)
        -> [LibvirtError]
    {
        // One registration at a time on this connection, so that no event ID is registered twice.
        try registering.withLock {
            (events: inout (settled: Set<Int32>, sink: EventSink?)) throws(LibvirtError) -> [LibvirtError] in
            let sink = events.sink ?? EventSink(handler)
            events.sink = sink
            var firstRefusal: LibvirtError?
            var unsupported: [LibvirtError] = []
            for (event, callback) in EventSink.registrations where !events.settled.contains(event) {
                // Each registration holds one retain; libvirt releases it through EventSink.release
                // when the callback is deregistered or the connection closes.
                let opaque = Unmanaged.passRetained(sink).toOpaque()
                do throws(LibvirtError) {
                    let id = try call("virConnectDomainEventRegisterAny") {
                        virConnectDomainEventRegisterAny(
                            connection, nil, event, callback, opaque, EventSink.release)
                    }
                    eventCallbacks.withLock { $0.append(id) }
                    events.settled.insert(event)
                } catch {
                    Unmanaged<EventSink>.fromOpaque(opaque).release()
                    if Self.unsupportedEventCodes.contains(error.code) {
                        events.settled.insert(event)
                        unsupported.append(error)
                    } else {
                        firstRefusal = firstRefusal ?? error
                    }
                }
            }
            if let firstRefusal { throw firstRefusal }
            return unsupported
        }
    }

    /// Codes with which a daemon refuses an event ID it does not know or support: final.
    private static let unsupportedEventCodes: Set<LibvirtError.Code> = [
        .noSupport, .argumentUnsupported, .invalidArgument,
    ]
}

/// Hands libvirt's domain-event callbacks, which run on its event-loop thread, to a Swift handler.
/// Each registration holds one retain, released by libvirt through ``release``.
final class EventSink: Sendable {
    private let handler: @Sendable (DomainEvent) -> Void

    init(_ handler: @escaping @Sendable (DomainEvent) -> Void) {
        self.handler = handler
    }

    /// Every event ID the exporter registers, with its callback.
    static let registrations: [(Int32, virConnectDomainEventGenericCallback)] = [
        (VIR_DOMAIN_EVENT_ID_LIFECYCLE, unsafeBitCast(lifecycle, to: virConnectDomainEventGenericCallback.self)),
        (VIR_DOMAIN_EVENT_ID_REBOOT, reboot),
        (VIR_DOMAIN_EVENT_ID_WATCHDOG, unsafeBitCast(watchdog, to: virConnectDomainEventGenericCallback.self)),
        (VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON, unsafeBitCast(ioError, to: virConnectDomainEventGenericCallback.self)),
        (
            VIR_DOMAIN_EVENT_ID_BLOCK_THRESHOLD,
            unsafeBitCast(blockThreshold, to: virConnectDomainEventGenericCallback.self)
        ),
        (
            VIR_DOMAIN_EVENT_ID_JOB_COMPLETED,
            unsafeBitCast(jobCompleted, to: virConnectDomainEventGenericCallback.self)
        ),
        (
            VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION,
            unsafeBitCast(migrationIteration, to: virConnectDomainEventGenericCallback.self)
        ),
        (
            VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
            unsafeBitCast(metadataChange, to: virConnectDomainEventGenericCallback.self)
        ),
        (VIR_DOMAIN_EVENT_ID_DEVICE_ADDED, unsafeBitCast(deviceAdded, to: virConnectDomainEventGenericCallback.self)),
        (
            VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED,
            unsafeBitCast(deviceRemoved, to: virConnectDomainEventGenericCallback.self)
        ),
    ].map { (Int32($0.0.rawValue), $0.1) }

    private static func deliver(_ domain: OpaquePointer?, _ kind: DomainEvent.Kind, _ opaque: UnsafeMutableRawPointer?)
    {
        guard let domain, let opaque, let name = virDomainGetName(domain) else { return }
        let sink = Unmanaged<EventSink>.fromOpaque(opaque).takeUnretainedValue()
        sink.handler(DomainEvent(domain: String(cString: name), kind: kind))
    }

    /// `virDomainEventType` as a Swift value.
    private static func lifecycleEvent(_ code: Int32) -> DomainEvent.LifecycleEvent {
        switch UInt32(bitPattern: code) {
        case VIR_DOMAIN_EVENT_DEFINED.rawValue: .defined
        case VIR_DOMAIN_EVENT_UNDEFINED.rawValue: .undefined
        case VIR_DOMAIN_EVENT_STARTED.rawValue: .started
        case VIR_DOMAIN_EVENT_SUSPENDED.rawValue: .suspended
        case VIR_DOMAIN_EVENT_RESUMED.rawValue: .resumed
        case VIR_DOMAIN_EVENT_STOPPED.rawValue: .stopped
        case VIR_DOMAIN_EVENT_SHUTDOWN.rawValue: .shutdown
        case VIR_DOMAIN_EVENT_PMSUSPENDED.rawValue: .pmSuspended
        case VIR_DOMAIN_EVENT_CRASHED.rawValue: .crashed
        default: .other(code)
        }
    }

    /// `virConnectDomainEventCallback`.
    static let lifecycle:
        @convention(c) (OpaquePointer?, OpaquePointer?, Int32, Int32, UnsafeMutableRawPointer?) -> Void = {
            _, domain, event, detail, opaque in
            deliver(domain, .lifecycle(lifecycleEvent(event), detail: detail), opaque)
        }

    /// `virConnectDomainEventGenericCallback`, for `VIR_DOMAIN_EVENT_ID_REBOOT`.
    static let reboot: virConnectDomainEventGenericCallback = { _, domain, opaque in deliver(domain, .reboot, opaque) }

    /// `virConnectDomainEventWatchdogCallback`.
    static let watchdog: @convention(c) (OpaquePointer?, OpaquePointer?, Int32, UnsafeMutableRawPointer?) -> Void = {
        _, domain, action, opaque in deliver(domain, .watchdog(action: action), opaque)
    }

    /// `virConnectDomainEventIOErrorReasonCallback`; the paths and the reason text are not kept.
    static let ioError:
        @convention(c) (
            OpaquePointer?, OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, Int32,
            UnsafePointer<CChar>?, UnsafeMutableRawPointer?
        ) -> Void = { _, domain, _, _, action, _, opaque in deliver(domain, .ioError(action: action), opaque) }

    /// `virConnectDomainEventBlockThresholdCallback`; the device, path and sizes are not kept.
    static let blockThreshold:
        @convention(c) (
            OpaquePointer?, OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UInt64, UInt64,
            UnsafeMutableRawPointer?
        ) -> Void = { _, domain, _, _, _, _, opaque in deliver(domain, .blockThreshold, opaque) }

    /// `virConnectDomainEventJobCompletedCallback`.
    static let jobCompleted:
        @convention(c) (OpaquePointer?, OpaquePointer?, virTypedParameterPtr?, Int32, UnsafeMutableRawPointer?) -> Void =
            {
                _, domain, _, _, opaque in deliver(domain, .jobCompleted, opaque)
            }

    /// `virConnectDomainEventMigrationIterationCallback`.
    static let migrationIteration:
        @convention(c) (OpaquePointer?, OpaquePointer?, Int32, UnsafeMutableRawPointer?) -> Void = {
            _, domain, _, opaque in deliver(domain, .migrationIteration, opaque)
        }

    /// `virConnectDomainEventMetadataChangeCallback`; the namespace is not kept.
    static let metadataChange:
        @convention(c) (OpaquePointer?, OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void =
            { _, domain, _, _, opaque in deliver(domain, .metadataChanged, opaque) }

    /// `virConnectDomainEventDeviceAddedCallback`.
    static let deviceAdded:
        @convention(c) (OpaquePointer?, OpaquePointer?, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
            _, domain, _, opaque in deliver(domain, .deviceAdded, opaque)
        }

    /// `virConnectDomainEventDeviceRemovedCallback`.
    static let deviceRemoved:
        @convention(c) (OpaquePointer?, OpaquePointer?, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
            _, domain, _, opaque in deliver(domain, .deviceRemoved, opaque)
        }

    /// The `virFreeCallback` that balances one registration's retain.
    static let release: virFreeCallback = { opaque in
        guard let opaque else { return }
        Unmanaged<EventSink>.fromOpaque(opaque).release()
    }
}
