import CLibvirt
import Foundation

/// libvirt's default event loop, running on a thread of its own for the life of the process.
///
/// Keepalive and the connection-close callback need it. libvirt allows the default implementation
/// to be registered once per process and before the first connection, so this is a process-wide
/// singleton: ``startOnce()`` registers it and starts the thread on first use; later calls do nothing.
enum LibvirtEventLoop {
    private static let started: Bool = {
        CLibvirt_silenceErrorPrinting()
        guard virEventRegisterDefaultImpl() == 0 else { return false }
        let thread = Thread {
            while virEventRunDefaultImpl() == 0 {}
        }
        thread.name = "libvirt-events"
        thread.start()
        return true
    }()

    /// Registers libvirt's default event implementation and starts its thread, once per process.
    ///
    /// - Returns: whether the event loop is running.
    @discardableResult
    static func startOnce() -> Bool {
        started
    }
}
