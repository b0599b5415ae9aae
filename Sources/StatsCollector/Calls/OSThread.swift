import Foundation

/// Starts OS threads, for work that blocks: libvirt's calls and its event loop.
enum OSThread {
    /// Starts a thread named `name` (shown by `top -H` and debuggers) that runs `body`.
    static func spawn(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.start()
    }
}
