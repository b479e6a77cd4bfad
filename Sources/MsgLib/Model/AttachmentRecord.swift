import Foundation

/// An upload as the relay keeps it: whose it is, where its file is, what was declared, and the message it belongs to
/// once attached.
package struct AttachmentRecord: Sendable, Equatable {
    /// Where an upload is in its life.
    package enum State: String, Sendable {
        /// Created (and perhaps uploaded), not attached to a message yet.
        case pending
        /// Part of a message.
        case attached
        /// Its message was deleted and its file removed.
        case purged
    }

    package var id: UUID
    package var ownerId: UUID
    package var conversationId: UUID?
    package var messageId: UUID?
    package var storeKey: String
    package var filename: String
    package var contentType: String
    package var size: Int
    package var width: Int?
    package var height: Int?
    package var state: State
    package var createdAt: Timestamp
    package var attachedAt: Timestamp?
    /// When its file was found in the store as declared (nil until then): a store never replaces an uploaded file, so
    /// a send with it need not look again.
    package var checkedAt: Timestamp? = nil
    /// Why a send with it was refused once its file was found unlike what was declared (nil: never): a store never
    /// replaces an uploaded file, so it can never be sent, and a send with it is refused without asking the store again.
    package var refused: String? = nil

    /// What messages show of it.
    package var info: MessageAttachment {
        MessageAttachment(id: id, filename: filename, contentType: contentType, size: size, width: width, height: height)
    }
}

/// What a client needs to upload a new attachment (`POST /api/attachments`).
package struct AttachmentUpload: Sendable, Equatable {
    package var id: UUID
    package var transfer: AttachmentTransfer
    package var expiresAt: Timestamp
}
