import Foundation
import TestSupport
import Testing

/// A listen address whose host is a name is bound at every address the name resolves to. The
/// exporter runs in a mount namespace of its own whose `/etc/hosts` names `localhost` both
/// `127.0.0.1` and `::1` (this machine's names it `127.0.0.1` only), so that the test does not
/// depend on the host's resolver; a second test takes IPv6 away in a network namespace too.
@Suite(.serialized) struct ListenAddressLiveTests {
    static let unshare = "/usr/bin/unshare"

    /// A hosts file in which `localhost` is `127.0.0.1` and `::1`, in that order or the other.
    private func hostsFile(ipv6First: Bool) throws -> URL {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("virt-exporter-hosts-\(UUID())")
        let lines = ["127.0.0.1 localhost", "::1 localhost ip6-localhost"]
        try ((ipv6First ? lines.reversed() : lines).joined(separator: "\n") + "\n").write(
            to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// Whether this process may make mount and network namespaces (root, or a user namespace).
    private static var canUnshare: Bool {
        (try? Command.run(unshare, ["--mount", "--net", "/bin/true"], timeout: 10).status) == 0
    }

    @Test(arguments: [false, true])
    func localhostListensOnIPv4AndIPv6(ipv6First: Bool) throws {
        try #require(Self.canUnshare, "unshare --mount --net is not allowed here")
        let hosts = try hostsFile(ipv6First: ipv6First)
        defer { try? FileManager.default.removeItem(at: hosts) }
        let exporter = try ExporterProcess(
            ["--libvirt.uri", "test:///default", "--collector.interval", "1m"], listenAddress: "localhost:0",
            launcher: [
                Self.unshare, "--mount", "--propagation", "private", "/bin/sh", "-c",
                #"mount --bind "$0" /etc/hosts && exec "$@""#, hosts.path,
            ])
        #expect(exporter.log.contains("address=[::1]:\(exporter.port)"), "\(exporter.log)")
        let ipv4 = try CurlReply.fetch("http://127.0.0.1:\(exporter.port)/-/healthy")
        let ipv6 = try CurlReply.fetch("http://[::1]:\(exporter.port)/-/healthy", ["-g"])
        #expect(ipv4.status == 200, "\(ipv4.message)")
        #expect(ipv6.status == 200, "\(ipv6.message)")
    }

    /// Where IPv6 is off (as on some CI machines), `localhost` still listens on `127.0.0.1`, and
    /// the log says why `::1` was left out. The exporter and curl run in a network namespace whose
    /// loopback has IPv6 disabled.
    @Test func localhostWithoutIPv6ListensOnIPv4() throws {
        try #require(Self.canUnshare, "unshare --mount --net is not allowed here")
        let hosts = try hostsFile(ipv6First: true)
        defer { try? FileManager.default.removeItem(at: hosts) }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("virt-exporter-noipv6-\(UUID()).log")
        defer { try? FileManager.default.removeItem(at: log) }
        let script = """
            set -u
            mount --bind "$1" /etc/hosts
            ip link set lo up
            sysctl -qw net.ipv6.conf.lo.disable_ipv6=1
            "$2" --libvirt.uri test:///default --collector.interval 1m --web.listen-address localhost:19601 2> "$3" &
            exporter=$!
            for _ in $(seq 100); do grep -q 'listening' "$3" && break; kill -0 $exporter 2>/dev/null || break; sleep 0.1; done
            status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:19601/-/healthy)
            kill $exporter 2>/dev/null; wait $exporter
            echo "status=$status"
            """
        let result = try Command.run(
            Self.unshare,
            [
                "--net", "--mount", "--propagation", "private", "/bin/bash", "-c", script, "bash", hosts.path,
                ExporterProcess.binary.path, log.path,
            ], timeout: 60)
        let exporterLog = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(result.output.contains("status=200"), "\(result.output)\n\(exporterLog)")
        #expect(exporterLog.contains("address=127.0.0.1:19601"), "\(exporterLog)")
        #expect(exporterLog.contains("::1"), "the log names the address left out: \(exporterLog)")
    }
}
