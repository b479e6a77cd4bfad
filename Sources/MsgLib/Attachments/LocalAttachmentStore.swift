import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// Attachments in a folder of this machine, served by the relay itself: uploads are `PUT` and downloads `GET` to
/// ``routePrefix`` + key, with URLs signed by ``LocalURLSigner``. Files are `files/<key>` under the folder; an upload is
/// written to `tmp/`, synchronised to disk, and linked into place only when complete (the folder synchronised too), so
/// a file under `files/` is always whole, and one acknowledged stays there whatever happens to the machine. File system
/// calls run on NIO's thread pool: a folder on a network share that stalls holds none of the relay's tasks.
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

    package func uploadTarget(key: String, contentType: String, size: Int, expires: Date, user: UUID?) throws -> AttachmentTransfer {
        let query = signer.uploadQuery(
            storeKey: key, contentType: contentType, size: size, expires: Int64(expires.timeIntervalSince1970), user: user)
        return AttachmentTransfer(method: "PUT", url: baseURL + Self.routePrefix + key + "?" + query, headers: ["Content-Type": contentType])
    }

    package func downloadTarget(key: String, filename: AttachmentFilename, contentType: String, inline: Bool, expires: Date, user: UUID?)
        throws -> AttachmentTransfer
    {
        let query = signer.downloadQuery(
            storeKey: key, contentType: contentType, filename: filename, inline: inline, expires: Int64(expires.timeIntervalSince1970),
            user: user)
        return AttachmentTransfer(method: "GET", url: baseURL + Self.routePrefix + key + "?" + query)
    }

    /// The size and first bytes of the file (read on NIO's thread pool, not the caller's); the type is the one its
    /// upload URL allowed, which the store does not keep (nil). Nil only when there is no such file: a file that
    /// cannot be opened (permissions, I/O, no descriptor left) is an error of the store, not a file not uploaded.
    package func inspect(key: String, prefixLength: Int) async throws -> StoredAttachment? {
        let path = try path(for: key)
        return try await NIOThreadPool.singleton.runIfActive {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                if errno == ENOENT { return nil }
                throw LocalStoreError.failed("cannot open \(key)")
            }
            let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
            defer { close(fd) }
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
    /// ends otherwise removes its own), including those of versions that wrote through a file named `.tmp-` and six
    /// characters where the file system cannot create a file without a name. Relays sharing the folder may run it at once.
    package func removeAbandonedUploads(olderThan age: Duration) async throws -> Int {
        let folder = root + "/tmp"
        return try await NIOThreadPool.singleton.runIfActive {
            let cutoff = Date().timeIntervalSince1970 - age.seconds
            var removed = 0
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where Self.isUploadInProgress(name) {
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

    /// Whether `name`, in `tmp/`, is an upload being written (or left behind).
    static func isUploadInProgress(_ name: String) -> Bool {
        AttachmentKey.isValid(name) || (name.hasPrefix(".tmp-") && name.utf8.count == 11)
    }

    /// Writes `body` to a new file of `tmp/` and synchronises it to disk; returns its path, for ``commit(temporary:key:)``.
    /// Nothing is left behind when it throws (the body's error, or the file system's as ``LocalStoreError``).
    package func receive<Body: AsyncSequence>(_ body: Body) async throws -> String where Body.Element == ByteBuffer {
        let path = root + "/tmp/" + AttachmentKey.make()
        let pool = NIOThreadPool.singleton
        let descriptor = try await pool.runIfActive {
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw LocalStoreError.failed("cannot create an upload's file") }
            return descriptor
        }
        do {
            for try await chunk in body {
                try await pool.runIfActive { try Self.write(chunk, to: descriptor) }
            }
        } catch {
            try? await pool.runIfActive {
                close(descriptor)
                unlink(path)
            }
            throw error
        }
        // The descriptor is closed once whatever happens (closed twice, it could be another file's by then).
        try await pool.runIfActive {
            let synced = fsync(descriptor) == 0 ? 0 : errno
            let closed = close(descriptor) == 0 ? 0 : errno
            guard synced == 0, closed == 0 else {
                unlink(path)
                throw LocalStoreError("cannot write an upload to disk: \(String(cString: strerror(synced != 0 ? synced : closed)))")
            }
        }
        return path
    }

    private static func write(_ chunk: ByteBuffer, to descriptor: Int32) throws {
        let failed = chunk.withUnsafeReadableBytes { FileWrite.all(to: descriptor, $0) }
        guard failed == 0 else { throw LocalStoreError("cannot write an upload: \(String(cString: strerror(failed)))") }
    }

    /// Removes an upload's file written by ``receive(_:)`` that will not be committed.
    package func discard(temporary: String) async {
        try? await NIOThreadPool.singleton.runIfActive { _ = unlink(temporary) }
    }

    /// Whether the file of `key` is in place (its upload URL has been used).
    package func hasFile(key: String) async throws -> Bool {
        let path = try path(for: key)
        return try await NIOThreadPool.singleton.runIfActive { access(path, F_OK) == 0 }
    }

    /// The size of the file of `key`, nil when there is none.
    package func size(key: String) async throws -> Int? {
        let path = try path(for: key)
        return try await NIOThreadPool.singleton.runIfActive {
            var info = stat()
            guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
            return Int(info.st_size)
        }
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
    /// used once: a file checked and attached is never replaced), and synchronises the folder, so the file's name is on
    /// disk before the upload is acknowledged. Returns false when a file was there.
    package func commit(temporary: String, key: String) async throws -> Bool {
        let destination = try path(for: key)
        let folder = root + "/files"
        return try await NIOThreadPool.singleton.runIfActive {
            defer { unlink(temporary) }
            guard link(temporary, destination) == 0 else {
                if errno == EEXIST { return false }
                throw LocalStoreError.failed("cannot store the upload")
            }
            let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard descriptor >= 0 else { throw LocalStoreError.failed("cannot open the store's folder") }
            defer { close(descriptor) }
            guard fsync(descriptor) == 0 else { throw LocalStoreError.failed("cannot write the store's folder to disk") }
            return true
        }
    }
}

/// A failure of the local store's file system.
package struct LocalStoreError: Error, CustomStringConvertible, Sendable {
    package let description: String
    init(_ description: String) { self.description = description }

    /// `what` failed, with the reason `errno` gives.
    static func failed(_ what: String) -> LocalStoreError {
        LocalStoreError("\(what): \(String(cString: strerror(errno)))")
    }
}
