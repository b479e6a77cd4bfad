import Foundation

/// An attached file a viewer may download, and where from.
package struct AttachmentDownload: Sendable, Equatable {
    package var attachment: MessageAttachment
    package var storeKey: String
    /// Shown in the page (images) or saved as a file.
    package var inline: Bool
    /// The store's signed, short-lived request for it.
    package var target: AttachmentTransfer
    /// When `target` stops working.
    package var expiresAt: Timestamp
}

extension MessagingService {
    /// Records a new upload of `viewer` and returns how to upload its file to the store.
    /// - Throws: ``AttachmentPolicy/Problem`` for a name, type or size the settings refuse; `.unavailable` when
    ///   attachments are off; `.rateLimited` beyond the hourly limit or with too many uploads waiting to be attached.
    package func createAttachment(viewer: User, filename: String, contentType: String, size: Int) async throws -> AttachmentUpload {
        let support = try requireAttachments()
        let accepted = try support.policy.check(filename: filename, contentType: contentType, size: size)
        let configuration = support.configuration
        let key = AttachmentKey.make()
        let lifetime = unattachedLifetime(nil, support)
        let created = try await pool.withTransaction { db in
            // Full: the wait is until the oldest waiting upload is collected, unless the user sends it first. Counted
            // against the hourly limit only when it makes an upload.
            if let oldest = try AttachmentRepository.oldestPendingWhenFull(db, ownerId: viewer.id, maxPending: configuration.maxPendingPerUser) {
                let collected = oldest.secondsSinceEpoch + Int64(lifetime.rounded(.up)) + Int64(configuration.collectInterval.seconds.rounded(.up))
                throw ServiceError(
                    .rateLimited,
                    "Too many uploads waiting to be sent (at most \(configuration.maxPendingPerUser)): send them with a message first",
                    retryAfter: Int(max(1, collected - Timestamp.now().secondsSinceEpoch)))
            }
            if configuration.createRateLimitPerHour > 0 {
                try RateLimiter.take(
                    db, user: viewer.id, window: .attachmentCreate(perHour: configuration.createRateLimitPerHour),
                    counting: ("attachment", "attachments"))
            }
            return try AttachmentRepository.create(
                db, ownerId: viewer.id, storeKey: key, filename: accepted.filename.value, contentType: accepted.contentType, size: accepted.size)
        }
        let expires = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + configuration.uploadURLLifetime.seconds).rounded(.down))
        let transfer = try support.store.uploadTarget(
            key: key, contentType: accepted.contentType, size: accepted.size, expires: expires, user: viewer.isAdmin ? nil : viewer.id)
        return AttachmentUpload(id: created.id, transfer: transfer, expiresAt: Timestamp(expires))
    }

    /// The uploads `ids` of `owner` as a message will carry them, once the store shows each uploaded whole, of the
    /// declared type (an image's first bytes must be of its declared format; its size in pixels is read from them).
    /// - Throws: `.invalid` naming the first id that is not `owner`'s unattached, uploaded and matching file.
    func checkedAttachments(_ ids: [UUID], owner: User) async throws -> [MessageAttachment] {
        guard !ids.isEmpty else { return [] }
        guard ids.count <= AttachmentConfiguration.maxPerMessage else {
            throw ServiceError(.invalid, "A message may carry at most \(AttachmentConfiguration.maxPerMessage) attachments")
        }
        var seen = Set<UUID>()
        for id in ids where !seen.insert(id).inserted { throw ServiceError(.invalid, "Attachment \(id.lowercasedString) is listed twice") }
        let support = try requireAttachments()
        let found = try await pool.withConnection { db in try AttachmentRepository.find(db, ids: ids) }
        let byId = Dictionary(found.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        // Every id is the sender's upload before the store is asked about any: a list ending with a stranger's id
        // costs no store request.
        let uploads = try ids.map { id in
            guard let attachment = byId[id], attachment.ownerId == owner.id, attachment.state == .pending else {
                throw Self.notYourUpload(id)
            }
            // Found unlike its declaration by an earlier send: refused again without asking the store.
            if let refused = attachment.refused { throw ServiceError(.invalid, refused) }
            return attachment
        }
        // Files found as declared before, by a send refused for another of its files, are not asked about again: a
        // send that keeps failing cannot make the relay read the same files from the store again and again.
        var checked: [MessageAttachment] = []
        var inspected: [MessageAttachment] = []
        do {
            for attachment in uploads {
                if attachment.checkedAt != nil {
                    checked.append(attachment.info)
                    continue
                }
                let info: MessageAttachment
                do {
                    info = try await Self.check(attachment, in: support.store)
                } catch let error as ServiceError where error != Self.notUploaded(attachment.id) {
                    // The file is there and unlike what was declared: no later send can change that.
                    let owner = owner.id
                    try? await pool.withConnection { db in
                        try AttachmentRepository.recordRefused(db, id: attachment.id, owner: owner, reason: error.message)
                    }
                    throw error
                } catch {
                    // Not uploaded yet, or the store did not answer: asking costs a request or more each time, and
                    // nothing records the answer. The refused send counts against the sender's message rate limit, so
                    // repeating it cannot make the relay ask without end.
                    if !owner.isAdmin {
                        let (owner, rules) = (owner.id, rules)
                        try? await pool.withConnection { db in try RateLimiter.take(db, sender: owner, rules: rules) }
                    }
                    throw error
                }
                inspected.append(info)
                checked.append(info)
            }
        } catch {
            if !inspected.isEmpty {
                let owner = owner.id
                try? await pool.withConnection { [inspected] db in try AttachmentRepository.recordChecked(db, inspected, owner: owner) }
            }
            throw error
        }
        return checked
    }

    /// One upload as the store has it, compared with what was declared.
    static func check(_ attachment: AttachmentRecord, in store: any AttachmentStore) async throws -> MessageAttachment {
        let id = attachment.id.lowercasedString
        let format = ImageHeader.Format(contentType: attachment.contentType)
        guard let stored = try await store.inspect(key: attachment.storeKey, prefixLength: format == nil ? 0 : ImageHeader.prefixLength) else {
            throw notUploaded(attachment.id)
        }
        guard stored.size == attachment.size else {
            throw ServiceError(.invalid, "Attachment \(id) is \(stored.size) bytes, not the \(attachment.size) declared")
        }
        if let type = stored.contentType, AttachmentPolicy.mediaType(type) != attachment.contentType {
            throw ServiceError(.invalid, "Attachment \(id) was not uploaded as \(attachment.contentType)")
        }
        var info = attachment.info
        if let format {
            guard let header = ImageHeader(prefix: stored.prefix), header.format == format else {
                throw ServiceError(.invalid, "Attachment \(id) is not a \(format.rawValue.uppercased()) image")
            }
            info.width = header.width
            info.height = header.height
        }
        return info
    }

    static func notUploaded(_ id: UUID) -> ServiceError {
        ServiceError(.invalid, "Attachment \(id.lowercasedString) has not been uploaded")
    }

    static func notYourUpload(_ id: UUID) -> ServiceError {
        ServiceError(.invalid, "Attachment \(id.lowercasedString) is not an upload of yours waiting to be sent")
    }

    /// Locks `files` for the sending transaction and attaches them to `message` (the message row carries them already).
    /// - Throws: `.invalid` naming a file attached or removed since it was checked.
    static func attach(_ db: PostgresConnection, _ files: [MessageAttachment], owner: User) throws -> (DeliverableMessage) throws -> Void {
        let locked = try AttachmentRepository.lockPending(db, ids: files.map(\.id), owner: owner.id)
        if let missing = files.first(where: { !locked.contains($0.id) }) { throw notYourUpload(missing.id) }
        return { item in
            try AttachmentRepository.attach(db, files, messageId: item.message.id, conversationId: item.message.conversationId)
        }
    }

    /// Where `viewer` downloads attachment `id`: the conversation's user and admins only, never once its message is
    /// deleted (anyone else is told it does not exist).
    package func attachmentDownload(viewer: User, id: UUID) async throws -> AttachmentDownload {
        let support = try requireAttachments()
        let found = try await pool.withConnection { db in try AttachmentRepository.findAttached(db, id: id) }
        guard let found, !found.deleted, viewer.isAdmin || found.conversationUserId == viewer.id else { throw ServiceError.attachmentNotFound }
        let info = found.attachment.info
        let expires = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + support.configuration.downloadURLLifetime.seconds).rounded(.down))
        let target = try support.store.downloadTarget(
            key: found.attachment.storeKey, filename: AttachmentFilename(sanitizing: info.filename), contentType: info.contentType,
            inline: info.isImage, expires: expires, user: viewer.isAdmin ? nil : viewer.id)
        return AttachmentDownload(
            attachment: info, storeKey: found.attachment.storeKey, inline: info.isImage, target: target, expiresAt: Timestamp(expires))
    }

    /// Any attachment by id, for an admin's tools (`msgctl attachments get`), with its store key.
    package func attachmentRecord(id: UUID) async throws -> AttachmentRecord {
        guard let found = try await pool.withConnection({ db in try AttachmentRepository.find(db, id: id) }) else {
            throw ServiceError.attachmentNotFound
        }
        return found
    }

    /// Removes the uploads never attached within ``AttachmentConfiguration/pendingLifetime`` (and not before their upload
    /// URL expired): rows, then files; says how many. Cheap when there are none: one index probe.
    /// - Parameter progress: told how many files are removed so far, after each one.
    package func collectUnattachedAttachments(
        olderThan lifetime: Duration? = nil, progress: (@Sendable (Int) -> Void)? = nil
    ) async throws -> FileRemoval {
        let support = try requireAttachments()
        let seconds = unattachedLifetime(lifetime, support)
        return try await removeFiles(support, progress: progress) { db, limit in
            guard try AttachmentRepository.hasExpiredPending(db, olderThan: seconds) else { return [] }
            return try AttachmentRepository.takeExpiredPending(db, olderThan: seconds, limit: limit)
        }
    }

    /// How many uploads ``collectUnattachedAttachments(olderThan:progress:)`` would remove now.
    package func countUnattachedAttachments(olderThan lifetime: Duration? = nil) async throws -> Int {
        let seconds = unattachedLifetime(lifetime, try requireAttachments())
        return try await pool.withConnection { db in try AttachmentRepository.countExpiredPending(db, olderThan: seconds) }
    }

    /// Removes the files of messages deleted before `cutoff` (as ``purgeDeletedMessages(before:batch:)`` takes it); says how many.
    /// - Parameter progress: told how many files are removed so far, after each one.
    package func purgeDeletedAttachments(deletedBefore cutoff: Timestamp, progress: (@Sendable (Int) -> Void)? = nil) async throws -> FileRemoval {
        let support = try requireAttachments()
        return try await removeFiles(support, progress: progress) { db, limit in
            try AttachmentRepository.takeDeleted(db, deletedBefore: cutoff, limit: limit)
        }
    }

    /// How many files ``purgeDeletedAttachments(deletedBefore:progress:)`` would remove now.
    package func countDeletedAttachments(deletedBefore cutoff: Timestamp) async throws -> Int {
        _ = try requireAttachments()
        return try await pool.withConnection { db in try AttachmentRepository.countDeleted(db, deletedBefore: cutoff) }
    }

    /// How long an upload may stay unattached: never less than its upload URL lives (the local store refuses an
    /// upload that outlives its URL), so that no file arrives for a row already removed.
    private func unattachedLifetime(_ lifetime: Duration?, _ support: AttachmentSupport) -> Double {
        max((lifetime ?? support.configuration.pendingLifetime).seconds, support.configuration.uploadURLLifetime.seconds)
    }

    /// Removes the files whose rows are gone (a user, conversation or message deleted in SQL, a file the store could
    /// not remove before); says how many. Several relays may run it at once: each leases different keys.
    package func collectAttachmentGarbage() async throws -> FileRemoval {
        let support = try requireAttachments()
        var removal = FileRemoval()
        while true {
            let keys = try await pool.withConnection { db in try AttachmentRepository.leaseGarbage(db, limit: Self.removalBatch) }
            try await removeFiles(keys, support, into: &removal)
            if keys.count < Self.removalBatch { return removal }
        }
    }

    /// How many files one pass of a clean-up takes at a time.
    static let removalBatch = 500

    /// Takes batches of store keys with `take` and removes their files, until a batch is short.
    private func removeFiles(
        _ support: AttachmentSupport, progress: (@Sendable (Int) -> Void)?, take: @escaping @Sendable (PostgresConnection, Int) throws -> [String]
    ) async throws -> FileRemoval {
        var removal = FileRemoval()
        while true {
            let keys = try await pool.withConnection { db in try take(db, Self.removalBatch) }
            // A file that cannot be removed now stays queued (its row is gone, so nothing shows or serves it), and the
            // collector tries it again later.
            try await removeFiles(keys, support, into: &removal, progress: progress)
            if keys.count < Self.removalBatch { return removal }
        }
    }

    /// Removes the files of `keys` from the store, forgets the keys of those removed, and counts both outcomes.
    private func removeFiles(
        _ keys: [String], _ support: AttachmentSupport, into removal: inout FileRemoval, progress: (@Sendable (Int) -> Void)? = nil
    ) async throws {
        var gone: [String] = []
        for key in keys {
            // A key the relay never makes (a row written by hand) names no file of ours: forgotten, not retried for ever.
            guard AttachmentKey.isValid(key) else {
                gone.append(key)
                continue
            }
            do {
                try await support.store.delete(key: key)
                gone.append(key)
                removal.removed += 1
                progress?(removal.removed)
            } catch {
                removal.failed += 1
                if removal.firstError == nil { removal.firstError = "\(error)" }
            }
        }
        let forgotten = gone
        let window = support.configuration.uploadURLLifetime.seconds + Self.uploadMargin
        try await pool.withConnection { db in try AttachmentRepository.forgetGarbage(db, keys: forgotten, uploadWindow: window) }
    }

    /// How long past its URL's expiry an upload may still arrive: S3 checks the expiry when a request starts, and a
    /// large file on a slow link takes a while.
    static let uploadMargin = 3600.0

    func requireAttachments() throws -> AttachmentSupport {
        guard let attachments else { throw ServiceError.attachmentsNotConfigured }
        return attachments
    }
}

extension Duration {
    /// The duration in seconds, fractions included.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}

extension Timestamp {
    init(_ date: Date) {
        self.init(microsecondsSinceEpoch: Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))
    }
}
