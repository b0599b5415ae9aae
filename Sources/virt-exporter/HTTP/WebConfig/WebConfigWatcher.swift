import Synchronization

/// Loads the web config file and the TLS material it names, at start-up and whenever the file (or
/// a file it names) changes. A broken new version keeps the settings in force; its error is
/// reported once, until the file changes again.
final class WebConfigWatcher: Sendable {
    /// The file.
    let path: String
    private let lastError = Mutex<String?>(nil)

    init(path: String) {
        self.path = path
    }

    /// Reads and checks the file, its certificates and keys; throws naming the key at fault.
    static func load(fileAt path: String) throws(ConfigurationError) -> FrontDoor.WebState {
        let config = try WebConfigParser.load(fileAt: path)
        do {
            return FrontDoor.WebState(config: config, tls: try config.tls.map(TLSMaterial.init))
        } catch {
            throw ConfigurationError("web config file \(path): \(error)")
        }
    }

    /// What a look at the file found.
    enum Outcome {
        case unchanged
        case changed(FrontDoor.WebState)
        /// The file is broken; `isNew` if this error was not reported before.
        case broken(ConfigurationError, isNew: Bool)
    }

    /// Reads the file again and compares it with `current`.
    func check(current: FrontDoor.WebState) -> Outcome {
        let config: WebConfig
        do {
            config = try WebConfigParser.load(fileAt: path)
        } catch {
            return broken(error)
        }
        if config == current.config {
            lastError.withLock { $0 = nil }
            return .unchanged
        }
        if (config.tls == nil) != (current.config.tls == nil) {
            return broken(
                ConfigurationError(
                    "web config file \(path): turning TLS \(config.tls == nil ? "off" : "on") needs a restart"))
        }
        do {
            let tls = try config.tls.map(TLSMaterial.init)
            lastError.withLock { $0 = nil }
            return .changed(FrontDoor.WebState(config: config, tls: tls))
        } catch {
            return broken(ConfigurationError("web config file \(path): \(error)"))
        }
    }

    private func broken(_ error: ConfigurationError) -> Outcome {
        let isNew = lastError.withLock { last in
            defer { last = error.description }
            return last != error.description
        }
        return .broken(error, isNew: isNew)
    }
}
