import MsgLib

/// What `msgctl tail` does with what the relay sends: which messages to show (new ones, each once), and what to say
/// about the connection. A plain state machine over ``LiveConnection/Event``s, tested without sockets.
///
/// The first socket resumes from where tail started (the database's snapshot then): what was committed since comes
/// with cursors, and is shown. Without that point (the database did not answer), it starts with the admin's unread
/// messages, old ones, sent without cursors; tail shows what arrives after them: it follows from the first `replayed`
/// frame or the first message that carries a cursor (a live one).
/// After a drop, the connection resumes from its cursor and the relay replays what was missed: those are new here, and
/// shown. Ids already shown are remembered (at least the last half of ``rememberedIds``), so none is shown twice.
struct TailFollower: Sendable {
    enum Action: Sendable, Equatable {
        /// Print this message.
        case show(MessageRepresentation)
        /// Tell the person (on standard error) how the connection goes.
        case note(String)
        /// Give up: the relay refuses the admin (a token signed with another secret, an admin no more); retrying
        /// would not help.
        case stop(String)
    }

    /// How many shown ids are remembered against repeats.
    static let rememberedIds = 10_000

    /// Whether the first socket's backlog of unread messages is over.
    private(set) var following = false
    private var connected = false
    private var everConnected = false
    private var shown = Set<String>()
    private var shownOrder: [String] = []

    init() {}

    mutating func handle(_ event: LiveConnection.Event) -> [Action] {
        switch event {
        case .connected:
            defer {
                connected = true
                everConnected = true
            }
            return everConnected && !connected ? [.note("reconnected to the relay")] : []
        case .disconnected(let reason, let retryIn):
            // Once per outage (and at the first failure): not at every attempt.
            defer { connected = false }
            guard connected || !everConnected && retryIn == 1 else { return [] }
            return [.note("relay unreachable (\(reason)); retrying in \(retryIn) s, then less often")]
        case .frame(.message(let message)):
            if !following {
                guard message.representation.cursor != nil else { return [] }
                following = true
            }
            guard remember(message.id) else { return [] }
            return [.show(message.representation)]
        case .frame(.replayed):
            following = true
            return []
        case .frame(.error(let code, let message)) where code == "unauthorized" || code == "forbidden":
            return [.stop("the relay refuses the admin's token: \(message) (\(code))")]
        case .frame(.error(let code, let message)):
            return [.note("relay: \(message) (\(code))")]
        case .frame:
            return []
        }
    }

    /// Records `id` as shown; false when it was already.
    private mutating func remember(_ id: String) -> Bool {
        guard shown.insert(id).inserted else { return false }
        shownOrder.append(id)
        if shownOrder.count > Self.rememberedIds {
            let dropped = shownOrder.count - Self.rememberedIds / 2
            for old in shownOrder.prefix(dropped) { shown.remove(old) }
            shownOrder.removeFirst(dropped)
        }
        return true
    }
}
