import CLibvirt

/// The guest agent's call and the listing of running domains it is made for.
extension LibvirtLibrary.Connection {
    func guestInfo(ofDomain name: String) throws(LibvirtError) -> [TypedParameter] {
        let types =
            VIR_DOMAIN_GUEST_INFO_HOSTNAME.rawValue | VIR_DOMAIN_GUEST_INFO_OS.rawValue
            | VIR_DOMAIN_GUEST_INFO_FILESYSTEM.rawValue
        var parameters: virTypedParameterPtr?
        var count: Int32 = 0
        _ = try withDomain(name) { domain throws(LibvirtError) in
            try call("virDomainGetGuestInfo") { virDomainGetGuestInfo(domain, types, &parameters, &count, 0) }
        }
        defer { virTypedParamsFree(parameters, count) }
        guard let parameters else { return [] }
        return TypedParameters.copy(UnsafeBufferPointer(start: parameters, count: Int(count)))
    }

    func runningDomainNames() throws(LibvirtError) -> [String] {
        try domainNames(filter: .active)
    }
}
