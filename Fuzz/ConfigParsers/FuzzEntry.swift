import Foundation

/// libFuzzer's entry point for the two config parsers: the JSON config file (`--config.file`) and
/// the web config file (`--web.config.file`). The first byte picks the parser (`J` or anything
/// else: JSON; `Y`: YAML), the rest is the file. A crash, or a rejection that is not one line
/// naming the file, is a finding. Built and run by `scripts/fuzz-config`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfigParsers(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let selector = bytes.first else { return 0 }
    let file = Array(bytes.dropFirst())
    let message: String
    let prefix: String
    if selector == UInt8(ascii: "Y") {
        prefix = "web config file fuzz.yml: "
        do {
            _ = try WebConfigParser.parse(yaml: String(decoding: file, as: UTF8.self), named: "fuzz.yml") {
                name throws(ConfigurationError) in
                guard name.count < 8 else { throw ConfigurationError("cannot read \(name)") }
                return Array("-----BEGIN CERTIFICATE-----".utf8)
            }
            return 0
        } catch {
            message = error.description
        }
    } else {
        prefix = "config file fuzz.json: "
        var configuration = ExporterConfiguration()
        do {
            try ConfigFile.apply(json: Data(file), named: "fuzz.json", to: &configuration)
            return 0
        } catch {
            message = error.description
        }
    }
    guard message.hasPrefix(prefix), !message.contains("\n"), message.count > prefix.count else {
        fatalError("not a one-line error naming the file: \(message.debugDescription)")
    }
    return 0
}
