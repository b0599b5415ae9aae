import CLibvirt
import Glibc

/// The guest agent's call and the listing of running domains it is made for.
extension LibvirtLibrary.Connection {
    func guestInfo(ofDomain name: String) throws(LibvirtError) -> [TypedParameter] {
        let types =
            VIR_DOMAIN_GUEST_INFO_HOSTNAME.rawValue | VIR_DOMAIN_GUEST_INFO_OS.rawValue
            | VIR_DOMAIN_GUEST_INFO_FILESYSTEM.rawValue
        var parameters: virTypedParameterPtr?
        var count: Int32 = 0
        try withDomain(name) { domain throws(LibvirtError) in
            try call("virDomainGetGuestInfo") { virDomainGetGuestInfo(domain, types, &parameters, &count, 0) }
        }
        defer { virTypedParamsFree(parameters, count) }
        guard let parameters else { return [] }
        return TypedParameters.copy(UnsafeBufferPointer(start: parameters, count: Int(count)))
    }

    func runningDomainNames() throws(LibvirtError) -> [String] {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = try call("virConnectListAllDomains") {
            virConnectListAllDomains(connection, &list, VIR_CONNECT_LIST_DOMAINS_ACTIVE.rawValue)
        }
        defer { free(list) }
        guard let list else { return [] }
        return (0..<Int(count)).compactMap { index in
            guard let pointer = list[index] else { return nil }
            defer { virDomainFree(pointer) }
            return name(of: pointer)
        }
    }
}
