import PromFormat
import Testing

@testable import StatsCollector

@Suite struct CatalogTests {
    @Test func namesAndLabelsAreValidAndUnique() {
        var names = Set<String>()
        for descriptor in MetricCatalog.all {
            #expect(MetricName.isValidMetricName(descriptor.metric), "\(descriptor.metric)")
            #expect(descriptor.metric.hasPrefix("libvirt_"), "\(descriptor.metric)")
            #expect(names.insert(descriptor.metric).inserted, "duplicate \(descriptor.metric)")
            #expect(!descriptor.help.isEmpty)
            for label in descriptor.labels {
                #expect(MetricName.isValidLabelName(label), "\(descriptor.metric) label \(label)")
            }
        }
    }

    @Test func namesFollowPrometheusUnitRules() {
        for descriptor in MetricCatalog.all {
            let name = descriptor.metric
            #expect((descriptor.type == .counter) == name.hasSuffix("_total"), "\(name): _total iff counter")
            switch descriptor.conversion {
            case .nanosecondsToSeconds, .millisecondsToSeconds:
                #expect(name.hasSuffix("_seconds") || name.hasSuffix("_seconds_total"), "\(name)")
            case .kibibytesToBytes:
                #expect(name.hasSuffix("_bytes") || name.hasSuffix("_bytes_total"), "\(name)")
            case .none:
                break
            }
            for forbidden in ["_count", "_sum", "_bucket"] {
                #expect(!name.hasSuffix(forbidden), "\(name)")
            }
        }
    }

    @Test func everyFieldSourceIsAPatternOnce() {
        let sources = MetricCatalog.all.map(\.source).filter { $0.contains(".") }
        #expect(Set(sources).count == sources.count)
        #expect(MetricCatalog.byFieldPattern.count == sources.count)
    }

    @Test func patternsTakeOutTheFirstIndex() {
        let pattern = FieldPattern(field: "vcpu.12.halt_exits.sum")
        #expect(pattern.pattern == "vcpu.<n>.halt_exits.sum")
        #expect(pattern.index == "12")
        #expect(FieldPattern(field: "balloon.last-update").index == nil)
        #expect(FieldPattern(field: "block.0.rd.bytes").pattern == "block.<n>.rd.bytes")
    }

    @Test func conversionsKeepIntegersExact() {
        #expect(UnitConversion.kibibytesToBytes.convert(.ullong(131_072)) == .unsigned(134_217_728))
        #expect(UnitConversion.kibibytesToBytes.convert(.ullong(.max)) == .double(Double(UInt64.max) * 1024))
        #expect(UnitConversion.nanosecondsToSeconds.convert(.ullong(4_346_197_000)) == .double(4.346197))
        #expect(UnitConversion.millisecondsToSeconds.convert(.ullong(1500)) == .double(1.5))
        #expect(UnitConversion.none.convert(.boolean(true)) == .unsigned(1))
        #expect(UnitConversion.none.convert(.int(-3)) == .signed(-3))
        #expect(UnitConversion.none.convert(.string("x")) == nil)
    }
}
