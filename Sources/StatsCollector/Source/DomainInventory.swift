import PromFormat

/// Which domains start with libvirtd, have a persistent definition and have a managed save image,
/// read with the listing's own filters: six `virConnectListAllDomains` calls per collection, one
/// per filter and its opposite, whatever the number of domains.
///
/// A domain is reported only from the two opposite listings: a domain in neither (defined or
/// undefined between the calls) gets no value for that flag this collection, never a guessed 0.
struct DomainInventory: Sendable {
    /// One flag: the field it becomes and the filters that list the domains with and without it.
    struct Flag: Sendable {
        let field: String
        let with: DomainListFilter
        let without: DomainListFilter
    }

    /// The flags, in the order their fields are added to a record.
    static let flags = [
        Flag(field: MetricCatalog.InventoryFields.autostart, with: .autostart, without: .noAutostart),
        Flag(field: MetricCatalog.InventoryFields.persistent, with: .persistent, without: .transient),
        Flag(field: MetricCatalog.InventoryFields.managedSave, with: .managedSave, without: .noManagedSave),
    ]

    /// The domains listed with a flag and those listed without it.
    private struct Listing: Sendable {
        let with: Set<ExactText>
        let without: Set<ExactText>
    }

    /// Per flag, in ``flags``' order.
    private let listings: [Listing]

    /// Lists the domains on `connection` with each filter.
    static func read(from connection: any LibvirtConnection) throws(LibvirtError) -> DomainInventory {
        var listings: [Listing] = []
        for flag in flags {
            let listed = try connection.domainNames(filter: flag.with)
            let unlisted = try connection.domainNames(filter: flag.without)
            listings.append(
                Listing(with: Set(listed.map { ExactText($0) }), without: Set(unlisted.map { ExactText($0) })))
        }
        return DomainInventory(listings: listings)
    }

    /// The flag fields of the domain called `name`: 1 or 0 for each flag whose listings name it.
    func parameters(for name: ExactText) -> [TypedParameter] {
        zip(Self.flags, listings).compactMap { flag, listing in
            let value: Int32? =
                listing.with.contains(name) ? 1 : listing.without.contains(name) ? 0 : nil
            return value.map { TypedParameter(field: flag.field, value: .int($0)) }
        }
    }
}
