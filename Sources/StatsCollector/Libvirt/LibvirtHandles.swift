import CLibvirt
import Synchronization

extension LibvirtLibrary {
    /// One reference to a libvirt domain object (`virDomainPtr`), released when this goes.
    ///
    /// `@unchecked Sendable` is safe: libvirt's domain objects are reference-counted and
    /// thread-safe, the pointer never changes, and it is freed only in `deinit`.
    final class DomainHandle: @unchecked Sendable {
        let pointer: OpaquePointer

        /// Takes over a reference the caller owns.
        init(adopting pointer: OpaquePointer) {
            self.pointer = pointer
        }

        /// Takes a reference of its own to `pointer` (`virDomainRef`).
        convenience init(retaining pointer: OpaquePointer?) {
            virDomainRef(pointer)
            self.init(adopting: pointer!)
        }

        deinit {
            virDomainFree(pointer)
        }
    }

    /// One reference to a libvirt storage pool object (`virStoragePoolPtr`), released when this goes.
    ///
    /// `@unchecked Sendable` is safe for the reasons ``DomainHandle`` is: libvirt's pool objects are
    /// reference-counted and thread-safe, the pointer never changes, and it is freed only in `deinit`.
    final class PoolHandle: @unchecked Sendable {
        let pointer: OpaquePointer

        /// Takes over a reference the caller owns.
        init(adopting pointer: OpaquePointer) {
            self.pointer = pointer
        }

        deinit {
            virStoragePoolFree(pointer)
        }
    }
}

/// Remembers that libvirt closed a connection. libvirt calls ``onClose`` on its event-loop thread;
/// collectors read ``isClosed`` on theirs, hence the atomic.
final class CloseWatch: Sendable {
    private let closed = Atomic<Bool>(false)

    var isClosed: Bool { closed.load(ordering: .acquiring) }

    /// The `virConnectCloseFunc`; `opaque` is the connection's `CloseWatch`, unretained.
    static let onClose: virConnectCloseFunc = { _, _, opaque in
        guard let opaque else { return }
        Unmanaged<CloseWatch>.fromOpaque(opaque).takeUnretainedValue().closed.store(true, ordering: .releasing)
    }
}
