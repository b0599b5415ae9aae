import PromFormat

/// The compatibility mode with Debian's `prometheus-libvirt-exporter` (kumina's libvirt_exporter
/// 0.2.0): every family and label name it emits is emitted too, with the same meaning, beside
/// everything virt-exporter emits anyway.
///
/// It adds `libvirt_domain_state_code{domain, uuid}` and `libvirt_domains_number`, of the active
/// domains (running, paused, …) as there, and puts `uuid`
/// on each per-domain family that both exporters name (``MetricCatalog/Kumina/domainFamilies``),
/// `source_bridge` on the interface families, and with ``exportsNovaMetadata`` Nova's `name`,
/// `flavor` and `project_name` on all of them. The labels come from the domain's record: its UUID,
/// and the facts of its XML that the source caches (``DomainFacts``), the same fields that label
/// `libvirt_domain_openstack_info` and `libvirt_domain_interface_info`; so this mode makes no
/// libvirt call of its own. A fact the XML does not have is an empty label, as in Debian's exporter.
///
/// It relabels the families after the derived gauges are computed, so those, and every family
/// Debian's exporter does not have, stay exactly as they are without this mode.
public struct KuminaCompatibility: Sendable, Equatable {
    /// Whether Nova's `name`, `flavor` and `project_name` label every per-domain series, as
    /// Debian's `--libvirt.export-nova-metadata` does.
    public var exportsNovaMetadata: Bool

    /// Creates the mode; `exportsNovaMetadata` as Debian's `--libvirt.export-nova-metadata`.
    public init(exportsNovaMetadata: Bool = false) {
        self.exportsNovaMetadata = exportsNovaMetadata
    }

    /// What the layout needs of one domain.
    private struct DomainLabels {
        let uuid: Label
        /// Nova's labels, when they are exported.
        let nova: [Label]
        /// The bridge of each interface, by its target device.
        let bridges: [ExactText: String]
    }

    /// `families` in Debian's layout, plus its two families of `domains` (sorted by name, one
    /// record per name); `libvirt_domains_number` only if `countsDomains`, when `domains` are what
    /// libvirt answered (when libvirt did not, the count is unknown, not 0).
    func apply(to families: [MetricFamily], domains: [DomainStats], countsDomains: Bool) -> [MetricFamily] {
        var byName: [ExactText: DomainLabels] = [:]
        for domain in domains { byName[domain.nameKey] = labels(of: domain) }
        var result = families.map { family in
            MetricCatalog.Kumina.domainFamilies.contains(family.name) ? relabel(family, byName) : family
        }
        var stateCode = MetricCatalog.Kumina.stateCode.makeFamily()
        // Debian's exporter reports the active domains alone (on the testbed, a shut-off domain had
        // no series there and was not counted): so do both families, so that
        // `count(libvirt_domain_state_code)` means what it meant there.
        let active = domains.filter(\.isActive)
        for domain in active {
            guard let state = domain.state, let labels = byName[domain.nameKey] else { continue }
            stateCode.append(
                trusted: Sample(
                    labels: [Label("domain", domain.name), labels.uuid] + labels.nova, value: .signed(state)))
        }
        if !stateCode.samples.isEmpty { result.append(stateCode) }
        if countsDomains {
            var number = MetricCatalog.Kumina.domainsNumber.makeFamily()
            number.append(trusted: Sample(labels: [], value: .unsigned(UInt64(active.count))))
            result.append(number)
        }
        return result
    }

    /// `family` with each series' domain labels after its own.
    private func relabel(_ family: MetricFamily, _ byName: [ExactText: DomainLabels]) -> MetricFamily {
        let isInterface = MetricCatalog.Kumina.interfaceFamilies.contains(family.name)
        var relabelled = family.emptyCopy()
        for var sample in family.samples {
            let domain = sample.labels.first { $0.name == "domain" }?.value ?? ""
            guard let labels = byName[ExactText(domain)] else {
                relabelled.append(trusted: sample)
                continue
            }
            sample.labels.append(labels.uuid)
            if isInterface {
                let target = sample.labels.first { $0.name == "target_device" }?.value ?? ""
                sample.labels.append(Label("source_bridge", labels.bridges[ExactText(target)] ?? ""))
            }
            sample.labels += labels.nova
            relabelled.append(trusted: sample)
        }
        return relabelled
    }

    /// The UUID, Nova's labels and the interfaces' bridges of `domain`, from its record.
    private func labels(of domain: DomainStats) -> DomainLabels {
        var nova: [Label] = []
        if exportsNovaMetadata {
            nova = MetricCatalog.Kumina.novaLabels.map { name, field in
                Label(name, domain.parameters.first { $0.field == field }?.value.stringValue ?? "")
            }
        }
        // `net.<n>.name` and `net.<n>.source_bridge`, paired by `<n>`.
        let bridgePattern = "net.<n>." + MetricCatalog.Kumina.sourceBridgeSuffix
        var names: [Substring: String] = [:]
        var bridges: [Substring: String] = [:]
        for parameter in domain.parameters where parameter.field.hasPrefix("net.") {
            guard let text = parameter.value.stringValue else { continue }
            let field = FieldPattern(field: parameter.field)
            guard let index = field.indices.first else { continue }
            switch field.pattern {
            case MetricCatalog.InterfaceFallback.name: names[index] = text
            case bridgePattern: bridges[index] = text
            default: break
            }
        }
        var bridgesByTarget: [ExactText: String] = [:]
        for (index, target) in names { bridgesByTarget[ExactText(target)] = bridges[index] ?? "" }
        return DomainLabels(uuid: Label("uuid", domain.uuid), nova: nova, bridges: bridgesByTarget)
    }
}

extension MetricFamily {
    /// A family with this one's name, help and type and no samples.
    fileprivate func emptyCopy() -> MetricFamily {
        do {
            return try MetricFamily(name: name, help: help, type: type)
        } catch {
            preconditionFailure("family \(name) was built with a valid name: \(error)")
        }
    }
}
