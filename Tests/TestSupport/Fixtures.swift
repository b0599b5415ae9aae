public import Foundation

/// Files shared by the test targets, found relative to this source file.
public enum Fixtures {
    /// The repository's root folder.
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The contents of `Tests/<path>` as text.
    public static func text(_ path: String) throws -> String {
        try String(
            contentsOf: repositoryRoot.appendingPathComponent("Tests").appendingPathComponent(path), encoding: .utf8)
    }

    /// The contents of `Tests/<path>` as data.
    public static func data(_ path: String) throws -> Data {
        try Data(contentsOf: repositoryRoot.appendingPathComponent("Tests").appendingPathComponent(path))
    }
}
