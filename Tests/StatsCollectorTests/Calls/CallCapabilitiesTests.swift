import Testing

@testable import StatsCollector

@Suite struct CallCapabilitiesTests {
    /// The message libvirtd 9.0 gives on this project's cgroup v2 hosts.
    private static let cgroupV2 = LibvirtError(
        function: "virDomainGetCPUStats", code: .operationUnsupported, origin: 13,
        message: "Operation not supported: operation 'getCpuacctPercpuUsage' not supported for backend 'cgroup V2'")

    @Test func perCPUStatsUnsupportedIsCountedOnceAndTurnedOff() throws {
        var capabilities = CallCapabilities()
        #expect(capabilities.calls.contains(.cpuStats))
        let classified = capabilities.classify(Self.cgroupV2, domain: "web")
        let first = try #require(classified)
        #expect(first.isExpected)
        #expect(first.reason == "operation_unsupported")
        #expect(first.call == "virDomainGetCPUStats")
        #expect(capabilities.perCPUStats == false)
        #expect(!capabilities.calls.contains(.cpuStats))
        let again = capabilities.classify(Self.cgroupV2, domain: "db")
        #expect(again == nil, "counted once, not per domain")
        capabilities.confirm(capabilities.calls)
        #expect(capabilities.perCPUStats == false)
        #expect(capabilities.jobStats == true)
    }

    /// A libvirtd without a CPU accounting controller (the testbed's namespaced hosts) refuses
    /// per-CPU stats as an invalid operation, as it refuses a domain that stopped since it was
    /// listed: an error the first time, the host's condition when the same domain is refused again
    /// in the next collection.
    @Test func perCPUStatsInvalidForTheSameDomainInTwoCollectionsIsTurnedOff() {
        let notMounted = LibvirtError(
            function: "virDomainGetCPUStats", code: .operationInvalid, origin: 10,
            message: "Requested operation is not valid: cgroup CPUACCT controller is not mounted")
        var capabilities = CallCapabilities()
        let first = capabilities.classify(notMounted, domain: "web")
        #expect(first?.isExpected == false, "once, it may be a domain that stopped")
        #expect(capabilities.classify(notMounted, domain: "db")?.isExpected == false)
        capabilities.collectionEnded()
        #expect(capabilities.calls.contains(.cpuStats))
        let again = capabilities.classify(notMounted, domain: "web")
        #expect(again?.isExpected == true, "twice in a row for one domain: the host's")
        #expect(again?.reason == "operation_invalid")
        #expect(capabilities.perCPUStats == false)
        #expect(!capabilities.calls.contains(.cpuStats))

        var other = CallCapabilities()
        _ = other.classify(notMounted, domain: "web")
        other.collectionEnded()
        other.collectionEnded()
        #expect(other.classify(notMounted, domain: "web")?.isExpected == false, "not in a row: a domain that stopped")
        #expect(other.calls.contains(.cpuStats))
    }

    @Test func jobStatsUnsupportedTurnsOffBothJobCalls() {
        var capabilities = CallCapabilities()
        let refused = LibvirtError(
            function: "virDomainGetJobStats", code: .noSupport, origin: 0,
            message: "this function is not supported by the connection driver: virDomainGetJobStats")
        let classified = capabilities.classify(refused, domain: "test")
        #expect(classified?.isExpected == true)
        #expect(capabilities.calls.isDisjoint(with: [.jobStats, .completedJobStats]))
        #expect(capabilities.calls.contains(.cpuStats))
    }

    @Test func expectedStatesAreNotErrors() {
        var capabilities = CallCapabilities()
        let destination = LibvirtError(
            function: "virDomainGetJobStats", code: .operationInvalid, origin: 10,
            message: "Requested operation is not valid: migration statistics are available only on the source host")
        let atDestination = capabilities.classify(destination, domain: "incoming")
        #expect(atDestination == nil)
        let atDestinationNow = LibvirtError(
            function: "virDomainGetJobStats", code: .operationUnsupported, origin: 10,
            message: "Operation not supported: migration statistics are available only on the source host")
        #expect(capabilities.classify(atDestinationNow, domain: "incoming") == nil, "libvirt 9's code for it")
        let translated = LibvirtError(
            function: "virDomainGetJobStats", code: .operationUnsupported, origin: 10,
            message:
                "Opération non supportée : les statistiques de migration sont disponibles uniquement sur l'hôte source")
        #expect(capabilities.classify(translated, domain: "incoming") == nil, "by code, whatever the language")
        let vanished = LibvirtError(function: "virDomainGetCPUStats", code: .noDomain, origin: 10, message: "gone")
        let whenGone = capabilities.classify(vanished, domain: "gone")
        #expect(whenGone == nil)
        #expect(capabilities.jobStats == nil)
        #expect(capabilities.perCPUStats == nil)
    }

    @Test func otherFailuresAreErrorsForTheDomain() throws {
        var capabilities = CallCapabilities()
        let timeout = LibvirtError(
            function: "virDomainGetJobStats", code: .operationTimeout, origin: 10,
            message: "Timed out during operation: cannot acquire state change lock")
        let classified = capabilities.classify(timeout, domain: "stuck")
        let error = try #require(classified)
        #expect(!error.isExpected)
        #expect(error.domain == "stuck")
        #expect(error.reason == "operation_timeout")
        #expect(capabilities.calls.contains(.jobStats), "a timeout does not turn the call off")
    }
}
