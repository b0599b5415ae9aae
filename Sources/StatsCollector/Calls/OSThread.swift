import Glibc

/// Starts OS threads, for work that blocks: libvirt's calls and its event loop.
enum OSThread {
    /// Starts a detached POSIX thread named `name` (shown by `top -H` and debuggers; Linux keeps
    /// the first 15 bytes) that runs `body`.
    ///
    /// The name is written to `/proc/thread-self/comm`, what `pthread_setname_np` does, which Swift
    /// cannot see in glibc's headers without `_GNU_SOURCE`.
    static func spawn(name: String, _ body: @escaping @Sendable () -> Void) {
        let start = Unmanaged.passRetained(Start(name: name, body: body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let result = pthread_create(
            &thread, &attributes,
            { argument in
                let start = Unmanaged<Start>.fromOpaque(argument!).takeRetainedValue()
                OSThread.setCurrentName(start.name)
                start.body()
                return nil
            }, start)
        // Only a lack of resources fails here; a process that cannot start threads cannot work.
        precondition(result == 0, "pthread_create failed: \(String(cString: strerror(result)))")
    }

    private static func setCurrentName(_ name: String) {
        let descriptor = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }  // no /proc: the thread keeps the process's name
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
    }

    /// What a new thread runs, handed to it through `pthread_create`'s argument.
    private final class Start: Sendable {
        let name: String
        let body: @Sendable () -> Void

        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }
}
