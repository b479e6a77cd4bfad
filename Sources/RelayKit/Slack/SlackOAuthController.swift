import Hummingbird
import MsgLib

/// `GET /api/slack/install` and `GET /api/slack/oauth/callback`: the Slack app's OAuth install.
///
/// The install is started by an admin (bearer token, or `?token=` since it is opened in a browser) and answers with
/// a redirect to Slack; the callback is where Slack sends that browser back, so it needs no token (the signed state
/// and its cookie stand for the admin) and answers with a small HTML page.
struct SlackOAuthController {
    let service: MessagingService
    let installer: SlackInstaller?

    /// Routes outside the bearer-token group: both are opened by a browser.
    func addRoutes(to router: Router<RelayRequestContext>) {
        router.get("api/slack/install", use: install)
        router.get("api/slack/oauth/callback", use: callback)
    }

    @Sendable func install(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let user = try await service.authenticate(token: request.bearerToken ?? request.queryString("token"))
        guard let installer else { throw APIError(.notFound, SlackInstallError.notConfigured.message) }
        let start = try installer.start(admin: user)
        var headers = SlackOAuthPage.securityHeaders
        headers[.location] = start.location
        headers[.setCookie] = start.cookie
        context.logger.info("slack install started", metadata: ["admin": "\(user.id.lowercasedString)"])
        return Response(status: .found, headers: headers)
    }

    @Sendable func callback(_ request: Request, context: RelayRequestContext) async throws -> Response {
        guard let installer else { return SlackOAuthPage.failure(SlackInstallError.notConfigured) }
        let received = SlackInstaller.Callback(
            state: request.queryString("state"), code: request.queryString("code"), error: request.queryString("error"),
            cookie: request.cookies[SlackInstaller.cookieName]?.value)
        do {
            let installation = try await installer.finish(received)
            context.logger.info(
                "slack installation stored", metadata: ["team": "\(installation.teamId)", "channel": "\(installation.channelId)"])
            return SlackOAuthPage.success(installation)
        } catch {
            context.logger.notice("slack install refused", metadata: ["status": "\(error.status)", "reason": "\(error.message)"])
            return SlackOAuthPage.failure(error)
        }
    }
}
