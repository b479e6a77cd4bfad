import Foundation

/// A frame a client sends, parsed and checked. A failure carries the `error` frame's code and message.
package enum ClientFrame: Sendable, Equatable {
    case sendMessage(conversationId: UUID?, content: String)
    case markRead(messageIds: [UUID])
    case typing(conversationId: UUID, isTyping: Bool)
    case ping
    case resume(lastMessageId: UUID)

    package struct Invalid: Error, Equatable {
        package var code: String
        package var message: String
    }

    private struct Head: Decodable { var type: String }
    private struct Body<T: Decodable>: Decodable { var data: T }
    private struct SendData: Decodable {
        var conversation_id: UUIDField?
        var content: String
    }
    private struct ReadData: Decodable { var message_ids: [UUIDField] }
    private struct TypingData: Decodable {
        var conversation_id: UUIDField
        var is_typing: Bool
    }
    private struct ResumeData: Decodable { var last_message_id: UUIDField }

    package static func parse(_ text: String) -> Result<ClientFrame, Invalid> {
        // The heartbeat is most of the traffic: recognise it without a JSON parser.
        if text == #"{"type":"ping"}"# || text == #"{"type": "ping"}"# { return .success(.ping) }
        let bytes = Data(text.utf8)
        let decoder = JSONDecoder()
        let notAnObject = Invalid(code: "invalid_json", message: "Frames must be JSON objects")
        do {
            let head = try decoder.decode(Head.self, from: bytes)
            switch head.type {
            case "send_message":
                let data = try decoder.decode(Body<SendData>.self, from: bytes).data
                return .success(.sendMessage(conversationId: data.conversation_id?.value, content: data.content))
            case "mark_read":
                let ids = try decoder.decode(Body<ReadData>.self, from: bytes).data.message_ids.map(\.value)
                guard !ids.isEmpty, ids.count <= 1000 else {
                    return .failure(Invalid(code: "invalid_request", message: "data.message_ids must hold 1 to 1000 message ids"))
                }
                return .success(.markRead(messageIds: ids))
            case "typing":
                let data = try decoder.decode(Body<TypingData>.self, from: bytes).data
                return .success(.typing(conversationId: data.conversation_id.value, isTyping: data.is_typing))
            case "ping":
                return .success(.ping)
            case "resume":
                return .success(.resume(lastMessageId: try decoder.decode(Body<ResumeData>.self, from: bytes).data.last_message_id.value))
            default:
                return .failure(Invalid(code: "unknown_type", message: "Unknown frame type \"\(head.type)\""))
            }
        } catch let error as DecodingError {
            if error.isTopLevel { return .failure(notAnObject) }
            return .failure(Invalid(code: "invalid_request", message: error.fieldProblem ?? "Invalid frame"))
        } catch {
            return .failure(Invalid(code: "invalid_request", message: "Invalid frame"))
        }
    }
}
