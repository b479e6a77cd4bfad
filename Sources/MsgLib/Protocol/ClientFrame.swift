import Foundation

/// A frame a client sends: clients build it and send ``json``, the relay checks it with ``parse(_:)``.
package enum ClientFrame: Sendable, Equatable {
    /// `clientId`: the client's own id for this send; a second send with it makes no second message.
    case sendMessage(conversationId: UUID?, content: String, attachmentIds: [UUID] = [], clientId: UUID? = nil)
    case markRead(messageIds: [UUID])
    case typing(conversationId: UUID, isTyping: Bool)
    case ping
    case resume(ResumePoint)
    /// Adds (`add`) or removes the sender's reaction `emoji` on a message.
    case reaction(messageId: UUID, emoji: String, add: Bool)

    /// Why a frame was refused: the `error` frame's code and message.
    package struct Invalid: Error, Equatable {
        package var code: String
        package var message: String
        /// The `client_id` of a refused `send_message` whose id could be read: the refusal answers it.
        package var clientId: UUID? = nil
    }

    /// How many ids one `mark_read` frame may hold.
    package static let markReadLimit = 1000

    /// True for the heartbeat as clients send it, recognised without a JSON parser (it is most of the traffic).
    package static func isPing(_ text: String) -> Bool {
        text == #"{"type":"ping"}"# || text == #"{"type": "ping"}"#
    }

    /// Parses and checks a frame's text; a failure carries the `error` frame's code and message.
    package static func parse(_ text: String) -> Result<ClientFrame, Invalid> {
        if isPing(text) { return .success(.ping) }
        var invalid: Invalid
        do {
            return .success(try JSONDecoder().decode(ClientFrame.self, from: Data(text.utf8)))
        } catch let refused as Invalid {
            invalid = refused
        } catch let error as DecodingError {
            if error.isTopLevel { return .failure(Invalid(code: "invalid_json", message: "Frames must be JSON objects")) }
            invalid = Invalid(code: "invalid_request", message: error.fieldProblem ?? "Invalid frame")
        } catch {
            invalid = Invalid(code: "invalid_request", message: "Invalid frame")
        }
        invalid.clientId = SendClientId.of(text)
        return .failure(invalid)
    }

    /// The frame as JSON text.
    package var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}
