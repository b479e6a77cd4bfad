import Foundation
import NIOPosix
import Synchronization

/// Attachments in a folder of this machine, served by the relay itself: uploads are `PUT` and downloads `GET` to
/// ``routePrefix`` + key, with URLs signed by ``LocalURLSigner``. Files are `files/<key>` under the folder; an upload is
/// written to `tmp/` and linked into place only when complete, so a file under `files/` is always whole.
package struct LocalAttachmentStore: AttachmentStore {
    /// Where the relay serves the files.
    package static let routePrefix = "/attachments/local/"

    package let root: String
    package let signer: LocalURLSigner
    /// Put before ``routePrefix`` in URLs ("" for URLs relative to the relay).
    let baseURL: String
    /// The keys whose upload this relay is receiving now.
    private let receiving = Receiving()

    /// Opens the folder `root`, creating it (private to this user) when `create`. Without `create` (msgctl), a folder
    /// that is not a store already is refused: an empty folder in its place (a host or container without the relay's
    /// store, a share not mounted) would have every file to remove counted as removed, and their keys forgotten.
    /// - Throws: ``ConfigurationError`` when it cannot be created or written, or is not a store and `create` is false.
    package init(root: String, signingKey: [UInt8], publicBaseURL: String?, create: Bool = true) throws(ConfigurationError) {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
        self.signer = LocalURLSigner(key: signingKey)
        self.baseURL = publicBaseURL ?? ""
        if !create {
            for folder in [self.root + "/files", self.root + "/tmp"] {
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                    throw ConfigurationError(
                        "ATTACHMENT_STORE: \(self.root) is not the relay's store, or cannot be read (no files/ and tmp/ folders found): "
                            + "run this where the store is, as a user who may read it")
                }
            }
        }
        for folder in [self.root, self.root + "/files", self.root + "/tmp"] {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw ConfigurationError("ATTACHMENT_STORE: cannot create the folder \(folder): \(error.localizedDescription)")
            }
        }
        guard FileManager.default.isWritableFile(atPath: self.root + "/tmp") else {
            throw ConfigurationError("ATTACHMENT_STORE: the folder \(self.root) is not writable")
        }
    }

    package func uploadTarget(key: String, contentType: String, size: Int, expires: Date) throws -> AttachmentTransfer {
        let query = signer.uploadQuery(storeKey: key, contentType: contentType, size: size, expires: Int64(expires.timeIntervalSince1970))
        return AttachmentTransfer(method: "PUT", url: baseURL + Self.routePrefix + key + "?" + query, headers: ["Content-Type": contentType])
    }

    package func downloadTarget(key: String, filename: AttachmentFilename, contentType: String, inline: Bool, expires: Date) throws
        -> AttachmentTransfer
    {
        let query = signer.downloadQuery(
            storeKey: key, contentType: contentType, filename: filename, inline: inline, expires: Int64(expires.timeIntervalSince1970))
        return AttachmentTransfer(method: "GET", url: baseURL + Self.routePrefix + key + "?" + query)
    }

    /// The size and first bytes of the file (read on NIO's thread pool, not the caller's); the type is the one its
    /// upload URL allowed, which the store does not keep (nil).
    package func inspect(key: String, prefixLength: Int) async throws -> StoredAttachment? {
        let path = try path(for: key)
        return try await NIOThreadPool.singleton.runIfActive {
            guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
            defer { try? handle.close() }
            let size = try handle.seekToEnd()
            try handle.seek(toOffset: 0)
            let prefix = prefixLength > 0 ? try handle.read(upToCount: prefixLength) ?? Data() : Data()
            return StoredAttachment(size: Int(size), contentType: nil, prefix: Array(prefix))
        }
    }

    package func delete(key: String) async throws {
        let path = try path(for: key)
        try await NIOThreadPool.singleton.runIfActive {
            if unlink(path) != 0, errno != ENOENT { throw LocalStoreError("cannot remove \(key): \(String(cString: strerror(errno)))") }
        }
    }

    /// Removes the files in `tmp/` not written to for `age`: uploads a relay was receiving when it was killed (one that
    /// ends otherwise removes its own). Relays sharing the folder may run it at once.
    package func removeAbandonedUploads(olderThan age: Duration) async throws -> Int {
        let folder = root + "/tmp"
        return try await NIOThreadPool.singleton.runIfActive {
            let cutoff = Date().timeIntervalSince1970 - age.seconds
            var removed = 0
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where AttachmentKey.isValid(name) {
                let path = folder + "/" + name
                var info = stat()
                guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, Double(info.st_mtim.tv_sec) < cutoff else { continue }
                if unlink(path) == 0 { removed += 1 }
            }
            return removed
        }
    }

    /// The file of `key`. - Throws: for anything but a key the relay makes (no path can be named through it).
    package func path(for key: String) throws -> String {
        guard AttachmentKey.isValid(key) else { throw LocalStoreError("not an attachment key") }
        return root + "/files/" + key
    }

    /// A new file name in the folder for an upload in progress.
    package func temporaryPath() -> String {
        root + "/tmp/" + AttachmentKey.make()
    }

    /// Whether the file of `key` is in place (its upload URL has been used).
    package func hasFile(key: String) throws -> Bool {
        access(try path(for: key), F_OK) == 0
    }

    /// Marks `key`'s upload as being received, unless it is already (another request is sending the same file): false
    /// then. ``endReceiving(key:)`` ends it.
    package func beginReceiving(key: String) -> Bool {
        receiving.keys.withLock { $0.insert(key).inserted }
    }

    package func endReceiving(key: String) {
        _ = receiving.keys.withLock { $0.remove(key) }
    }

    private final class Receiving: Sendable {
        let keys = Mutex<Set<String>>([])
    }

    /// Puts the complete upload at `temporary` in place as `key`, unless a file is there already (an upload URL is
    /// used once: a file checked and attached is never replaced). Returns false when one was.
    package func commit(temporary: String, key: String) throws -> Bool {
        let destination = try path(for: key)
        defer { unlink(temporary) }
        if link(temporary, destination) == 0 { return true }
        if errno == EEXIST { return false }
        throw LocalStoreError("cannot store the upload: \(String(cString: strerror(errno)))")
    }
}

/// A failure of the local store's file system.
package struct LocalStoreError: Error, CustomStringConvertible, Sendable {
    package let description: String
    init(_ description: String) { self.description = description }
}
