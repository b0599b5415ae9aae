import Foundation
import PackagePlugin

/// Writes `BuildRevision.swift` before every build of the target that uses it: the commit the
/// binary is built from, for `--version` and `libvirt_exporter_build_info`. The script
/// (`scripts/lib/build-revision.sh`) takes it from git in a checkout and from the `COMMIT` file in a
/// source tarball, and rewrites the file only when the commit changed.
@main
struct BuildRevision: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "generated")
        let package = context.package.directoryURL
        return [
            .prebuildCommand(
                displayName: "Finding the commit virt-exporter is built from",
                executable: URL(filePath: "/bin/sh"),
                arguments: [
                    package.appending(path: "scripts/lib/build-revision.sh").path(), package.path(),
                    output.appending(path: "BuildRevision.swift").path(),
                ],
                outputFilesDirectory: output)
        ]
    }
}
