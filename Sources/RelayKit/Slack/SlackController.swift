import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MsgLib
import NIOCore

/// `/api/slack/events`, `/api/slack/interactions` and `/api/slack/commands`: the requests Slack sends in app mode.
///
/// Every request is checked before anything else reads it: the body is read up to a small limit (Slack's payloads are
/// small) and its `X-Slack-Signature` verified on the raw bytes with the signing secret; a failure is a 401, logged
/// without the body. Each route answers within Slack's 3 seconds:
/// - events are stored in the inbox (``SlackInboxWorker`` handles them afterwards) and acknowledged with 200 once
///   stored; when the database cannot store one within ``storeLimit`` the answer is 503, and Slack delivers the event
///   again (its retries carry the same `event_id`, stored once);
/// - a button or a command that takes longer than ``answerLimit`` is answered at the limit and finishes by itself.
/// Without Slack app mode configured the routes answer 404.
struct SlackController {
    let service: MessagingService
    /// Woken when an event is stored; nil where no worker runs (the worker's periodic look finds the event then).
    let inbox: SlackInboxWorker?
    /// Sends ephemeral answers to `response_url`s (one HTTP client for every request).
    let responder: SlackResponder?
    /// Counts the messages sent with a command.
    let metrics: MessageMetrics?
    /// Bounds the memory that bodies not verified yet hold.
    let unverified: UnverifiedBodies

    init(service: MessagingService, inbox: SlackInboxWorker?, metrics: MessageMetrics? = nil, unverified: UnverifiedBodies = UnverifiedBodies()) {
        self.service = service
        self.metrics = metrics
        self.unverified = unverified
        self.inbox = inbox
        self.responder = service.notifications.slackSigningSecret.map { _ in SlackResponder(apiBase: service.notifications.slackAPIBase) }
    }

    /// The most bytes an event may have: a reply's text comes twice (`text` and its `rich_text` blocks), up to
    /// Slack's 40,000 characters, beyond ASCII as `\uXXXX`.
    static let eventBodyLimit = 1024 * 1024
    /// The most bytes a slash command may have.
    static let commandBodyLimit = 64 * 1024
    /// The most bytes an interaction may have (its payload repeats the whole parent message).
    static let interactionBodyLimit = 128 * 1024
    /// How long storing an event may take before the answer says Slack should retry.
    static let storeLimit = Duration.seconds(2)
    /// The statement timeout of the insert that stores an event.
    static let storeStatementTimeout = Duration.milliseconds(1500)
    /// How long a button or a command may take before it is answered anyway.
    static let answerLimit = Duration.milliseconds(2500)

    func addRoutes(to router: Router<RelayRequestContext>) {
        router.post("api/slack/events", use: events)
        router.post("api/slack/interactions", use: interactions)
        router.post("api/slack/commands", use: commands)
    }

    /// The signing secret, or 404 when app mode is off.
    var signingSecret: String {
        get throws {
            guard let secret = service.notifications.slackSigningSecret else {
                throw APIError(.notFound, "Slack app mode is not configured (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_CHANNEL_ID)")
            }
            return secret
        }
    }

    /// The raw body, once its signature is verified.
    /// - Throws: 413 beyond `limit`, 401 for a missing, stale or wrong signature.
    func verifiedBody(_ request: Request, context: RelayRequestContext, limit: Int, secret: String) async throws -> [UInt8] {
        // Headers that cannot belong to a request of Slack's are refused before the body is read.
        do {
            _ = try SlackSignature.checkHeaders(
                timestamp: request.headers[.slackRequestTimestamp], signature: request.headers[.slackSignature],
                now: Int64(Date().timeIntervalSince1970))
        } catch {
            refused(request, context: context, reason: error)
            throw APIError(.unauthorized, "Invalid Slack signature")
        }
        let body = try await unverifiedBody(request, limit: limit)
        do {
            try SlackSignature(signingSecret: secret).verify(
                timestamp: request.headers[.slackRequestTimestamp], signature: request.headers[.slackSignature], body: body,
                now: Int64(Date().timeIntervalSince1970))
        } catch {
            refused(request, context: context, reason: error)
            throw APIError(.unauthorized, "Invalid Slack signature")
        }
        return body
    }

    /// The body of a request whose signature is not checked yet. Anyone can send the headers: such bodies share a
    /// bound (``UnverifiedBodies``), counted as their bytes arrive, so that a client sending slowly holds only what it
    /// sent (for `HTTP_BODY_TIMEOUT_SECONDS` at most). The body is read in the handler's own task: the connection reads the
    /// next request from the same stream once the handler returns.
    /// - Throws: 413 beyond `limit` (declared or read), 503 when the bound is reached, 400 for a malformed body.
    private func unverifiedBody(_ request: Request, limit: Int) async throws -> [UInt8] {
        let tooLarge = APIError(.contentTooLarge, "Request body too large (at most \(limit / 1024) KiB)")
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit { throw tooLarge }
        var bytes: [UInt8] = []
        defer { unverified.give(bytes.count) }
        do {
            for try await chunk in request.body {
                guard bytes.count + chunk.readableBytes <= limit else { throw tooLarge }
                guard unverified.take(chunk.readableBytes) else {
                    throw APIError(.serviceUnavailable, "Too many Slack requests at once; try again", headers: [.retryAfter: "1"])
                }
                bytes += chunk.readableBytesView
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.badRequest, "Malformed request body")
        }
        return bytes
    }

    /// Logs a refused signature: a warning (someone else than Slack, or a wrong SLACK_SIGNING_SECRET), at most one a
    /// minute with how many were left out, so that a flood of forged requests does not flood the log.
    private func refused(_ request: Request, context: RelayRequestContext, reason: SlackSignatureError) {
        guard let skipped = Self.refusalLog.take(now: ContinuousClock.now) else { return }
        context.logger.warning(
            "Slack request refused", metadata: ["path": "\(request.uri.path)", "reason": "\(reason)", "not_logged_before": "\(skipped)"])
    }

    /// Refusals logged: one a minute.
    static let refusalLog = LogAllowance(interval: .seconds(60))

    @Sendable func events(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let body = try await verifiedBody(request, context: context, limit: Self.eventBodyLimit, secret: try signingSecret)
        let envelope = try Self.badRequest { () throws(SlackRequestError) in try SlackEventEnvelope.parse(body) }
        switch try Self.badRequest({ () throws(SlackRequestError) in try envelope.disposition() }) {
        case .challenge(let challenge):
            return .json(["challenge": challenge])
        case .ignore:
            return .json(["ok": true])
        case .accept(let eventId):
            let payload = String(decoding: body, as: UTF8.self)
            let service = self.service
            let teamId = envelope.teamId
            let stored: Bool?
            do {
                // The workspace is checked within the limit too: it may need the database, which may be slow to answer.
                stored = try await withTimeLimit(Self.storeLimit, cancelLate: true) {
                    guard try await service.takesSlackWorkspace(teamId) else { throw ForeignWorkspace() }
                    return try await service.acceptSlackEvent(eventId: eventId, payload: payload, statementTimeout: Self.storeStatementTimeout)
                }
            } catch is ForeignWorkspace {
                context.logger.warning("Slack event from another workspace ignored", metadata: ["team": "\(teamId ?? "")"])
                return .json(["ok": true])
            } catch let error as DatabaseError {
                context.logger.warning(
                    "a Slack event could not be stored; Slack will send it again", metadata: ["event_id": "\(eventId)", "error": "\(error)"])
                stored = nil
            }
            guard let stored else {
                context.logger.warning("a Slack event was not stored in time; Slack will send it again", metadata: ["event_id": "\(eventId)"])
                throw APIError(.serviceUnavailable, "The event could not be stored now; Slack sends it again")
            }
            if stored { inbox?.wake() }
            return .json(["ok": true])
        }
    }

    @Sendable func interactions(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let body = try await verifiedBody(request, context: context, limit: Self.interactionBodyLimit, secret: try signingSecret)
        let form = try Self.badRequest { () throws(FormBodyError) in try FormBody(body) }
        guard let payload = form["payload"] else { throw APIError(.badRequest, "The form has no payload field") }
        let interaction = try Self.badRequest { () throws(SlackRequestError) in try SlackInteraction.parse(payload) }
        let service = self.service
        let result: MessagingService.SlackActionResult?
        do {
            result = try await withTimeLimit(Self.answerLimit, cancelLate: false) {
                guard try await service.takesSlackWorkspace(interaction.teamId) else { throw ForeignWorkspace() }
                return try await service.slackAction(interaction)
            }
        } catch is ForeignWorkspace {
            context.logger.warning("Slack button from another workspace ignored", metadata: ["team": "\(interaction.teamId ?? "")"])
            // Slack shows no answer to a button: the clicker is told at the response_url, as a user not linked is.
            responder?.post(SlashCommandAnswer.otherWorkspace, to: interaction.responseURL, logger: context.logger)
            return .json(SlackEphemeral(text: SlashCommandAnswer.otherWorkspace))
        } catch let error as ServiceError {
            responder?.post(SlashCommandAnswer.refused(error), to: interaction.responseURL, logger: context.logger)
            throw error
        }
        switch result {
        case .notLinked:
            responder?.post(SlashCommandAnswer.notLinked, to: interaction.responseURL, logger: context.logger)
            return .json(SlackEphemeral(text: SlashCommandAnswer.notLinked))
        case .done(let what):
            context.logger.info("Slack button", metadata: ["action": "\(interaction.action.rawValue)", "result": "\(what)"])
            return .json(["ok": true])
        case .repeated:
            context.logger.info(
                "Slack button", metadata: ["action": "\(interaction.action.rawValue)", "result": "the same click again: nothing done"])
            return .json(["ok": true])
        case nil:
            context.logger.warning(
                "a Slack button took longer than Slack waits; it finishes by itself", metadata: ["action": "\(interaction.action.rawValue)"])
            return .json(["ok": true])
        }
    }

    @Sendable func commands(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let body = try await verifiedBody(request, context: context, limit: Self.commandBodyLimit, secret: try signingSecret)
        let form = try Self.badRequest { () throws(FormBodyError) in try FormBody(body) }
        guard let userId = form["user_id"], SlackEventEnvelope.isPlainIdentifier(userId) else {
            throw APIError(.badRequest, "The form has no valid user_id")
        }
        let command = form["command"].flatMap { $0.isEmpty ? nil : $0 } ?? "/msg"
        let parsed = SlashCommand.parse(form["text"] ?? "")
        let service = self.service
        let metrics = self.metrics
        let teamId = form["team_id"]
        let answer: String?
        do {
            answer = try await withTimeLimit(Self.answerLimit, cancelLate: false) {
                guard try await service.takesSlackWorkspace(teamId) else { throw ForeignWorkspace() }
                var sent = false
                let text = try await service.slashCommand(parsed, slackUserId: userId, command: command, triggerId: form["trigger_id"], sent: &sent)
                // Counted here (not after the time limit): a reply that took longer is counted too, a request sent again not.
                if sent { metrics?.created(.slack) }
                return text
            }
        } catch is ForeignWorkspace {
            context.logger.warning("Slack command from another workspace ignored", metadata: ["team": "\(teamId ?? "")"])
            return .json(SlackEphemeral(text: SlashCommandAnswer.otherWorkspace))
        }
        guard let answer else {
            context.logger.warning("a Slack command took longer than Slack waits; it finishes by itself")
            return .json(
                SlackEphemeral(
                    text: "This is taking longer than Slack waits for an answer. It goes on: check with `\(command) show USER` in a moment."))
        }
        return .json(SlackEphemeral(text: answer))
    }

    /// A request from a workspace the relay does not take (``MessagingService/takesSlackWorkspace(_:)``).
    struct ForeignWorkspace: Error {}

    /// An answer only the Slack user who asked sees.
    struct SlackEphemeral: Encodable {
        var response_type = "ephemeral"
        var text: String
    }

    /// `body`'s value; its error as a 400 that says what is wrong.
    static func badRequest<T, E: Error & CustomStringConvertible>(_ body: () throws(E) -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw APIError(.badRequest, error.description)
        }
    }
}

extension HTTPField.Name {
    static let slackSignature = Self("X-Slack-Signature")!
    static let slackRequestTimestamp = Self("X-Slack-Request-Timestamp")!
}
