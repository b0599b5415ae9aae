import PromFormat

/// The guest agent's report as metric families: whether each agent answered, an info series of
/// the guest's identity, and its file systems' sizes. Label values from the guest are cut to
/// ``maximumLabelBytes`` and a domain shows at most ``maximumFilesystems`` file systems, so that a
/// guest cannot swell the output.
enum GuestFamilies {
    /// The most file systems shown per domain.
    static let maximumFilesystems = 32
    /// The longest label value taken from a guest, in bytes.
    static let maximumLabelBytes = 128

    /// The families of `view`.
    static func families(of view: GuestReportView) -> [MetricFamily] {
        var answered = MetricCatalog.guestAgentAnswered.makeFamily()
        var info = MetricCatalog.guestInfo.makeFamily()
        var size = MetricCatalog.guestFilesystemSize.makeFamily()
        var used = MetricCatalog.guestFilesystemUsed.makeFamily()
        var age = MetricCatalog.guestReportAge.makeFamily()
        if let seconds = view.age { age.append(trusted: Sample(labels: [], value: .double(seconds))) }
        for domain in view.domains {
            let name = Label("domain", domain.name)
            answered.append(trusted: Sample(labels: [name], value: .unsigned(domain.fields == nil ? 0 : 1)))
            guard let fields = domain.fields else { continue }
            let byField = Dictionary(fields.map { ($0.field, $0.value) }, uniquingKeysWith: { first, _ in first })
            func text(_ field: String) -> String { cut(byField[field]?.stringValue ?? "") }
            info.append(
                trusted: Sample(
                    labels: [
                        name, Label("hostname", text("hostname")), Label("os_id", text("os.id")),
                        Label("os_version_id", text("os.version-id")),
                        Label("kernel_release", text("os.kernel-release")),
                    ], value: .unsigned(1)))
            let count = byField["fs.count"]?.integerCode ?? 0
            var mountpoints: Set<ExactText> = []
            for index in 0..<min(Int(max(count, 0)), maximumFilesystems) {
                let mountpoint = text("fs.\(index).mountpoint")
                guard !mountpoint.isEmpty, mountpoints.insert(ExactText(mountpoint)).inserted else { continue }
                let labels = [name, Label("mountpoint", mountpoint), Label("fstype", text("fs.\(index).fstype"))]
                if let bytes = byField["fs.\(index).total-bytes"].flatMap(UnitConversion.none.convert) {
                    size.append(trusted: Sample(labels: labels, value: bytes))
                }
                if let bytes = byField["fs.\(index).used-bytes"].flatMap(UnitConversion.none.convert) {
                    used.append(trusted: Sample(labels: labels, value: bytes))
                }
            }
        }
        return [answered, info, size, used, age].filter { !$0.samples.isEmpty }
    }

    /// `value` cut to at most ``maximumLabelBytes`` bytes, at a character boundary.
    private static func cut(_ value: String) -> String {
        guard value.utf8.count > maximumLabelBytes else { return value }
        var result = ""
        for character in value {
            guard result.utf8.count + character.utf8.count <= maximumLabelBytes else { break }
            result.append(character)
        }
        return result
    }
}
