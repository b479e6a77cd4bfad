import Foundation

/// Where a client stands in the stream of messages, as the `cursor` of a `message` or `replayed` frame says:
/// it has every message visible in ``base``, and of the messages visible in ``end`` but not in ``base``, every one
/// whose id is at most ``lastId`` (all of them when ``lastId`` is nil).
///
/// The relay delivers messages in batches, one per snapshot: batch n holds the messages visible in snapshot n but
/// not in snapshot n-1, in id order. The frame of each carries (n-1, n, its id). Resuming from it replays the rest of
/// that batch and everything visible since: exactly what the client does not have.
public struct ResumeCursor: Sendable, Hashable {
    public var base: CommitSnapshot
    public var end: CommitSnapshot
    public var lastId: UUID?

    public init(base: CommitSnapshot, end: CommitSnapshot, lastId: UUID?) {
        self.base = base
        self.end = end
        self.lastId = lastId
    }

    /// The cursor of a client that has every message visible in `snapshot`.
    public init(complete snapshot: CommitSnapshot) {
        self.init(base: snapshot, end: snapshot, lastId: nil)
    }

    /// The cursor of message `id` (stored by `txid`) replayed from this one up to `upTo`: the rest of this cursor's
    /// batch comes first (cursors within it), then what `upTo` adds (cursors from the batch's end).
    public func replaying(txid: UInt64?, id: UUID, upTo: CommitSnapshot) -> ResumeCursor {
        end.shows(txid: txid, id: id) ? ResumeCursor(base: base, end: end, lastId: id) : ResumeCursor(base: end, end: upTo, lastId: id)
    }

    /// True when a client at this cursor has the message stored by `txid` with `id`.
    public func has(txid: UInt64?, id: UUID) -> Bool {
        if base.shows(txid: txid, id: id) { return true }
        guard end.shows(txid: txid, id: id) else { return false }
        guard let lastId else { return true }
        return !UUID.precedes(lastId, id)
    }

    /// The text clients store and send back: `base~end~id` (the id as 32 hex digits, empty when complete).
    public var token: String {
        base.token + "~" + end.token + "~" + (lastId?.compactHex ?? "")
    }

    /// Parses ``token``; nil for anything else.
    public init?(token: some StringProtocol) {
        guard token.count <= 400_000 else { return nil }
        let parts = token.split(separator: "~", omittingEmptySubsequences: false)
        guard parts.count == 3, let base = CommitSnapshot(token: parts[0]), let end = CommitSnapshot(token: parts[1]) else { return nil }
        var lastId: UUID?
        if !parts[2].isEmpty {
            let hex = parts[2]
            guard hex.count == 32, hex.allSatisfy(\.isHexDigit) else { return nil }
            let s = String(hex)
            let dashed = [s.prefix(8), s.dropFirst(8).prefix(4), s.dropFirst(12).prefix(4), s.dropFirst(16).prefix(4), s.dropFirst(20)]
                .joined(separator: "-")
            guard let id = UUID(uuidString: dashed) else { return nil }
            lastId = id
        }
        self.init(base: base, end: end, lastId: lastId)
    }
}

/// Where a reconnecting client resumes: after a ``ResumeCursor`` (exact), or after a message id (the older form:
/// every message with a greater id, which can miss one committed late in another conversation).
public enum ResumePoint: Sendable, Equatable {
    case cursor(ResumeCursor)
    case messageId(UUID)

    /// Parses the `cursor` or `last_message_id` a client sent; `cursor` wins when both are given.
    /// - Throws: the message of the `invalid_request` error for a malformed value.
    public static func parse(cursor: String?, lastMessageId: String?) throws(ResumePointError) -> ResumePoint? {
        if let cursor {
            guard let parsed = ResumeCursor(token: cursor) else { throw ResumePointError(message: "cursor is not a cursor this server issued") }
            return .cursor(parsed)
        }
        if let lastMessageId {
            guard let id = UUID(uuidString: lastMessageId) else { throw ResumePointError(message: "last_message_id must be a UUID") }
            return .messageId(id)
        }
        return nil
    }
}

/// A malformed resume point; `message` is the `error` frame's.
public struct ResumePointError: Error, Equatable {
    public var message: String
}
