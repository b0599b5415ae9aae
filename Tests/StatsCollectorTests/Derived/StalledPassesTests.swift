import Foundation
import PromFormat
import Testing

@testable import StatsCollector

/// `libvirt_domain_job_memory_stalled_passes` when passes last about a poll interval or less: the
/// memory left as read is then no pass's start, QEMU's expected downtime (times its bandwidth) is.
@Suite struct StalledPassesTests {
    private static let web = [Label("domain", "web")]
    private static let bandwidth = 4.2e6

    /// One job read: pass `pass`, `remaining` bytes left now, QEMU's expected downtime (nil: the
    /// guest dirtied nothing yet, so QEMU reports no dirty rate and its initial downtime).
    private struct Read {
        let pass: Double
        let remaining: Double
        let downtime: Double?
    }

    private static func stalledPasses(_ reads: [Read], withDowntime: Bool = true) -> [Double] {
        gauge("libvirt_domain_job_memory_stalled_passes", reads, withDowntime: withDowntime)
    }

    private static func gauge(_ metric: String, _ reads: [Read], withDowntime: Bool = true) -> [Double] {
        var engine = DerivedMetricsEngine()
        return reads.enumerated().map { index, read in
            var families: [String: MetricFamily] = [:]
            let series: [(String, Double)] = [
                ("libvirt_domain_job_memory_remaining_bytes", read.remaining),
                ("libvirt_domain_job_memory_iteration", read.pass),
                ("libvirt_domain_job_memory_bytes_per_second", bandwidth),
                ("libvirt_domain_job_memory_dirty_rate_pages_per_second", read.downtime == nil ? 0 : 800),
                ("libvirt_domain_job_downtime_seconds", withDowntime ? read.downtime ?? 0.3 : 0),
            ]
            for (name, value) in series {
                var family = try! MetricFamily(name: name, help: "h", type: .gauge)
                try! family.append(Sample(labels: web, value: .double(value)))
                families[name] = family
            }
            let derived = engine.derive(from: families, at: Double(index))
            let sample = derived.first { $0.name == metric }?.samples.first
            return sample?.value.doubleValue ?? -1
        }
    }

    /// The reads of a real slow-but-sure migration on the testbed (128 MiB guest dirtying 3.2 MB/s
    /// at 4 MiB/s, 16 passes in 50 s): from pass 7 on the passes last a second or less, and the
    /// first read of pass 4 and of pass 9 came within QEMU's 0.1 s before it updated the downtime.
    private static let slowButSure = [
        Read(pass: 1, remaining: 115.22e6, downtime: nil), Read(pass: 2, remaining: 30.39e6, downtime: 7.77),
        Read(pass: 3, remaining: 21.64e6, downtime: 6.12), Read(pass: 4, remaining: 19.97e6, downtime: 6.12),
        Read(pass: 4, remaining: 15.9e6, downtime: 4.83), Read(pass: 5, remaining: 14.43e6, downtime: 3.81),
        Read(pass: 6, remaining: 9.39e6, downtime: 3.06), Read(pass: 7, remaining: 5.94e6, downtime: 2.4),
        Read(pass: 8, remaining: 4.74e6, downtime: 1.92), Read(pass: 9, remaining: 6.09e6, downtime: 1.92),
        Read(pass: 9, remaining: 1.9e6, downtime: 1.56), Read(pass: 10, remaining: 1.91e6, downtime: 1.26),
        Read(pass: 11, remaining: 0.97e6, downtime: 1.02), Read(pass: 13, remaining: 1.4e6, downtime: 0.72),
        Read(pass: 16, remaining: 1.12e6, downtime: 0.45),
    ]

    @Test func aSlowButSureMigrationWithShortPassesNeverLooksStalled() {
        let counts = Self.stalledPasses(Self.slowButSure)
        #expect(counts.allSatisfy { $0 >= 0 && $0 < 3 }, "\(counts)")
        #expect(counts[3] == 1 && counts[4] == 0, "a stale downtime at a pass's start is replaced: \(counts)")
        #expect(counts.suffix(5).allSatisfy { $0 == 0 }, "every short pass is a new low: \(counts)")
        // Read as the memory left alone, the same migration looked stuck: 5 passes without a new low.
        #expect((Self.stalledPasses(Self.slowButSure, withDowntime: false).max() ?? 0) >= 3)
    }

    @Test func aSlowButSureMigrationConvergesFromPassToPass() {
        let converging = Self.gauge("libvirt_domain_job_converging", Self.slowButSure)
        // -1: none for the first pass seen; the early read of pass 4 (0) and of pass 9 (0), each
        // taken back by the next read of the same pass.
        #expect(converging == [-1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1], "\(converging)")
    }

    /// Passes shorter than a poll, each read once, every other one so early that QEMU still had
    /// the pass before's downtime: each such read costs one pass, which the next read takes back.
    @Test func earlyReadsOfShortPassesCostOnePassAtMost() {
        let downtimes = [1.26, 1.26, 0.86, 0.86, 0.55, 0.55, 0.35, 0.35]
        let reads =
            [Read(pass: 9, remaining: 5e6, downtime: 1.56)]
            + downtimes.enumerated().map { Read(pass: Double(10 + $0), remaining: 0.4e6, downtime: $1) }
        #expect(Self.stalledPasses(reads) == [0, 0, 1, 0, 1, 0, 1, 0, 1])
    }

    @Test func aPlateauStaysAPlateauWithQEMUsDowntime() {
        // Issue 21's plateau: 24 MB at the start of every pass at about 1 MB/s, QEMU expecting 24 s.
        let plateau =
            [Read(pass: 1, remaining: 113e6, downtime: nil)]
            + (2...6).map { Read(pass: Double($0), remaining: 23e6, downtime: 24e6 / Self.bandwidth) }
        #expect(Self.stalledPasses(plateau) == [0, 0, 1, 2, 3, 4])
    }
}
