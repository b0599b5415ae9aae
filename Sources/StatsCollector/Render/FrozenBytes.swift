/// Bytes written once and then only read, at an address that never moves.
///
/// A snapshot's text lives here, so that any number of readers can send it straight from this
/// memory, without copying, for as long as they hold a reference; the memory is freed when the
/// last reference goes.
public final class FrozenBytes: @unchecked Sendable {
    // @unchecked Sendable is safe: `storage` is allocated and filled in `init`, never written
    // afterwards, and freed only in `deinit`, when no other reference can exist.
    private let storage: UnsafeMutableRawBufferPointer

    /// Copies `bytes` into new, immutable storage.
    public init(_ bytes: some Collection<UInt8>) {
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        _ = storage.initializeMemory(as: UInt8.self, fromContentsOf: bytes)
        count = bytes.count
    }

    deinit {
        storage.deallocate()
    }

    /// The number of bytes.
    public let count: Int

    /// The bytes' address, valid for as long as this object is alive.
    public var baseAddress: UnsafeRawPointer {
        UnsafeRawPointer(storage.baseAddress!)
    }

    /// Calls `body` with the bytes.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(rebasing: storage[..<count]))
    }

    /// A copy of the bytes as an array, for tests and tools.
    public var array: [UInt8] {
        withUnsafeBytes { Array($0) }
    }
}
