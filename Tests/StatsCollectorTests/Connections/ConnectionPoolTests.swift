import Dispatch
import Synchronization
import Testing

@testable import StatsCollector

/// The pool's generations: a new one only when a connection is opened first or after one died,
/// never because borrowers crossed.
@Suite struct ConnectionPoolTests {
    /// The connections a library opened, in order.
    private final class Opened: Sendable {
        let connections = Mutex<[ScriptedConnection]>([])
        subscript(index: Int) -> ScriptedConnection { connections.withLock { $0[index] } }
    }

    /// A library whose every open gives a new connection; the first one's liveness check holds its
    /// caller at `hold` while `armed` is set.
    private static func library(armed: Flag, entered: Latch, hold: Latch) -> (ScriptedLibvirt, Opened) {
        let opened = Opened()
        let api = ScriptedLibvirt(onOpen: { () throws(LibvirtError) in
            let isFirst = opened.connections.withLock { $0.isEmpty }
            let connection = ScriptedConnection(
                onBulkStats: { _, _ in [] },
                onAliveCheck: {
                    guard isFirst, armed.isSet else { return }
                    armed.set(false)
                    entered.open()
                    hold.wait()
                })
            opened.connections.withLock { $0.append(connection) }
            return connection
        })
        return (api, opened)
    }

    /// Runs `body` on a thread of its own; the latch opens when it returned.
    private static func onThread(_ body: @escaping @Sendable () -> Void) -> Latch {
        let done = Latch()
        DispatchQueue.global().async {
            body()
            done.open()
        }
        return done
    }

    @Test func aBorrowerThatFindsTheOnlyConnectionTakenStartsNoNewGeneration() async throws {
        let armed = Flag()
        let (entered, hold) = (Latch(), Latch())
        defer { hold.open() }
        let (api, _) = Self.library(armed: armed, entered: entered, hold: hold)
        let pool = ConnectionPool(uri: "scripted:///", api: api, maximumConnections: 4)
        try pool.withConnection { _ in }
        #expect(pool.generation == 1)

        armed.set(true)
        let first = Self.onThread { _ = try? pool.withConnection { _ in } }
        #expect(await eventually { entered.isOpened }, "the first borrower checks the idle connection")
        let second = Self.onThread { _ = try? pool.withConnection { _ in } }
        #expect(await eventually { second.isOpened })
        hold.open()
        #expect(await eventually { first.isOpened })

        #expect(api.opens == 2, "the second borrower opened a connection of its own")
        #expect(pool.generation == 1, "the daemon was never left: what it supports need not be learned again")
    }

    @Test func aConnectionFoundDeadStartsANewGenerationEvenWhileAnotherIsLent() async throws {
        let (api, opened) = Self.library(armed: Flag(), entered: Latch(), hold: Latch())
        let pool = ConnectionPool(uri: "scripted:///", api: api, maximumConnections: 4)
        let (inCall, release) = (Latch(), Latch())
        defer { release.open() }
        let hung = Self.onThread {
            _ = try? pool.withConnection { _ in
                inCall.open()
                release.wait()
            }
        }
        #expect(await eventually { inCall.isOpened })
        try pool.withConnection { _ in }
        #expect(pool.generation == 1, "a second connection beside a lent one is the same daemon")

        opened[1].close()
        try pool.withConnection { _ in }
        #expect(pool.generation == 2, "a dead idle connection means the daemon went: learn it again")

        try pool.withConnection { _ in opened[2].close() }
        #expect(pool.generation == 2)
        try pool.withConnection { _ in }
        #expect(pool.generation == 3, "a connection that died during its call is found dead at its return")
        #expect(api.opens == 4)
        release.open()
        #expect(await eventually { hung.isOpened })
    }
}
