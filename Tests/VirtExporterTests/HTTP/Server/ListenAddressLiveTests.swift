import Foundation
import TestSupport
import Testing

/// A listen address whose host is a name is bound at every address the name resolves to. The
/// exporter runs in network and mount namespaces of its own, with a loopback device and an
/// `/etc/hosts` that names `localhost` both `127.0.0.1` and `::1` (this machine's names it
/// `127.0.0.1` only), so that the test depends neither on the host's resolver nor on whether the
/// host's loopback has IPv6; curl asks from inside.
@Suite(.serialized) struct ListenAddressLiveTests {
    static let unshare = "/usr/bin/unshare"

    /// Whether this kernel has IPv6 at all; without it `::1` cannot exist in any namespace.
    static var kernelHasIPv6: Bool { FileManager.default.fileExists(atPath: "/proc/net/if_inet6") }

    /// What curl got from 127.0.0.1 and [::1] with the exporter listening on `localhost:19601` in
    /// fresh namespaces whose hosts file lists `localhost` as `127.0.0.1` and `::1` (IPv6 first if
    /// `ipv6First`), and with IPv6 turned off on the loopback unless `ipv6`; and the exporter's log.
    private func listenOnLocalhost(ipv6: Bool, ipv6First: Bool) throws -> (ipv4: String, ipv6: String, log: String) {
        try #require(
            (try? Command.run(Self.unshare, ["--net", "--mount", "/bin/true"], timeout: 10).status) == 0,
            "unshare --net --mount is not allowed here")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("virt-exporter-listen-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let lines = ["127.0.0.1 localhost", "::1 localhost ip6-localhost"]
        try ((ipv6First ? lines.reversed() : lines).joined(separator: "\n") + "\n").write(
            to: directory.appendingPathComponent("hosts"), atomically: true, encoding: .utf8)
        let script = """
            set -u
            mount --bind "$1/hosts" /etc/hosts
            ip link set lo up
            [ "$3" = on ] || sysctl -qw net.ipv6.conf.lo.disable_ipv6=1
            "$2" --libvirt.uri test:///default --collector.interval 1m --web.listen-address localhost:19601 \
                2> "$1/log" &
            exporter=$!
            for _ in $(seq 100); do grep -q listening "$1/log" && break; kill -0 $exporter 2>/dev/null || break; sleep 0.1; done
            sleep 0.2
            for url in http://127.0.0.1:19601/-/healthy 'http://[::1]:19601/-/healthy'; do
                echo "$url $(curl -gs -o /dev/null -w '%{http_code}' --max-time 5 "$url")"
            done
            kill $exporter 2>/dev/null; wait $exporter
            """
        let result = try Command.run(
            Self.unshare,
            [
                "--net", "--mount", "--propagation", "private", "/bin/bash", "-c", script, "bash", directory.path,
                ExporterProcess.binary.path, ipv6 ? "on" : "off",
            ], timeout: 60)
        func status(_ host: String) -> String {
            result.output.split(separator: "\n").first { $0.contains("//\(host):19601") }?.split(separator: " ").last
                .map(String.init) ?? "none"
        }
        let log = (try? String(contentsOf: directory.appendingPathComponent("log"), encoding: .utf8)) ?? ""
        return (status("127.0.0.1"), status("[::1]"), log)
    }

    @Test(.enabled(if: kernelHasIPv6, "this kernel has no IPv6"), arguments: [false, true])
    func localhostListensOnIPv4AndIPv6(ipv6First: Bool) throws {
        let answers = try listenOnLocalhost(ipv6: true, ipv6First: ipv6First)
        #expect(answers.ipv4 == "200", "\(answers.log)")
        #expect(answers.ipv6 == "200", "\(answers.log)")
        #expect(answers.log.contains("address=127.0.0.1:19601"), "\(answers.log)")
        #expect(answers.log.contains("address=[::1]:19601"), "\(answers.log)")
    }

    /// Where IPv6 is off (as on some CI machines), `localhost` still listens on `127.0.0.1`, and
    /// the log says which address was left out and why.
    @Test func localhostWithoutIPv6ListensOnIPv4() throws {
        let answers = try listenOnLocalhost(ipv6: false, ipv6First: true)
        #expect(answers.ipv4 == "200", "\(answers.log)")
        #expect(answers.ipv6 != "200", "\(answers.log)")
        #expect(answers.log.contains("address=127.0.0.1:19601"), "\(answers.log)")
        #expect(answers.log.contains("not listening on an address of localhost: [::1]"), "\(answers.log)")
    }
}
