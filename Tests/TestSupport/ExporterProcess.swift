public import Foundation

/// The built `virt-exporter` binary, run as a child process for live tests.
public final class ExporterProcess {
    /// The binary: `$VIRT_EXPORTER_BINARY`, else `virt-exporter` beside the test bundle.
    public static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["VIRT_EXPORTER_BINARY"] {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("virt-exporter")
    }

    private let process = Process()
    private let stderrPipe = Pipe()
    private let stderrText = LockedText()

    /// The port it listens on, read from its "listening" log line.
    public private(set) var port: UInt16 = 0

    /// Its process id.
    public var pid: Int32 { process.processIdentifier }

    /// Its resident memory now, in bytes, from `/proc/<pid>/status`.
    public var residentBytes: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kilobytes * 1024
    }

    /// Whether it still runs.
    public var isRunning: Bool { process.isRunning }

    /// Everything it wrote to standard error so far.
    public var log: String { stderrText.value }

    /// Starts the binary with `arguments` (a loopback port-0 listen address is added), with
    /// `environment` added to the test's, and waits up to 15 s for it to log the address it listens on.
    public init(_ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = Self.binary
        process.arguments = ["--web.listen-address", "127.0.0.1:0"] + arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardError = stderrPipe
        process.standardOutput = FileHandle.nullDevice
        let sink = stderrText
        stderrPipe.fileHandleForReading.readabilityHandler = { handle in
            sink.append(String(decoding: handle.availableData, as: UTF8.self))
        }
        try process.run()
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if let range = log.range(of: #"address=127\.0\.0\.1:(\d+)"#, options: .regularExpression),
                let port = UInt16(log[range].split(separator: ":").last!)
            {
                self.port = port
                return
            }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.terminate()
        throw HTTPTestError("virt-exporter did not start listening; its log:\n\(log)")
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// Polls `/-/ready` until it answers 200, for up to `seconds`.
    public func waitUntilReady(seconds: Double = 15) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let reply = try? HTTPReply.fetch(port: port, path: "/-/ready"), reply.status == 200 { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw HTTPTestError("virt-exporter never became ready; its log:\n\(log)")
    }

    /// Scrapes `/metrics` every `period` seconds until `condition` holds of the exposition, for up
    /// to `seconds`; returns the last exposition and the seconds it took.
    public func scrape(
        every period: Double = 0.5, for seconds: Double = 30, until condition: (ParsedExposition) -> Bool
    ) throws -> (exposition: ParsedExposition, seconds: Double) {
        let started = Date()
        var exposition = ParsedExposition("")
        while Date().timeIntervalSince(started) < seconds {
            exposition = ParsedExposition(try HTTPReply.fetch(port: port, path: "/metrics").text)
            if condition(exposition) { break }
            Thread.sleep(forTimeInterval: period)
        }
        return (exposition, Date().timeIntervalSince(started))
    }

    /// Sends SIGTERM and returns the exit status.
    public func terminate() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// Runs a command to completion, for tools such as `promtool` and for one-shot runs of the binary.
public enum Command {
    /// Runs `executable` with `arguments` and `input` on standard input; returns the exit status and
    /// the combined standard output and error. A command still running after `timeout` seconds is
    /// sent SIGTERM, so that a program that should have refused to start, but serves instead,
    /// fails its test (by its status or output) rather than hanging it.
    ///
    /// The output goes through a file, not a pipe: a command that leaves a process running in the
    /// background (a testbed job) may hand it the output descriptor, and a pipe would then not end
    /// until that process does.
    public static func run(
        _ executable: String, _ arguments: [String], input: [UInt8] = [], timeout: Double = 600
    ) throws -> (status: Int32, output: String) {
        let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent(
            "virt-exporter-command-\(UUID())")
        guard FileManager.default.createFile(atPath: outputFile.path, contents: nil) else {
            throw HTTPTestError("cannot create \(outputFile.path)")
        }
        defer { try? FileManager.default.removeItem(at: outputFile) }
        let output = try FileHandle(forWritingTo: outputFile)
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdin = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = stdin
        try process.run()
        stdin.fileHandleForWriting.write(Data(input))
        try stdin.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOf: outputFile, encoding: .utf8))
    }
}

/// Text appended from a pipe's reader thread and read from the test's thread.
private final class LockedText: @unchecked Sendable {
    // @unchecked Sendable is safe: every access to `text` holds `lock`.
    private let lock = NSLock()
    private var text = ""

    func append(_ more: String) { lock.withLock { text += more } }
    var value: String { lock.withLock { text } }
}
