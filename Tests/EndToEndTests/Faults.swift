import Foundation
import TestSupport

/// Stops processes of the testbed with SIGSTOP, for fault tests, and always continues them: on
/// ``resume()``, when this goes, and, should the test process itself die, from a watchdog process
/// started first that sends SIGCONT after the longest time the fault may last.
final class StoppedProcess {
    let pid: Int32
    private var resumed = false
    private let watchdog: Process

    /// Stops `pid` for at most `seconds` (the watchdog continues it then, whatever happens here).
    init(pid: Int32, atMost seconds: Int) throws {
        self.pid = pid
        watchdog = Process()
        watchdog.executableURL = URL(fileURLWithPath: "/bin/sh")
        watchdog.arguments = ["-c", "sleep \(seconds); kill -CONT \(pid) 2>/dev/null"]
        watchdog.standardOutput = FileHandle.nullDevice
        watchdog.standardError = FileHandle.nullDevice
        try watchdog.run()
        guard kill(pid, SIGSTOP) == 0 else {
            watchdog.terminate()
            throw HTTPTestError("cannot stop process \(pid): errno \(errno)")
        }
    }

    /// Continues the process, and ends the watchdog: left to run, it would continue the process
    /// in the middle of a later fault on it.
    func resume() {
        guard !resumed else { return }
        resumed = true
        kill(pid, SIGCONT)
        watchdog.terminate()
    }

    deinit {
        resume()
    }
}

enum Faults {
    /// The pid of the QEMU process that runs `domain` on the root testbed's libvirtd, from the pid
    /// file that libvirtd writes for it: a namespaced libvirtd host on the same machine (another
    /// test's, or another engineer's) may run a domain of the same name, which a search of the
    /// process list would find as well.
    static func qemuPID(of domain: String) throws -> Int32 {
        try pid(inFile: "/run/libvirt/qemu/\(domain).pid", named: "qemu-system-x86", for: "QEMU of \(domain)")
    }

    /// The pid of the root testbed's libvirtd, from its pid file (not a process search, which
    /// would also find the libvirtd of a namespaced host).
    static func libvirtdPID() throws -> Int32 {
        try pid(inFile: "/run/libvirtd.pid", named: "libvirtd", for: "libvirtd")
    }

    /// The pid written in `path`, checked to be a running process whose name starts with `name`.
    private static func pid(inFile path: String, named name: String, for what: String) throws -> Int32 {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else { throw HTTPTestError("\(what) does not run: no pid in \(path)") }
        let command = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? ""
        guard command.hasPrefix(name) else {
            throw HTTPTestError(
                "\(what) does not run: pid \(pid) from \(path) is \(command.isEmpty ? "gone" : command)")
        }
        return pid
    }

    /// How long `virsh list` takes, from another client, in seconds.
    static func virshListSeconds() throws -> Double {
        let started = Date()
        try Testbed.virsh(["list", "--name"])
        return Date().timeIntervalSince(started)
    }

    /// The most per-domain calls about `domain` that were past their deadline at once, from the
    /// exporter's log lines for calls that overran and for overdue calls that returned.
    static func mostCallsWaiting(for domain: String, in log: String) -> Int {
        var waiting = 0
        var most = 0
        for line in log.split(separator: "\n") where line.contains("domain=\(domain) ") {
            if line.contains("overran its deadline") { waiting += 1 }
            if line.contains("overdue libvirt call returned") { waiting -= 1 }
            most = max(most, waiting)
        }
        return most
    }

    /// A field of `/proc/<pid>/status`, such as `Threads` or `VmRSS` (kB).
    static func procStatus(_ pid: Int32, _ field: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix(field + ":") }
        return line?.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Int($0) }
    }
}

/// One scrape during a fault test: when it was taken, how long it took, and what it said.
struct TimedScrape {
    let time: Double
    let seconds: Double
    let exposition: ParsedExposition

    /// Scrapes `port` every `every` seconds for `duration` seconds from `start`, running `during`
    /// with the time before each scrape.
    static func series(
        port: UInt16, from start: Date, for duration: Double, every: Double = 0.5,
        during: (Double) throws -> Void = { _ in }
    ) throws -> [TimedScrape] {
        var scrapes: [TimedScrape] = []
        while Date().timeIntervalSince(start) < duration {
            try during(Date().timeIntervalSince(start))
            let before = Date()
            guard let reply = try? HTTPReply.fetch(port: port, path: "/metrics") else {
                throw HTTPTestError("the exporter stopped answering \(before.timeIntervalSince(start)) s in")
            }
            scrapes.append(
                TimedScrape(
                    time: before.timeIntervalSince(start), seconds: Date().timeIntervalSince(before),
                    exposition: ParsedExposition(reply.text)))
            Thread.sleep(forTimeInterval: every)
        }
        return scrapes
    }
}

extension Array where Element == TimedScrape {
    /// The longest time between two scrapes that saw `metric{labels}` change value, from `from` to
    /// `to`, counting from `from` to the first change and from the last change to `to`.
    func longestGapBetweenChanges(_ metric: String, _ labels: [String: String], from: Double, to: Double) -> Double {
        var changes: [Double] = [from]
        var previous: Double?
        for scrape in self where scrape.time >= from && scrape.time <= to {
            let value = scrape.exposition.value(metric, labels)
            if let value, value != previous {
                if previous != nil { changes.append(scrape.time) }
                previous = value
            }
        }
        changes.append(to)
        return zip(changes, changes.dropFirst()).map { $1 - $0 }.max() ?? (to - from)
    }
}
