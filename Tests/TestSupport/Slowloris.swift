import Glibc
import Synchronization

/// A slowloris attacker for loopback tests: holds `count` connections that each send an unfinished
/// request header one byte per second, and reopens any the server closes, until stopped.
public final class Slowloris: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let reopened = Atomic<Int>(0)
    private let finished = Mutex<Bool>(false)

    /// Connections the server closed and the attacker opened again.
    public var reopenedConnections: Int { reopened.load(ordering: .relaxed) }

    /// Starts attacking 127.0.0.1:`port` with `count` connections from a thread of its own.
    public init(port: UInt16, count: Int) {
        let thread = AttackThread(port: port, count: count, owner: self)
        thread.start()
    }

    /// Stops the attack and closes its connections.
    public func stop() {
        stopped.store(true, ordering: .relaxed)
        while !finished.withLock({ $0 }) { usleep(10_000) }
    }

    fileprivate var isStopped: Bool { stopped.load(ordering: .relaxed) }
    fileprivate func countReopened() { reopened.add(1, ordering: .relaxed) }
    fileprivate func finish() { finished.withLock { $0 = true } }
}

private final class AttackThread: Sendable {
    let port: UInt16
    let count: Int
    let owner: Slowloris

    init(port: UInt16, count: Int, owner: Slowloris) {
        self.port = port
        self.count = count
        self.owner = owner
    }

    func start() {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        pthread_create(
            &thread, nil,
            { context in
                let attack = Unmanaged<AttackThread>.fromOpaque(context!).takeRetainedValue()
                attack.run()
                return nil
            }, context)
        pthread_detach(thread)
    }

    private func run() {
        var sockets = (0..<count).map { _ in RawConnection.connectToLoopback(port: port) }
        var step = 0
        while !owner.isStopped {
            for index in sockets.indices {
                let byte: [UInt8] = step == 0 ? Array("GET /metrics HTTP/1.1\r\nX-a: ".utf8) : [UInt8(ascii: "a")]
                if sockets[index] < 0 || send(sockets[index], byte, byte.count, Int32(MSG_NOSIGNAL)) < 0 {
                    if sockets[index] >= 0 { close(sockets[index]) }
                    sockets[index] = RawConnection.connectToLoopback(port: port)
                    owner.countReopened()
                    if sockets[index] >= 0 {
                        let start = Array("GET /metrics HTTP/1.1\r\nX-a: ".utf8)
                        _ = send(sockets[index], start, start.count, Int32(MSG_NOSIGNAL))
                    }
                }
            }
            step += 1
            for _ in 0..<10 where !owner.isStopped { usleep(100_000) }
        }
        for socket in sockets where socket >= 0 { close(socket) }
        owner.finish()
    }

}
