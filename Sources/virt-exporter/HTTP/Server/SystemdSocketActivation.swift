import Glibc

/// The listening sockets systemd passes to a socket-activated service, read the way
/// `sd_listen_fds(3)` reads them: `LISTEN_PID` must be this process, `LISTEN_FDS` sockets start at
/// descriptor 3. The variables are then removed, so that child processes do not take the sockets
/// for theirs.
enum SystemdSocketActivation {
    /// The first descriptor systemd passes.
    static let firstDescriptor: Int32 = 3

    /// The passed sockets; throws if there are none or one is not a listening TCP socket.
    static func inheritedSockets() throws(ListenSocketError) -> [ListenSocket] {
        let pid = getenv("LISTEN_PID").map { String(cString: $0) }
        let count = getenv("LISTEN_FDS").map { String(cString: $0) }
        unsetenv("LISTEN_PID")
        unsetenv("LISTEN_FDS")
        unsetenv("LISTEN_FDNAMES")
        guard let pid, Int32(pid) == getpid() else {
            throw ListenSocketError(
                description: "--web.systemd-socket: no sockets passed by systemd (LISTEN_PID is "
                    + (pid.map { "\($0), not this process \(getpid())" } ?? "not set") + ")")
        }
        guard let count, let number = Int32(count), number > 0, number <= 64 else {
            throw ListenSocketError(
                description: "--web.systemd-socket: LISTEN_FDS must be a count of sockets from 1 to 64, got "
                    + (count.map { "\"\($0)\"" } ?? "nothing"))
        }
        var sockets: [ListenSocket] = []
        for descriptor in firstDescriptor..<(firstDescriptor + number) {
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            sockets.append(try ListenSocket(inherited: descriptor))
        }
        return sockets
    }
}
