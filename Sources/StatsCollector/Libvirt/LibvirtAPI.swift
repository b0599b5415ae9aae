/// The libvirt calls the exporter makes, as a seam: ``LibvirtLibrary`` makes them on the real C
/// library; tests script them to block, fail or answer late.
///
/// Every method blocks its thread for as long as libvirt takes, so callers run them on the
/// threads of a ``BlockingCallPool``, never on Swift's cooperative pool. Each method is one C
/// function, or the fixed sequence one C function's calling convention needs; none holds logic
/// that could be tested above it.
public protocol LibvirtAPI: Sendable {
    /// The version of the libvirt library, as `major.minor.micro` (`virGetVersion`).
    var libraryVersion: String { get }

    /// Opens `uri` read-only (`virConnectOpenReadOnly`), turns on keepalive
    /// (`virConnectSetKeepAlive`, 5 s interval, 3 missed answers) and watches for the connection
    /// closing (`virConnectRegisterCloseCallback`). The connection closes when the returned object goes.
    func openReadOnly(uri: String) throws(LibvirtError) -> any LibvirtConnection

    /// Opens `uri` read-write (`virConnectOpen`), as ``openReadOnly(uri:)`` otherwise. Only the
    /// guest agent's process does: a read-write connection can change every domain.
    func openReadWrite(uri: String) throws(LibvirtError) -> any LibvirtConnection
}

/// One open libvirt connection. libvirt's connections may be used from several threads at once.
public protocol LibvirtConnection: AnyObject, Sendable, LibvirtNodeCalls, LibvirtGuestCalls {
    /// Whether the connection is still usable: not closed by libvirt and answering keepalive
    /// (`virConnectIsAlive` and the close callback).
    var isAlive: Bool { get }

    /// Every domain's stats for the stats groups `groups` (`virDomainStatsTypes`; 0 for every group
    /// the driver supports) in one `virConnectGetAllDomainStats`, with
    /// `VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT` when `noWait` is set.
    func allDomainStats(groups: UInt32, noWait: Bool) throws(LibvirtError) -> [DomainStats]

    /// The stats of the domains called `names` for the stats groups `groups`, in one
    /// `virDomainListGetStats`, with `VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT` when `noWait` is set.
    /// The connection keeps the handles of these domains alone.
    func domainStats(of names: [String], groups: UInt32, noWait: Bool) throws(LibvirtError) -> [DomainStats]

    /// The names of the domains, running or not, that match `filter` (`virConnectListAllDomains`;
    /// every domain when it is empty): a call that touches no domain's QEMU, which libvirtd serves
    /// on its priority workers.
    func domainNames(filter: DomainListFilter) throws(LibvirtError) -> [String]

    /// The state of the domain's control interface (`virDomainGetControlInfo`), which libvirt
    /// answers without waiting for the domain's job.
    func controlInfo(ofDomain name: String) throws(LibvirtError) -> DomainControlInfo

    /// Whether the domain runs (`virDomainIsActive`).
    func isActive(domain name: String) throws(LibvirtError) -> Bool

    /// The domain's CPU time per host CPU and in total (`virDomainGetCPUStats`, in batches of
    /// the host CPUs the remote protocol allows), with libvirt's parameter names.
    func cpuStats(ofDomain name: String) throws(LibvirtError) -> CPUStats

    /// The domain's active job, or with `completed` its last completed job, read with
    /// `VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED` so that other readers still find it (`virDomainGetJobStats`).
    func jobStats(ofDomain name: String, completed: Bool) throws(LibvirtError) -> JobStats

    /// The most downtime allowed for an outgoing migration, in milliseconds (`virDomainMigrateGetMaxDowntime`).
    func maxDowntime(ofDomain name: String) throws(LibvirtError) -> UInt64

    /// The domain's state and the reason for it, as `virDomainState` and the matching reason enum
    /// (`virDomainGetState`, which libvirt answers from its own records, without the domain's job).
    func state(ofDomain name: String) throws(LibvirtError) -> (state: Int32, reason: Int32)

    /// The domain's basic information (`virDomainGetInfo`).
    func info(ofDomain name: String) throws(LibvirtError) -> DomainInfo

    /// The balloon driver's memory statistics, by libvirt's tag number (`virDomainMemoryStats`).
    func memoryStats(ofDomain name: String) throws(LibvirtError) -> [Int32: UInt64]

    /// The domain's XML description (`virDomainGetXMLDesc`).
    func xmlDescription(ofDomain name: String) throws(LibvirtError) -> String

    /// One disk's counters, those libvirt knows (`virDomainBlockStats`).
    func blockStats(ofDomain name: String, disk: String) throws(LibvirtError) -> [BlockCounter: UInt64]

    /// One interface's counters, those libvirt knows (`virDomainInterfaceStats`).
    func interfaceStats(ofDomain name: String, interface: String) throws(LibvirtError) -> [InterfaceCounter: UInt64]

    /// Subscribes to every domain event kind of ``DomainEvent/Kind`` not subscribed to yet on this
    /// connection (`virConnectDomainEventRegisterAny` once per libvirt event ID), delivered on
    /// libvirt's event-loop thread until the connection closes: a kind is never registered twice,
    /// so calling this again after a failure registers only what is missing. Every missing kind is
    /// tried. A kind the daemon does not support (`VIR_ERR_NO_SUPPORT`, `VIR_ERR_ARGUMENT_UNSUPPORTED`,
    /// `VIR_ERR_INVALID_ARG` for an event ID it does not know) is final: it is returned, and not
    /// tried again. Any other refusal is thrown, the first one, after the others were tried.
    func watchDomainEvents(_ handler: @escaping @Sendable (DomainEvent) -> Void) throws(LibvirtError) -> [LibvirtError]

    /// The name and UUID of every storage pool, active or not (`virConnectListAllStoragePools`,
    /// `virStoragePoolGetName`, `virStoragePoolGetUUIDString`).
    func storagePools() throws(LibvirtError) -> [StoragePoolIdentity]

    /// The state and sizes of the pool called `name` (`virStoragePoolGetInfo`).
    func storagePoolInfo(named name: String) throws(LibvirtError) -> StoragePoolInfo

    /// The XML description of the pool called `name` (`virStoragePoolGetXMLDesc`).
    func storagePoolXMLDescription(named name: String) throws(LibvirtError) -> String
}

/// A storage pool's name and UUID, as `virConnectListAllStoragePools` lists it.
public struct StoragePoolIdentity: Sendable, Hashable {
    /// The pool's name (`virStoragePoolGetName`).
    public var name: String
    /// The pool's UUID in its canonical text form (`virStoragePoolGetUUIDString`).
    public var uuid: String

    /// Creates an identity.
    public init(name: String, uuid: String) {
        self.name = name
        self.uuid = uuid
    }
}

/// `virStoragePoolGetInfo`'s answer (`virStoragePoolInfo`).
public struct StoragePoolInfo: Sendable, Equatable {
    /// `virStoragePoolState`: 0 inactive, 1 building, 2 running, 3 degraded, 4 inaccessible.
    public var state: Int32
    /// Logical size, bytes.
    public var capacity: UInt64
    /// Current allocation, bytes.
    public var allocation: UInt64
    /// Remaining free space, bytes.
    public var available: UInt64

    /// Creates pool info.
    public init(state: Int32, capacity: UInt64, allocation: UInt64, available: UInt64) {
        self.state = state
        self.capacity = capacity
        self.allocation = allocation
        self.available = available
    }
}

/// The state of a domain's control interface (`virDomainControlInfo`).
public struct DomainControlInfo: Sendable, Equatable {
    /// `virDomainControlState`.
    public enum State: Sendable, Equatable {
        /// `VIR_DOMAIN_CONTROL_OK`: ready for commands.
        case ok
        /// `VIR_DOMAIN_CONTROL_JOB`: a background job runs.
        case job
        /// `VIR_DOMAIN_CONTROL_OCCUPIED`: a command is running.
        case occupied
        /// `VIR_DOMAIN_CONTROL_ERROR`: unusable.
        case error
        /// A state newer than this code.
        case other(Int32)
    }

    /// The state.
    public var state: State
    /// How long the interface has been in that state.
    public var stateTime: Duration

    /// Creates a control info.
    public init(state: State, stateTime: Duration) {
        self.state = state
        self.stateTime = stateTime
    }
}

/// `virDomainGetCPUStats`' answer, with libvirt's parameter names (`cpu_time`, `vcpu_time`).
public struct CPUStats: Sendable, Equatable {
    /// The parameters of each host CPU, by CPU number.
    public var perCPU: [[TypedParameter]]
    /// The parameters for all host CPUs together.
    public var total: [TypedParameter]

    /// Creates CPU stats.
    public init(perCPU: [[TypedParameter]], total: [TypedParameter]) {
        self.perCPU = perCPU
        self.total = total
    }
}

/// `virDomainGetJobStats`' answer: the job type and libvirt's parameters (`time_elapsed`, …).
public struct JobStats: Sendable, Equatable {
    /// `virDomainJobType`; 0 is none.
    public var type: Int32
    /// The parameters.
    public var parameters: [TypedParameter]

    /// Creates job stats.
    public init(type: Int32, parameters: [TypedParameter]) {
        self.type = type
        self.parameters = parameters
    }
}

/// `virDomainGetInfo`'s answer.
public struct DomainInfo: Sendable, Equatable {
    /// Maximum memory, KiB.
    public var maximumMemory: UInt64
    /// Current memory, KiB.
    public var memory: UInt64
    /// Virtual CPUs.
    public var virtualCPUs: UInt32
    /// CPU time, nanoseconds.
    public var cpuTime: UInt64

    /// Creates domain info.
    public init(maximumMemory: UInt64, memory: UInt64, virtualCPUs: UInt32, cpuTime: UInt64) {
        self.maximumMemory = maximumMemory
        self.memory = memory
        self.virtualCPUs = virtualCPUs
        self.cpuTime = cpuTime
    }
}

/// The counters of `virDomainBlockStatsStruct`.
public enum BlockCounter: Sendable, Hashable, CaseIterable {
    /// `rd_req`
    case readRequests
    /// `rd_bytes`
    case readBytes
    /// `wr_req`
    case writeRequests
    /// `wr_bytes`
    case writeBytes
    /// `errs`
    case errors
}

/// The counters of `virDomainInterfaceStatsStruct`.
public enum InterfaceCounter: Sendable, Hashable, CaseIterable {
    /// `rx_bytes`
    case receivedBytes
    /// `rx_packets`
    case receivedPackets
    /// `rx_errs`
    case receiveErrors
    /// `rx_drop`
    case receiveDrops
    /// `tx_bytes`
    case transmittedBytes
    /// `tx_packets`
    case transmittedPackets
    /// `tx_errs`
    case transmitErrors
    /// `tx_drop`
    case transmitDrops
}

/// A domain event from libvirt's event loop: the domain's name, and the codes libvirt passed with
/// it. Free text that comes with some events (an I/O error's reason, a device path, a metadata
/// namespace) is not kept.
public struct DomainEvent: Sendable, Equatable {
    /// What happened.
    public enum Kind: Sendable, Equatable {
        /// The domain was defined, started, stopped, suspended, … (`VIR_DOMAIN_EVENT_ID_LIFECYCLE`),
        /// with libvirt's detail code: a value of the event's `virDomainEvent<Event>DetailType`
        /// (for `.suspended`, 2 is `VIR_DOMAIN_EVENT_SUSPENDED_IOERROR`).
        case lifecycle(LifecycleEvent, detail: Int32)
        /// A job finished; its completed stats are ready (`VIR_DOMAIN_EVENT_ID_JOB_COMPLETED`).
        case jobCompleted
        /// A migration began another pass over memory (`VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION`).
        case migrationIteration
        /// A disk I/O error (`VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON`), with the action taken: a
        /// `virDomainEventIOErrorAction` (0 none, 1 pause, 2 report).
        case ioError(action: Int32)
        /// The watchdog device fired (`VIR_DOMAIN_EVENT_ID_WATCHDOG`), with the action taken: a
        /// `virDomainEventWatchdogAction` (0 none, 1 pause, 2 reset, 3 poweroff, 4 shutdown, 5 debug,
        /// 6 inject NMI).
        case watchdog(action: Int32)
        /// A disk was written past the threshold set with `virDomainSetBlockThreshold`
        /// (`VIR_DOMAIN_EVENT_ID_BLOCK_THRESHOLD`).
        case blockThreshold
        /// The guest rebooted (`VIR_DOMAIN_EVENT_ID_REBOOT`).
        case reboot
        /// The domain's metadata changed (`VIR_DOMAIN_EVENT_ID_METADATA_CHANGE`).
        case metadataChanged
        /// A device was added to the domain (`VIR_DOMAIN_EVENT_ID_DEVICE_ADDED`).
        case deviceAdded
        /// A device was removed from the domain (`VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED`).
        case deviceRemoved
    }

    /// `virDomainEventType`: what a lifecycle event says happened.
    public enum LifecycleEvent: Sendable, Hashable {
        /// `VIR_DOMAIN_EVENT_DEFINED`: the configuration was created or changed.
        case defined
        /// `VIR_DOMAIN_EVENT_UNDEFINED`: the configuration was deleted.
        case undefined
        /// `VIR_DOMAIN_EVENT_STARTED`.
        case started
        /// `VIR_DOMAIN_EVENT_SUSPENDED`: paused.
        case suspended
        /// `VIR_DOMAIN_EVENT_RESUMED`.
        case resumed
        /// `VIR_DOMAIN_EVENT_STOPPED`.
        case stopped
        /// `VIR_DOMAIN_EVENT_SHUTDOWN`: the guest is shutting down.
        case shutdown
        /// `VIR_DOMAIN_EVENT_PMSUSPENDED`: suspended by the guest's power management.
        case pmSuspended
        /// `VIR_DOMAIN_EVENT_CRASHED`: the guest crashed.
        case crashed
        /// A code newer than this code.
        case other(Int32)
    }

    /// The domain's name.
    public let domain: String
    /// What happened.
    public let kind: Kind

    /// Creates an event.
    public init(domain: String, kind: Kind) {
        self.domain = domain
        self.kind = kind
    }
}

extension DomainEvent {
    /// Whether the event may change what the domain XML says: its metadata, its devices, or a
    /// new definition or start.
    public var mayChangeDomainXML: Bool {
        switch kind {
        case .metadataChanged, .deviceAdded, .deviceRemoved, .lifecycle(.defined, _), .lifecycle(.started, _): true
        default: false
        }
    }

    /// Whether the domain's last completed job may differ after the event: a job ended, or the
    /// domain started, stopped, was suspended or resumed (a save, a migration).
    public var mayEndJob: Bool {
        switch kind {
        case .jobCompleted, .lifecycle: true
        default: false
        }
    }
}
