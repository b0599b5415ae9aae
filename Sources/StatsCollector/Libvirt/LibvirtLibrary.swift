import CLibvirt

/// ``LibvirtAPI`` on the real libvirt C library. The files of this folder are the only ones that
/// import libvirt's C API: they hold every raw pointer, copy what libvirt returns into Swift
/// values, and free libvirt's memory before each method returns.
public struct LibvirtLibrary: LibvirtAPI {
    /// Creates the library's entry point; libvirt's event loop starts on first use.
    public init() {}

    public var libraryVersion: String {
        var version: UInt = 0
        guard virGetVersion(&version, nil, nil) == 0 else { return "unknown" }
        return "\(version / 1_000_000).\(version / 1000 % 1000).\(version % 1000)"
    }

    public func openReadOnly(uri: String) throws(LibvirtError) -> any LibvirtConnection {
        _ = Self.eventLoop
        return try Connection(uri: uri, readOnly: true)
    }

    public func openReadWrite(uri: String) throws(LibvirtError) -> any LibvirtConnection {
        _ = Self.eventLoop
        return try Connection(uri: uri, readOnly: false)
    }

    /// libvirt's default event loop on a thread of its own, for keepalive, the close callback and
    /// domain events. libvirt allows it to be registered once per process, before the first
    /// connection; this lazy global does that once.
    private static let eventLoop: Bool = {
        CLibvirt_silenceErrorPrinting()
        guard virEventRegisterDefaultImpl() == 0 else { return false }
        OSThread.spawn(name: "libvirt-events") {
            while virEventRunDefaultImpl() == 0 {}
        }
        return true
    }()
}
