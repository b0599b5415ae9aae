import Testing

@testable import PromFormat

@Suite struct MetricNameTests {
    @Test(arguments: ["a", "_a", "libvirt_up", "a:b", "A9"])
    func acceptsValidMetricNames(name: String) {
        #expect(MetricName.isValidMetricName(name))
    }

    @Test(arguments: ["", "9a", "a-b", "a.b", "a b", "ü"])
    func rejectsInvalidMetricNames(name: String) {
        #expect(!MetricName.isValidMetricName(name))
    }

    @Test(arguments: ["", "a:b", "__reserved", "1x", "a-b"])
    func rejectsInvalidLabelNames(name: String) {
        #expect(!MetricName.isValidLabelName(name))
    }

    @Test func familyRejectsBadNames() {
        #expect(throws: MetricFamilyError.invalidMetricName("bad-name")) {
            try MetricFamily(name: "bad-name", help: "", type: .gauge)
        }
        #expect(throws: MetricFamilyError.invalidLabelName(metric: "m", label: "__x")) {
            try MetricFamily(
                name: "m", help: "", type: .gauge, samples: [Sample(labels: [Label("__x", "")], value: .signed(0))])
        }
    }
}
