/// The surface a message came in on, stored with it (`messages.source`; none for messages older than the column).
/// The relays count messages created by source (`msgrelay_messages_created_total`).
public enum MessageSource: String, CaseIterable, Sendable {
    /// `POST /api/messages` or a conversation's initial message.
    case rest
    /// A `send_message` frame.
    case websocket
    /// A reply in Slack (a thread reply or a slash command).
    case slack
    /// msgctl: `reply` or the REPL.
    case msgctl
}
