import Foundation
import Logging
import MsgLib
import Synchronization

/// A swift-log handler that writes each record as one line of JSON (``JSONLogLine``) to standard error, where the
/// text format writes too. One write per line, under stderr's lock, so lines from several threads never mix.
package struct JSONLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var metadataProvider: Logger.MetadataProvider?
    package var logLevel: Logger.Level = .info
    /// Where each line goes, newline included.
    let write: @Sendable (String) -> Void

    /// - Parameters:
    ///   - metadataProvider: adds metadata to every record (swift-log's global one by default).
    ///   - write: takes each line (standard error by default).
    package init(
        metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider,
        write: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError
    ) {
        self.metadataProvider = metadataProvider
        self.write = write
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        if let error = event.error, merged["error"] == nil { merged["error"] = .string("\(error)") }
        let line = JSONLogLine(time: .now(), level: event.level, message: event.message.description, metadata: merged)
        write(line.json + "\n")
    }

    /// Writes `line` to standard error (file descriptor 2) whole, one line at a time.
    package static let standardError: @Sendable (String) -> Void = { line in
        let bytes = Array(line.utf8)
        writing.withLock { _ in _ = bytes.withUnsafeBytes { FileWrite.all(to: 2, $0) } }
    }

    /// Held while a line is written.
    private static let writing = Mutex(())
}
