/// A mistake in the user's flags or config file. The message names the key or flag and says what
/// is wrong; the exporter prints it and exits with status 2, without a stack trace.
struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    /// The full message.
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
