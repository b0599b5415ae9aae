import Testing

@testable import PromFormat

@Suite struct TextEncoderTests {
    private func text(_ families: [MetricFamily]) -> String {
        String(decoding: TextEncoder.encode(families), as: UTF8.self)
    }

    @Test func encodesHelpTypeAndSamplesSortedByNameAndLabels() throws {
        let counter = try MetricFamily(
            name: "b_total", help: "A counter.", type: .counter,
            samples: [
                Sample(labels: [Label("domain", "web")], value: .unsigned(7)),
                Sample(labels: [Label("domain", "db")], value: .unsigned(3)),
            ])
        let gauge = try MetricFamily(
            name: "a", help: "A gauge.", type: .gauge, samples: [Sample(labels: [], value: .double(0.5))])
        #expect(
            text([counter, gauge]) == """
                # HELP a A gauge.
                # TYPE a gauge
                a 0.5
                # HELP b_total A counter.
                # TYPE b_total counter
                b_total{domain="db"} 3
                b_total{domain="web"} 7

                """)
    }

    @Test func escapesHostileLabelValuesAndHelp() throws {
        let family = try MetricFamily(
            name: "m", help: "back\\slash\nnew \"quote\"", type: .gauge,
            samples: [Sample(labels: [Label("domain", "q\"b\\n\nü😀")], value: .signed(-1))])
        #expect(
            text([family]) == """
                # HELP m back\\\\slash\\nnew "quote"
                # TYPE m gauge
                m{domain="q\\"b\\\\n\\nü😀"} -1

                """)
    }

    @Test(arguments: [
        (SampleValue.double(.infinity), "+Inf"),
        (.double(-.infinity), "-Inf"),
        (.double(.nan), "NaN"),
        (.double(1), "1"),
        (.double(-0.0), "-0"),
        (.double(4.346197), "4.346197"),
        (.double(0.1 + 0.2), "0.30000000000000004"),
        (.double(1e-9), "1e-09"),
        (.double(1e300), "1e+300"),
        (.unsigned(.max), "18446744073709551615"),
        (.signed(.min), "-9223372036854775808"),
        (.signed(0), "0"),
        (.unsigned(1_000_000), "1000000"),
    ])
    func printsValuesAsTheFormatSpellsThem(value: SampleValue, expected: String) throws {
        var buffer: [UInt8] = []
        value.write(into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == expected)
        if case .double(let number) = value, number.isFinite {
            #expect(Double(expected) == number, "must read back to the same value")
        }
    }

    @Test func dropsSamplesWhoseLabelsRepeat() throws {
        let family = try MetricFamily(
            name: "m", help: "h", type: .gauge,
            samples: [
                Sample(labels: [Label("a", "1")], value: .signed(1)),
                Sample(labels: [Label("a", "1")], value: .signed(2)),
            ])
        var buffer: [UInt8] = []
        #expect(TextEncoder.encode([family], into: &buffer) == 1)
        #expect(String(decoding: buffer, as: UTF8.self).hasSuffix("m{a=\"1\"} 1\n"))
    }

    @Test func outputIsIndependentOfInputOrder() throws {
        let samples = (0..<20).map { Sample(labels: [Label("i", String($0))], value: .signed(Int64($0))) }
        let forward = try MetricFamily(name: "m", help: "h", type: .gauge, samples: samples)
        let backward = try MetricFamily(name: "m", help: "h", type: .gauge, samples: samples.reversed())
        #expect(TextEncoder.encode([forward]) == TextEncoder.encode([backward]))
    }
}

/// Label values are told apart by their bytes, as Prometheus tells them apart, not by Unicode
/// canonical equivalence, as Swift's `String` does.
@Suite struct ExactLabelTests {
    static let precomposed = "caf\u{E9}"
    static let decomposed = "cafe\u{301}"

    @Test func valuesThatDifferOnlyInNormalizationAreTwoSeries() throws {
        let family = try MetricFamily(
            name: "a", help: "A gauge.", type: .gauge,
            samples: [
                Sample(labels: [Label("domain", Self.decomposed)], value: .double(2)),
                Sample(labels: [Label("domain", Self.precomposed)], value: .double(1)),
            ])
        var buffer: [UInt8] = []
        #expect(TextEncoder.encode([family], into: &buffer) == 0, "nothing is dropped as a duplicate")
        let lines = String(decoding: buffer, as: UTF8.self).split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(
            lines.map { Array($0.utf8) } == [
                Array("a{domain=\"\(Self.decomposed)\"} 2".utf8), Array("a{domain=\"\(Self.precomposed)\"} 1".utf8),
            ], "both, in byte order (e, 0x65, before \u{E9}, 0xC3 0xA9)")
        #expect(Label("domain", Self.precomposed) != Label("domain", Self.decomposed))
        #expect(Set([Label("domain", Self.precomposed), Label("domain", Self.decomposed)]).count == 2)
    }
}
