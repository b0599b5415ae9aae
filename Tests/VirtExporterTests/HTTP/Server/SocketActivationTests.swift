import Foundation
import TestSupport
import Testing

/// `--web.systemd-socket`: the binary serves on a listening socket it inherits, as systemd passes
/// it. `systemd-socket-activate` (from the systemd package) plays systemd: it listens, and on the
/// first connection runs the exporter with the socket as descriptor 3 and `LISTEN_FDS`/`LISTEN_PID` set.
@Suite(.serialized) struct SocketActivationTests {
    static let activator = "/usr/bin/systemd-socket-activate"

    @Test func servesOnAnInheritedListeningSocket() throws {
        let port = try freeLoopbackPort()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("virt-exporter-activate-\(UUID())")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.activator)
        process.arguments = [
            "-l", "127.0.0.1:\(port)", ExporterProcess.binary.path, "--web.systemd-socket", "--libvirt.uri",
            "test:///default", "--collector.interval", "1m",
        ]
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        // The first connection starts the exporter; /-/ready answers 200 once it collected.
        var reply: HTTPReply?
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, reply?.status != 200 {
            reply = try? HTTPReply.fetch(port: port, path: "/-/ready")
            if reply?.status != 200 { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(reply?.status == 200)
        #expect(try HTTPReply.fetch(port: port, path: "/metrics").text.contains("libvirt_up 1"))
        let text = try String(contentsOf: log, encoding: .utf8)
        #expect(text.contains("address=127.0.0.1:\(port)"), "\(text)")
        #expect(process.isRunning)
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "SIGTERM stops the activated exporter cleanly")
    }

    @Test func saysWhenNoSocketWasPassed() throws {
        let result = try Command.run(ExporterProcess.binary.path, ["--web.systemd-socket"])
        #expect(result.status == 1)
        #expect(result.output.contains("--web.systemd-socket: no sockets passed by systemd"), "\(result.output)")
    }
}
