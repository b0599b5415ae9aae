extension LibvirtStatsSource {
    /// Codes with which a driver refuses a filter of `virConnectListAllDomains` it does not know.
    private static let unsupportedFilterCodes: Set<LibvirtError.Code> = [
        .noSupport, .argumentUnsupported, .invalidArgument,
    ]

    /// The listing's filters' view of every domain (``DomainInventory``), read in one call without
    /// monitor; `nil` with the error when it failed or did not answer in time, and the flags are
    /// then absent for this collection. A driver that refuses the filters as unsupported is
    /// counted once, as expected, and not asked again on this connection.
    func readInventory() async -> (DomainInventory?, [CollectionError]) {
        let call = "virConnectListAllDomains"
        let outcome: CallOutcome<Result<DomainInventory, LibvirtError>>
        do {
            outcome = try await callWithoutMonitor(call) { connection throws(LibvirtError) in
                try DomainInventory.read(from: connection)
            }
        } catch {
            return (nil, [error])
        }
        switch outcome {
        case .finished(.success(let inventory)):
            return (inventory, [])
        case .finished(.failure(let error)) where Self.unsupportedFilterCodes.contains(error.code):
            inventoryUnsupported = true
            logger.info(
                "libvirt does not support the listing's filters here; no inventory flags on this connection",
                metadata: ["error": "\(error.message)"])
            var failure = error.collectionError()
            failure.isExpected = true
            return (nil, [failure])
        case .finished(.failure(let error)):
            return (nil, [error.collectionError()])
        case .overran, .notStarted:
            return (
                nil,
                [
                    CollectionError(
                        call: call, reason: CollectionError.deadlineExceeded,
                        message:
                            "the filtered listings (autostart, persistent, managed save) took longer than \(runner.deadline)"
                    )
                ]
            )
        }
    }
}
