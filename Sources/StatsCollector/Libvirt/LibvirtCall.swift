import CLibvirt

/// Runs one libvirt call that signals failure with a negative result, and turns a failure into a
/// ``LibvirtError`` read on this thread right after the call.
@discardableResult
func call(_ function: String, _ body: () -> Int32) throws(LibvirtError) -> Int32 {
    virResetLastError()
    let result = body()
    guard result >= 0 else { throw lastError(function) }
    return result
}

/// Runs one libvirt call that signals failure with a null pointer; see ``call(_:_:)-(_,()->Int32)``.
func call<Pointer>(_ function: String, _ body: () -> Pointer?) throws(LibvirtError) -> Pointer {
    virResetLastError()
    guard let result = body() else { throw lastError(function) }
    return result
}

private func lastError(_ function: String) -> LibvirtError {
    guard let error = virGetLastError()?.pointee else {
        return LibvirtError(
            function: function, code: .internalError, origin: 0, message: "failed without an error message")
    }
    return LibvirtError(
        function: function, code: LibvirtError.Code(rawValue: error.code), origin: error.domain,
        message: error.message.map { String(cString: $0) } ?? "no message")
}
