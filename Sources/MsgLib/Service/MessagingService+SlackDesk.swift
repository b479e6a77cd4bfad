import Foundation

extension MessagingService {
    /// What a button click from Slack came to.
    package enum SlackActionResult: Sendable, Equatable {
        /// The Slack user is not linked to an admin: nothing was done.
        case notLinked
        /// Done (a description for the log).
        case done(String)
        /// The same click (its `trigger_id`) was carried out before: nothing was done again.
        case repeated
    }

    /// Carries out a click on a parent message's button as the admin the Slack user is linked to, through the same
    /// calls as REST and msgctl, then queues an update of the parent message to show the new state. A click Slack
    /// sends again (the same `trigger_id`: a proxy that resends, a replay within the signature's 5 minutes) is not
    /// carried out again: "mark as read" would mark messages that came since, "archive" undo a later unarchive.
    /// - Throws: the service's refusals (`.notFound` for an unknown conversation...).
    package func slackAction(_ interaction: SlackInteraction) async throws -> SlackActionResult {
        guard interaction.action != .view, let conversationId = interaction.conversationId else { return .done("view: nothing to do") }
        let slackUserId = interaction.slackUserId
        guard let admin = try await pool.withConnection({ db in try Self.linkedAdmin(db, slackUserId: slackUserId) }) else { return .notLinked }
        if let triggerId = interaction.triggerId {
            guard try await pool.withConnection({ db in try SlackTriggerRepository.spend(db, triggerId) }) else { return .repeated }
        }
        let result: String
        do {
            switch interaction.action {
            case .markRead:
                let read = try await bulkRead(viewer: admin, conversationId: conversationId, messageIds: nil)
                result = "marked \(read.count) message(s) read"
            case .archive, .unarchive:
                _ = try await setArchived(viewer: admin, id: conversationId, archived: interaction.action == .archive)
                result = interaction.action == .archive ? "archived" : "unarchived"
            case .view:
                return .done("view: nothing to do")
            }
        } catch {
            // Not carried out: the same click sent again is. Unless the outcome is unknown (the connection was lost,
            // perhaps after the commit): a click carried out twice is worse than one lost.
            if let triggerId = interaction.triggerId, Self.certainlyNotDone(error) {
                try? await pool.withConnection { db in try SlackTriggerRepository.unspend(db, triggerId) }
            }
            throw error
        }
        try await refreshSlackParent(conversationId: conversationId)
        return .done(result)
    }

    /// True when `error` says the work it interrupted was not committed: a refusal, or an error the server reported
    /// for a statement (the transaction rolled back). Not when the connection was lost, perhaps after the commit.
    static func certainlyNotDone(_ error: any Error) -> Bool {
        if error is ServiceError { return true }
        guard let error = error as? DatabaseError, let state = error.sqlState else { return false }
        return !state.hasPrefix("08") && !state.hasPrefix("57P")
    }

    /// Whether a request from Slack's workspace `teamId` is taken: the relay's workspace (SLACK_TEAM_ID, or the
    /// installation's; the signing secret is the app's, the same in every workspace the app is in) or, when it knows
    /// none, any. A request that names no workspace is taken.
    package func takesSlackWorkspace(_ teamId: String?) async throws -> Bool {
        guard let teamId else { return true }
        let expected: String?
        if let app = notifications.slackApp {
            expected = app.teamId
        } else if notifications.slackAppFromInstallation {
            expected = try await pool.withConnection { db in try SlackInstallationRepository.current(db)?.teamId }
        } else {
            expected = nil
        }
        return expected.map { $0 == teamId } ?? true
    }

    /// Runs a `/msg` slash command as the admin Slack user `slackUserId` is linked to, and returns the answer (mrkdwn).
    /// The service's refusals (an unknown user, content too long...) become answers; an unlinked Slack user is told so
    /// and nothing happens. `help` and the usage need no link.
    /// - Parameter command: the command's name as Slack sent it (`/msg`), for the usage.
    /// - Parameter triggerId: Slack's id of this invocation (`trigger_id`): a reply sent with it once is not sent again
    ///   when the same request comes again (resent by a proxy, or replayed within the signature's 5 minutes).
    /// - Parameter sent: set to true when the command sent a message (not when it answered a request sent again).
    package func slashCommand(
        _ parsed: SlashCommand, slackUserId: String, command: String, triggerId: String? = nil, sent: inout Bool
    ) async throws -> String {
        sent = false
        switch parsed {
        case .help: return SlashCommandAnswer.usage(problem: nil, command: command)
        case .usage(let problem): return SlashCommandAnswer.usage(problem: problem, command: command)
        default: break
        }
        guard let admin = try await pool.withConnection({ db in try Self.linkedAdmin(db, slackUserId: slackUserId) }) else {
            return SlashCommandAnswer.notLinked
        }
        do {
            switch parsed {
            case .list:
                let (listings, total) = try await listConversations(viewer: admin, page: 1, limit: SlashCommandAnswer.listLimit, unreadOnly: true)
                return SlashCommandAnswer.list(listings, total: total)
            case .show(let name):
                try Self.requireNoNul(name, "The user")
                let (conversation, user) = try await resolveConversation(name)
                let (messages, total) = try await listMessages(
                    viewer: admin, conversationId: conversation.id, page: PageRequest(page: 1, limit: SlashCommandAnswer.showLimit))
                return SlashCommandAnswer.show(conversation: conversation, user: user, messages: messages, total: total)
            case .reply(let name, let text):
                let content = Self.slackContent(text)
                try Self.validateContent(content)
                try Self.requireNoNul(name, "The user")
                let (conversation, user) = try await resolveConversation(name)
                let key = triggerId.flatMap { try? ClientKey.header("slack-command:" + $0) }
                sent = !(try await sendMessage(viewer: admin, conversationId: conversation.id, content: content, clientKey: key, source: .slack))
                    .replayed
                return SlashCommandAnswer.sent(to: user)
            case .search(let query):
                let plain = SlackMrkdwn.plainText(query)
                let (hits, total) = try await search(viewer: admin, query: plain, options: SearchOptions(limit: SlashCommandAnswer.searchLimit))
                return SlashCommandAnswer.search(query: plain, hits: hits, total: total)
            case .help, .usage:
                return SlashCommandAnswer.usage(problem: nil, command: command)
            }
        } catch let error as ServiceError {
            return SlashCommandAnswer.refused(error)
        }
    }
}
