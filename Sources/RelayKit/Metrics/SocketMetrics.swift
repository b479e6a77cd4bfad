import MsgLib
import Prometheus

/// The WebSocket side of ``RelayMetrics``: frames in and out by type, sockets opened and ended, resumes and the
/// messages replays carried. Every label value is known in advance, so each series exists (at 0) from the start and a
/// count is one atomic add.
package final class SocketMetrics: Sendable {
    /// The types of frame a client sends, as counted: `invalid` for text that is no frame, `binary` for binary frames.
    static let inboundTypes = ["ping", "send_message", "mark_read", "typing", "resume", "invalid", "binary"]
    /// The types of frame the relay sends (``ServerFrame/type``).
    static let outboundTypes = ["connected", "message", "message_read", "typing", "pong", "error", "message_sent", "replayed"]
    /// Who ended a socket.
    enum Initiator: String, CaseIterable {
        /// The client, with a close frame (a tab closed, a page left, a client's own reconnect).
        case client
        /// Nobody said so: the TCP connection ended without a close frame (a network drop, a proxy's timeout, a
        /// client killed).
        case network
        /// The relay, with a close code (shutdown, limits, an expired token, the idle timeout).
        case server
    }

    private let framesIn: [String: Counter]
    private let framesOut: [String: Counter]
    private let opened: Counter
    private let disconnects: [Initiator: Counter]
    private let resumes: Counter
    private let replayed: [ReplayKind: Counter]

    /// Why messages were replayed to a socket.
    enum ReplayKind: String, CaseIterable {
        /// The client named where it stands (a cursor or a last message id, on connecting or in a `resume` frame).
        case resume
        /// A fresh socket got the messages it has not read.
        case unread
    }

    init(registry: PrometheusCollectorRegistry) {
        framesIn = registry.counters(
            "msgrelay_websocket_frames_received_total", label: "type", Self.inboundTypes, help: "WebSocket frames received from clients, by type")
        framesOut = registry.counters(
            "msgrelay_websocket_frames_sent_total", label: "type", Self.outboundTypes, help: "WebSocket frames queued for clients, by type")
        opened = registry.makeCounter(name: "msgrelay_websocket_connections_opened_total", help: "WebSocket connections accepted")
        disconnects = registry.counters(
            "msgrelay_websocket_disconnects_total", label: "initiator", Initiator.allCases, value: \.rawValue,
            help: "WebSocket connections ended, by who ended them (client: a close frame; network: no close frame; server: the relay)")
        resumes = registry.makeCounter(
            name: "msgrelay_websocket_resumes_total", help: "Replays from a position a client named (a cursor or a last message id)")
        replayed = registry.counters(
            "msgrelay_websocket_replayed_messages_total", label: "replay", ReplayKind.allCases, value: \.rawValue,
            help: "Messages sent by replays: resume (what a resuming client lacked) or unread (a fresh socket's unread messages)")
    }

    /// Counts a frame received; a type not listed counts as `invalid`.
    func received(_ type: String) {
        (framesIn[type] ?? framesIn["invalid"])?.increment()
    }

    /// Counts `count` frames of `type` queued for a client.
    func sent(_ type: String, count: Int = 1) {
        framesOut[type]?.increment(by: Int64(count))
    }

    /// Counts a socket accepted.
    func connectionOpened() { opened.increment() }

    /// Counts a socket ended by `initiator`.
    func disconnected(_ initiator: Initiator) {
        disconnects[initiator]?.increment()
    }

    /// Counts a replay of `messages` messages; `kind` says why.
    func replayed(_ messages: Int, kind: ReplayKind) {
        if kind == .resume { resumes.increment() }
        replayed[kind]?.increment(by: Int64(messages))
    }
}
