import ArgumentParser
import Core
import Foundation

/// `reproduce migrate-records`: adds checksums and data fingerprints to the run records of an
/// older version, without retraining.
struct MigrateRecordsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-records",
        abstract: "Add a checksum and a data fingerprint to run records written by older versions (no retraining).",
        discussion: HelpText.reflow("""
            Records written before records carried a checksum and a fingerprint of their dataset files are not used (they \
            could be damaged, edited or trained on other data without anyone noticing). This command checks each \
            <hash>.json of the cache as a record is checked on read (its name matches its specification, accuracies and \
            A_l lie in [0, 1], its lists and step counts are consistent), then adds the fingerprint of the dataset files \
            as they are now and a checksum. Run it only with the data the records were trained on (the Debian \
            Fashion-MNIST, or --data-dir). Records that already have a valid checksum are left unchanged, so running it \
            again is harmless. Example:
              reproduce migrate-records --cache runs/full

            Exit status: 0 when every record is verified or migrated, 65 when some record fails a check (it is named, \
            left unchanged and never used), 66 when the cache directory cannot be read.
            """)
    )

    @Option(help: ArgumentHelp("Cache directory whose records to migrate.", valueName: "dir"))
    var cache: String = ".cache/reproduce"

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Directory with the datasets in their standard formats (Fashion-MNIST is also found in /usr/share/datasets/fashion-mnist).", valueName: "dir"))
    var dataDir: String?

    func validate() throws {
        guard SystemErrorText.isDirectory(cache) else {
            throw ValidationError("--cache '\(cache)' is not a directory.")
        }
        if let dataDir, !SystemErrorText.isDirectory(dataDir) {
            throw ValidationError("--data-dir '\(dataDir)' is not a directory.")
        }
    }

    func run() throws {
        do {
            let cacheURL = URL(fileURLWithPath: cache, isDirectory: true).standardizedFileURL
            let entries = try RunRecordMigration.migrate(RunCache(directory: cacheURL),
                                                         dataDirectory: dataDir.map { URL(fileURLWithPath: $0, isDirectory: true).standardizedFileURL })
            var failed = 0, migrated = 0, verified = 0, skipped = 0
            for entry in entries {
                switch entry.outcome {
                case .migrated:
                    migrated += 1
                    print("migrated  \(entry.file)")
                case .alreadyVerified:
                    verified += 1
                case let .otherFormatVersion(version):
                    skipped += 1
                    print("skipped   \(entry.file): format version \(version.map(String.init) ?? "unknown"), not read by this version")
                case let .failed(reason):
                    failed += 1
                    printError("error: \(reason)")
                }
            }
            print("\(entries.count) record(s) in \(cacheURL.relativePathFromCurrentDirectory): \(migrated) migrated, \(verified) already verified, "
                  + "\(skipped) of another format version, \(failed) failed")
            if failed > 0 { throw ExitCode(65) }
        } catch {
            throw Failure.exit(for: error)
        }
    }
}
