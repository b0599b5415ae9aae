/// An error libvirt reported for one call, read from `virGetLastError` on the calling thread.
public struct LibvirtError: Error, Sendable, Hashable, CustomStringConvertible {
    /// libvirt's error number (`virErrorNumber`); the values below are pinned against libvirt's
    /// headers in `CLibvirt.h`.
    public struct Code: RawRepresentable, Sendable, Hashable {
        /// The C value.
        public let rawValue: Int32

        /// Creates a code from its C value.
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// `VIR_ERR_INTERNAL_ERROR`: internal error.
        public static let internalError = Code(rawValue: 1)
        /// `VIR_ERR_NO_SUPPORT`: the driver does not implement this function.
        public static let noSupport = Code(rawValue: 3)
        /// `VIR_ERR_NO_CONNECT`: cannot connect to the hypervisor.
        public static let noConnect = Code(rawValue: 5)
        /// `VIR_ERR_INVALID_CONN`: the connection object is invalid.
        public static let invalidConnection = Code(rawValue: 6)
        /// `VIR_ERR_INVALID_ARG`: an argument (often an unsupported flag) is invalid.
        public static let invalidArgument = Code(rawValue: 8)
        /// `VIR_ERR_OPERATION_FAILED`: a command to the hypervisor failed.
        public static let operationFailed = Code(rawValue: 9)
        /// `VIR_ERR_OPERATION_DENIED`: forbidden, for example on a read-only connection.
        public static let operationDenied = Code(rawValue: 29)
        /// `VIR_ERR_SYSTEM_ERROR`: a system call failed, often a dropped socket.
        public static let systemError = Code(rawValue: 38)
        /// `VIR_ERR_RPC`: an RPC error.
        public static let rpc = Code(rawValue: 39)
        /// `VIR_ERR_NO_DOMAIN`: the domain is gone.
        public static let noDomain = Code(rawValue: 42)
        /// `VIR_ERR_AUTH_FAILED`: authentication failed.
        public static let authFailed = Code(rawValue: 45)
        /// `VIR_ERR_OPERATION_INVALID`: not applicable in the domain's current state.
        public static let operationInvalid = Code(rawValue: 55)
        /// `VIR_ERR_OPERATION_TIMEOUT`: a timeout, for example waiting for a busy domain.
        public static let operationTimeout = Code(rawValue: 68)
        /// `VIR_ERR_ARGUMENT_UNSUPPORTED`: valid use that this hypervisor does not support.
        public static let argumentUnsupported = Code(rawValue: 74)
        /// `VIR_ERR_OPERATION_UNSUPPORTED`: the operation is not supported here.
        public static let operationUnsupported = Code(rawValue: 84)
        /// `VIR_ERR_AGENT_UNRESPONSIVE`: the guest agent does not answer.
        public static let agentUnresponsive = Code(rawValue: 86)

        /// Not libvirt's: every connection of the exporter's pool is busy with a call that has not
        /// returned, so no call could be made (``ConnectionPool``).
        public static let connectionsBusy = Code(rawValue: -1)

        private static let names: [Int32: String] = [
            -1: "connections_busy",
            1: "internal_error", 3: "no_support", 5: "no_connect", 6: "invalid_connection",
            8: "invalid_argument", 9: "operation_failed", 29: "operation_denied", 38: "system_error",
            39: "rpc", 42: "no_domain", 45: "auth_failed", 55: "operation_invalid",
            68: "operation_timeout", 74: "argument_unsupported", 84: "operation_unsupported",
            86: "agent_unresponsive",
        ]

        /// A short snake-case name, bounded in number, for use as a label value.
        public var name: String {
            Self.names[rawValue] ?? "libvirt_error_\(rawValue)"
        }
    }

    /// The libvirt function that failed.
    public let function: String
    /// What went wrong.
    public let code: Code
    /// Which part of libvirt reported it (`virErrorDomain`, such as `VIR_FROM_QEMU`).
    public let origin: Int32
    /// libvirt's message.
    public let message: String

    /// Creates an error.
    public init(function: String, code: Code, origin: Int32, message: String) {
        self.function = function
        self.code = code
        self.origin = origin
        self.message = message
    }

    public var description: String {
        "\(function): \(message) (code \(code.rawValue), from \(origin))"
    }

    /// The error as a collection error, optionally about one domain.
    func collectionError(domain domainName: String? = nil) -> CollectionError {
        CollectionError(call: function, reason: code.name, domain: domainName, message: message)
    }
}
