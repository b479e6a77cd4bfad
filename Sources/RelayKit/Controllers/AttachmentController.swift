import Foundation
import Hummingbird
import MsgLib

/// `/api/attachments`: declare an upload (and get where to send its file), and download an attached file.
struct AttachmentController {
    let service: MessagingService

    func addRoutes(to group: RouterGroup<RelayRequestContext>) {
        group.post("attachments", use: create)
        group.get("attachments/:id", use: download)
        group.get("attachments/:id/url", use: downloadURL)
    }

    struct CreateBody: Decodable {
        var filename: String
        var content_type: String
        var size: Int
    }

    struct CreatedResponse: Encodable {
        var id: String
        var upload: AttachmentTransfer
        var expires_at: Timestamp
    }

    @Sendable func create(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let viewer = try context.requireUser()
        let body = try await request.decodeJSON(CreateBody.self, context: context)
        do {
            let upload = try await service.createAttachment(viewer: viewer, filename: body.filename, contentType: body.content_type, size: body.size)
            return .json(CreatedResponse(id: upload.id.lowercasedString, upload: upload.transfer, expires_at: upload.expiresAt), status: .created)
        } catch let problem as AttachmentPolicy.Problem {
            switch problem {
            case .invalid(let message): throw APIError(.badRequest, message)
            case .tooLarge(let message): throw APIError(.contentTooLarge, message)
            case .unsupportedType(let message): throw APIError(.unsupportedMediaType, message)
            }
        }
    }

    struct DownloadURLResponse: Encodable {
        var url: String
        var expires_at: Timestamp
    }

    /// The store's short-lived URL of the file, for a page to fetch itself: a page on another origin than the relay's
    /// cannot follow the redirect of ``download(_:context:)`` to a bucket, whose CORS rule then sees `Origin: null`.
    @Sendable func downloadURL(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let viewer = try context.requireUser()
        let download = try await service.attachmentDownload(viewer: viewer, id: try context.uuidParameter("id", label: "attachment id"))
        return .json(DownloadURLResponse(url: download.target.url, expires_at: download.expiresAt), headers: [.cacheControl: "no-store"])
    }

    /// The file itself from the local store; a redirect to the store's short-lived URL otherwise.
    @Sendable func download(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let viewer = try context.requireUser()
        let id = try context.uuidParameter("id", label: "attachment id")
        let download = try await service.attachmentDownload(viewer: viewer, id: id)
        if let local = service.attachments?.local {
            var response = try await LocalFileResponse.serve(
                local, key: download.storeKey, contentType: download.attachment.contentType,
                filename: AttachmentFilename(sanitizing: download.attachment.filename), inline: download.inline, context: context)
            // The file counts among the user's requests under way until it is sent: a user cannot hold the relay's files and
            // connections with slow downloads beyond their limit.
            if let place = context.requestPlace { response.body = place.holding(response.body) }
            return response
        }
        // The store's URL forces the type and disposition; nosniff cannot be put in a presigned URL, so it is said here.
        return Response(
            status: .found, headers: [.location: download.target.url, .cacheControl: "no-store", .xContentTypeOptions: "nosniff"])
    }
}
