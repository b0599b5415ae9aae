import PromFormat
import Testing

@testable import StatsCollector

@Suite struct CatalogTests {
    @Test func everyFallbackFieldIsACatalogRowOrLabelSource() {
        for pattern in MetricCatalog.fallbackPatterns {
            #expect(
                MetricCatalog.byFieldPattern[pattern] != nil || MetricCatalog.labelSourcePatterns.contains(pattern),
                "\(pattern), read by a per-domain fallback call, maps to nothing")
        }
        #expect(MetricCatalog.field(MetricCatalog.BlockFallback.name, index: 3) == "block.3.name")
    }

    @Test func namesAndLabelsAreValidAndUnique() {
        var names = Set<String>()
        for descriptor in MetricCatalog.all {
            let concreteName = descriptor.metric.replacing("<name>", with: "x")
            #expect(MetricName.isValidMetricName(concreteName), "\(descriptor.metric)")
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
            case .mebibytesToBytes:
                #expect(name.hasSuffix("_bytes_per_second"), "\(name)")
            case .percentToRatio:
                #expect(name.hasSuffix("_ratio"), "\(name)")
            case .none:
                break
            }
            for forbidden in ["_count", "_sum", "_bucket"] {
                #expect(!name.hasSuffix(forbidden), "\(name)")
            }
        }
    }

    @Test func everyValueRowHasItsOwnSource() {
        let rowsBySource = Dictionary(grouping: MetricCatalog.valueRows, by: \.source)
        let shared = rowsBySource.filter { $0.value.count > 1 }.sorted { $0.key < $1.key }.map { source, rows in
            "\(source): \(rows.map(\.metric).joined(separator: ", "))"
        }
        #expect(shared.isEmpty, "rows sharing a source: \(shared.joined(separator: "; "))")
    }

    @Test func kvmStatisticsAreMappedByRule() throws {
        let sum = try #require(MetricCatalog.descriptor(forPattern: "vcpu.<n>.halt_wait_ns.sum"))
        #expect(sum.metric == "libvirt_domain_vcpu_kvm_halt_wait_seconds_total")
        #expect(sum.type == .counter)
        #expect(sum.conversion == .nanosecondsToSeconds)
        #expect(sum.labels == ["domain", "vcpu"])
        let current = try #require(MetricCatalog.descriptor(forPattern: "vm.pages_4k.cur"))
        #expect(current.metric == "libvirt_domain_kvm_pages_4k")
        #expect(current.type == .gauge)
        #expect(current.conversion == .none)
        #expect(
            MetricCatalog.descriptor(forPattern: "vm.max_mmu_rmap_size.max")?.metric
                == "libvirt_domain_kvm_max_mmu_rmap_size_max")
        #expect(MetricCatalog.descriptor(forPattern: "vm.odd-name.sum") == nil)
        #expect(MetricCatalog.descriptor(forPattern: "vm.hist.bucket") == nil)
        #expect(
            MetricCatalog.descriptor(forPattern: "vcpu.<n>.time")?.metric == "libvirt_domain_vcpu_time_seconds_total")
    }

    @Test func everyTemplateAndApiIsDocumented() {
        #expect(MetricCatalog.all.contains { $0.isTemplate && $0.source == "vm.<name>.sum" })
        #expect(MetricCatalog.byFieldPattern["cpustats.<n>.cpu_time"]?.api == "virDomainGetCPUStats")
        #expect(MetricCatalog.byFieldPattern["job.memory_remaining"]?.api == "virDomainGetJobStats")
        #expect(MetricCatalog.byFieldPattern["completedjob.downtime"]?.api == "virDomainGetJobStats(COMPLETED)")
        #expect(MetricCatalog.byFieldPattern["block.<n>.rd.bytes"]?.api == "virConnectGetAllDomainStats")
    }

    @Test func patternsTakeOutEveryIndex() {
        let pattern = FieldPattern(field: "vcpu.12.halt_exits.sum")
        #expect(pattern.pattern == "vcpu.<n>.halt_exits.sum")
        #expect(pattern.indices == ["12"])
        #expect(FieldPattern(field: "balloon.last-update").indices.isEmpty)
        let nested = FieldPattern(field: "memory.bandwidth.monitor.0.node.1.bytes.local")
        #expect(nested.pattern == "memory.bandwidth.monitor.<n>.node.<n>.bytes.local")
        #expect(nested.indices == ["0", "1"])
        #expect(
            FieldPattern.fill("memory.bandwidth.monitor.<n>.node.<n>.id", with: nested.indices)
                == "memory.bandwidth.monitor.0.node.1.id")
        #expect(FieldPattern.fill("block.<n>.name", with: []) == nil)
    }

    @Test func conversionsKeepIntegersExact() {
        #expect(UnitConversion.kibibytesToBytes.convert(.ullong(131_072)) == .unsigned(134_217_728))
        #expect(UnitConversion.kibibytesToBytes.convert(.ullong(.max)) == .double(Double(UInt64.max) * 1024))
        #expect(UnitConversion.nanosecondsToSeconds.convert(.ullong(4_346_197_000)) == .double(4.346197))
        #expect(UnitConversion.millisecondsToSeconds.convert(.ullong(1500)) == .double(1.5))
        #expect(UnitConversion.none.convert(.boolean(true)) == .unsigned(1))
        #expect(UnitConversion.none.convert(.int(-3)) == .signed(-3))
        #expect(UnitConversion.none.convert(.string("x")) == nil)
        #expect(UnitConversion.mebibytesToBytes.convert(.llong(3)) == .signed(3_145_728))
        #expect(UnitConversion.percentToRatio.convert(.int(25)) == .double(0.25))
    }
}

/// KVM's statistics are named by rule, from names KVM chooses: no two fields may give one metric.
@Suite struct KVMStatRuleTests {
    /// Every name of up to three words from words that KVM's names have, and words that mean
    /// something to the rules (a unit, a kind, a Prometheus suffix), with each kind, under each rule.
    private static var fields: [String] {
        let words = ["halt", "wait", "ns", "sum", "cur", "max", "total", "seconds", "count", "peak"]
        var names = words
        for _ in 0..<2 { names += names.flatMap { name in words.map { "\(name)_\($0)" } } }
        let kinds = ["sum", "cur", "max"]
        return KVMStatRule.all.flatMap { rule in
            Set(names).flatMap { name in
                kinds.map { kind in rule.prefix.replacing("<n>", with: "0") + "\(name).\(kind)" }
            }
        }
    }

    @Test func noTwoFieldsGiveOneMetric() {
        var sources: [String: String] = [:]
        for row in MetricCatalog.valueRows { sources[row.metric] = row.source }
        for field in Self.fields {
            guard let descriptor = MetricCatalog.descriptor(forPattern: FieldPattern(field: field).pattern) else {
                continue
            }
            if let other = sources[descriptor.metric], other != descriptor.source {
                Issue.record("\(field) and \(other) both give \(descriptor.metric)")
            }
            sources[descriptor.metric] = descriptor.source
        }
    }

    @Test func theStatisticsOfThisKernelAreMapped() {
        for field in [
            "vm.max_mmu_page_hash_collisions.max", "vm.pages_4k.cur", "vm.remote_tlb_flush.sum",
            "vcpu.0.halt_poll_success_ns.sum", "vcpu.0.blocking.cur", "vcpu.0.exits.sum",
        ] {
            #expect(MetricCatalog.descriptor(forPattern: FieldPattern(field: field).pattern) != nil, "\(field)")
        }
    }
}
