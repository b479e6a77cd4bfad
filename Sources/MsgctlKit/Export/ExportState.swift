import Foundation
import MsgLib

/// The state file of an incremental export (`msgctl export --state FILE`), JSON.
///
/// It holds the cursor (``ExportHorizon``) of the last successful run and, while a run publishes its output, the
/// run's outcome as `pending`. A run with `--output` goes: output written to its temporary file and flushed; state
/// written with `pending` (the temporary file's name and the next cursor); temporary file linked to the output's name
/// (which must not exist: it could hold an earlier run's messages), then its own name removed; state written with the
/// next cursor and no `pending`. Every state write is atomic (``AtomicFile``). The next run finishes an interrupted
/// one first: if the output is the temporary file (its device, inode and size), the output was published, so the
/// pending cursor becomes the cursor; otherwise the old cursor stays (its messages are exported again, by this run).
/// A temporary file left is removed. Either way each message reaches exactly one output file, whatever moment a crash
/// strikes.
struct ExportState: Codable, Equatable {
    static let currentVersion = 1

    /// What the cursor covers; a run with other filters must use another state file.
    struct Selection: Codable, Equatable {
        var conversationId: String?
        var senderId: String?
        var includeDeleted: Bool
    }

    /// Where the last successful run stopped.
    struct Cursor: Codable, Equatable {
        /// Every selected message with an id below ``ExportHorizon/idFloor(_:)`` of this time has been exported;
        /// nil before the first horizon (nothing exported yet).
        var horizon: Timestamp?
        /// The last observation of writers, which the next run chains from.
        var observation: WriterObservation?
        /// Successful runs so far.
        var runs: Int
        /// Messages exported by them.
        var messages: Int
        /// The last successful run.
        var lastRun: Run?
    }

    struct Run: Codable, Equatable {
        var finishedAt: Timestamp
        var messages: Int
        var format: String
        /// The output file, nil for standard output.
        var output: String?
    }

    /// A run that was publishing its output.
    struct Pending: Codable, Equatable {
        var temporaryFile: String
        var output: String
        var next: Cursor
        /// The temporary file's device, inode and size: the output is the published run only when it is that file.
        var file: FileIdentity?
    }

    /// A file's device and inode numbers, and its size (an inode freed by a removed file is soon given to another).
    struct FileIdentity: Codable, Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64

        /// The identity of the file at `path` (not following a symbolic link), nil when there is none.
        init?(path: String) {
            var info = stat()
            guard lstat(path, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
        }
    }

    var version: Int
    /// `current_database()` of the runs (a state file is for one database).
    var database: String
    var selection: Selection
    var cursor: Cursor
    var pending: Pending?

    /// Reads the state at `path`, or nil when there is none yet.
    /// - Throws: ``UserFacingError``: unreadable (`noInput`), not a state file or of a later version (`dataError`).
    static func load(_ path: String) throws(UserFacingError) -> ExportState? {
        guard AtomicFile.exists(path) else { return nil }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw UserFacingError("cannot read the state file \(path)", exitStatus: .noInput)
        }
        do {
            let state = try decoder.decode(ExportState.self, from: data)
            guard state.version <= currentVersion else {
                throw UserFacingError("the state file \(path) is of a later msgctl (version \(state.version))", exitStatus: .dataError)
            }
            return state
        } catch let error as UserFacingError {
            throw error
        } catch {
            throw UserFacingError("\(path) is not a msgctl export state file (move it away or name another)", exitStatus: .dataError)
        }
    }

    /// Writes the state atomically.
    func save(_ path: String) throws {
        let data: Data
        do {
            data = try Self.encoder.encode(self)
        } catch {
            throw UserFacingError("cannot encode the export state: \(error)", exitStatus: .software)
        }
        try AtomicFile.write(Array(data) + [0x0A], to: path)
    }

    /// Completes a run that was interrupted while publishing (see the type's documentation); true when it changed
    /// anything (the caller saves). The output counts as published only when it is the temporary file itself (same
    /// device, inode and size): a temporary file removed by hand, or an output folder not mounted yet, leave the old cursor,
    /// and the run's messages are exported again rather than lost.
    mutating func recoverPending() -> Bool {
        guard let pending else { return false }
        if let file = pending.file {
            // Renamed, or linked with its temporary name not removed yet: the output is the temporary file.
            if FileIdentity(path: pending.output) == file { cursor = pending.next }
        } else if !AtomicFile.exists(pending.temporaryFile) {
            cursor = pending.next  // a state file of an earlier msgctl, which recorded no identity: renamed
        }
        unlink(pending.temporaryFile)
        self.pending = nil
        return true
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()
}

/// The lock that keeps two runs off one state file: `flock(2)` on `STATE.lock` beside it (a file of its own, since
/// the state file itself is replaced by rename at every run). Held until the process exits or ``release()``.
final class ExportLock {
    let path: String
    private var descriptor: Int32

    /// Takes the lock, waiting for it when `wait`, else failing at once.
    /// - Throws: ``UserFacingError``: `tempFail` (75) when another run holds it, `cantCreate` when the lock file
    ///   cannot be created.
    init(statePath: String, wait: Bool) throws(UserFacingError) {
        path = statePath + ".lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw UserFacingError("cannot create the lock file \(path): \(String(cString: strerror(errno)))", exitStatus: .cantCreate)
        }
        while flock(descriptor, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0 {
            if errno == EINTR { continue }
            let reason = errno
            close(descriptor)
            descriptor = -1
            if reason == EWOULDBLOCK {
                throw UserFacingError(
                    "another msgctl export is running with the state file \(statePath); try again later, or pass --wait", exitStatus: .tempFail)
            }
            throw UserFacingError("cannot lock \(path): \(String(cString: strerror(reason)))", exitStatus: .cantCreate)
        }
    }

    deinit {
        release()
    }

    func release() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }
}
