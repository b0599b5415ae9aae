import Foundation
import TestSupport
import Testing

extension EndToEnd {
    /// A real domain job on the testbed (a paced `virsh dump`, about 20 s), watched through the
    /// exporter while it runs and after it ended.
    @Suite struct JobTests {
        struct Sample {
            let time: Double
            let type: Double?
            let progress: Double?
            let eta: Double?
            let elapsed: Double?
            let completedType: Double?
            let completedOperation: Double?
        }

        static let jobDomain = "vx-job"

        @Test func aJobIsSeenWhileItRunsAndAfterItCompleted() throws {
            let uri = try #require(Testbed.uri)
            let jobScript = Fixtures.repositoryRoot.appendingPathComponent("scripts/testbed/job.sh").path
            // The job domain must exist before the exporter's first collection.
            try Testbed.run(jobScript, ["--prepare", Self.jobDomain])
            let exporter = try ExporterProcess([
                "--libvirt.uri", uri, "--collector.interval", "10s", "--collector.job-poll-interval", "1s",
            ])
            try exporter.waitUntilReady()
            try Testbed.run(jobScript, [Self.jobDomain, "20"])
            defer { _ = try? Testbed.run(jobScript, ["--wait", Self.jobDomain, "120"]) }

            var samples: [Sample] = []
            let started = Date()
            let domain = ["domain": Self.jobDomain]
            while Date().timeIntervalSince(started) < 60 {
                let exposition = ParsedExposition(try HTTPReply.fetch(port: exporter.port, path: "/metrics").text)
                let sample = Sample(
                    time: Date().timeIntervalSince(started),
                    type: exposition.value("libvirt_domain_job_type", domain),
                    progress: exposition.value("libvirt_domain_job_memory_progress_ratio", domain)
                        ?? exposition.value("libvirt_domain_job_data_progress_ratio", domain),
                    eta: exposition.value("libvirt_domain_job_eta_seconds", domain),
                    elapsed: exposition.value("libvirt_domain_job_elapsed_seconds", domain),
                    completedType: exposition.value("libvirt_domain_completed_job_type", domain),
                    completedOperation: exposition.value("libvirt_domain_completed_job_operation", domain))
                samples.append(sample)
                if sample.type == 0, sample.completedType != nil, samples.contains(where: { $0.type == 2 }) { break }
                Thread.sleep(forTimeInterval: 0.25)
            }

            let running = samples.filter { $0.type == 2 }
            #expect(running.count >= 20, "the job was seen running for a good part of its ~20 s")
            let progress = running.compactMap(\.progress)
            #expect(progress.count >= 10)
            #expect(zip(progress, progress.dropFirst()).allSatisfy { $0 <= $1 }, "progress never goes back")
            #expect((progress.last ?? 0) > (progress.first ?? 1), "progress rises")
            let etas = running.compactMap(\.eta)
            #expect(!etas.isEmpty && etas.allSatisfy { $0.isFinite && $0 >= 0 }, "a finite ETA")

            // The poller's cadence: how often the job's elapsed time changed in the snapshot.
            var changes: [Double] = []
            for (previous, next) in zip(running, running.dropFirst()) where next.elapsed != previous.elapsed {
                changes.append(next.time)
            }
            let gaps = zip(changes, changes.dropFirst()).map { $1 - $0 }.sorted()
            let median = gaps.isEmpty ? .infinity : gaps[gaps.count / 2]
            print(
                "E2E job: \(running.count) running samples, job stats refreshed every \(String(format: "%.2f", median)) s (median), progress \(progress.first ?? 0) → \(progress.last ?? 0), ETA samples \(etas.count)"
            )
            #expect(median <= 1.6, "job stats refresh about every second while the job runs, not every 10 s")

            let last = try #require(samples.last)
            #expect(last.type == 0, "no job after it ended")
            #expect(last.completedType == 3, "the completed job's families appear")
            #expect(last.completedOperation == 8, "a dump")
        }
    }
}
