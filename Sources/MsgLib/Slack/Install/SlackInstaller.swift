import Foundation

/// The OAuth install of the Slack app: the link to Slack's authorize page, and the callback that checks the state,
/// exchanges the code and stores the installation with its token encrypted.
///
/// Only an admin starts an install (the state names them); the callback is protected by the state: signed with a
/// key derived from SLACK_TOKEN_KEY, expiring, bound to a cookie set in the browser that started it, and spent in
/// the database on first use. Nothing is stored unless every check and Slack's whole answer pass.
package struct SlackInstaller: Sendable {
    /// The cookie that binds a state to the browser that started the install.
    package static let cookieName = "msgrelay_slack_oauth"
    /// The path the cookie is sent to.
    package static let cookiePath = "/api/slack/oauth"
    /// What the state's HMAC key is derived from SLACK_TOKEN_KEY for (HKDF info).
    package static let statePurpose = "msgrelay slack oauth state v1"

    package let configuration: SlackOAuthConfiguration
    let sealer: SecretSealer
    let pool: DatabasePool
    let client: HTTPClient
    private let stateKey: [UInt8]
    /// Whether a new installation turns Slack app mode on (SLACK_BOT_TOKEN, which would win, is unset).
    private let setsAppMode: Bool

    /// An installer, or nil when the install is not configured (no SLACK_CLIENT_ID or no SLACK_TOKEN_KEY).
    package init?(notifications: NotificationConfiguration, pool: DatabasePool) {
        guard let configuration = notifications.slackOAuth, let sealer = notifications.slackTokenSealer,
            let stateKey = try? sealer.derivedKey(purpose: Self.statePurpose)
        else { return nil }
        self.configuration = configuration
        self.sealer = sealer
        self.pool = pool
        self.stateKey = stateKey
        self.setsAppMode = notifications.slackAppFromInstallation
        // The API base is configuration, not user input: http is allowed for a local Slack stand-in.
        self.client = HTTPClient(configuration: .init(allowInsecure: true, maxResponseBodyBytes: 64 * 1024, maxIdleSessions: 1))
    }

    /// The start of an install by `admin`: where to send the browser and the cookie to set.
    package struct Start: Sendable {
        package var location: String
        package var state: SlackOAuthState
        /// The `Set-Cookie` value binding the state to this browser.
        package var cookie: String
    }

    /// Starts an install for `admin`.
    /// - Throws: ``ServiceError/adminRequired`` when `admin` is not an admin.
    package func start(admin: User, now: Int64 = Self.now()) throws -> Start {
        guard admin.isAdmin else { throw ServiceError.adminRequired }
        let lifetime = max(1, configuration.stateLifetime.components.seconds)
        let state = SlackOAuthState.fresh(adminId: admin.id, now: now, lifetime: lifetime)
        let secure = configuration.redirectURL.hasPrefix("https:") ? "; Secure" : ""
        return Start(
            location: configuration.authorizeLocation(state: state.signed(key: stateKey)), state: state,
            cookie: "\(Self.cookieName)=\(state.nonceText); Path=\(Self.cookiePath); Max-Age=\(lifetime); HttpOnly; SameSite=Lax\(secure)")
    }

    /// The `Set-Cookie` value that removes the binding cookie.
    package static let clearCookie = "\(cookieName)=; Path=\(cookiePath); Max-Age=0; HttpOnly; SameSite=Lax"

    /// What Slack sent the browser back with.
    package struct Callback: Sendable {
        package var state: String?
        package var code: String?
        package var error: String?
        /// The value of the browser's binding cookie.
        package var cookie: String?

        package init(state: String?, code: String?, error: String?, cookie: String?) {
            self.state = state
            self.code = code
            self.error = error
            self.cookie = cookie
        }
    }

    /// Completes an install: checks the state, spends it, exchanges the code and stores the installation.
    /// - Throws: ``SlackInstallError`` for every refusal, with the status of the page that says so.
    package func finish(_ callback: Callback, now: Int64 = Self.now()) async throws(SlackInstallError) -> SlackInstallation {
        let state: SlackOAuthState
        do {
            state = try SlackOAuthState.verify(callback.state, key: stateKey, now: now)
        } catch {
            throw SlackInstallError(400, "Refused: \(error.description); start the install again")
        }
        guard let cookie = callback.cookie, LibCrypto.constantTimeEquals(Array(cookie.utf8), Array(state.nonceText.utf8)) else {
            throw .otherBrowser
        }
        let admin: User?
        do {
            admin = try await pool.withTransaction { db in
                guard try SlackInstallationRepository.spendNonce(db, state.nonceText, expiresAt: state.expiresAt) else { return nil as User? }
                return try UserRepository.find(db, id: state.adminId)
            }
        } catch {
            throw SlackInstallError(503, "The database is unavailable: try again")
        }
        // A spent nonce and a deleted admin both read as nil; the spent one is the likely case.
        guard let admin else { throw .reused }
        guard admin.isAdmin else { throw .notAdmin }
        if callback.error != nil { throw .cancelled }
        guard let code = callback.code, (1...512).contains(code.utf8.count), code.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw .noCode
        }
        let access = try await exchange(code: code)
        guard let channelId = access.channelId ?? configuration.fallbackChannelId else { throw .noChannel }
        let sealed: [UInt8]
        do {
            sealed = try sealer.seal(Array(access.botToken.utf8), aad: SlackInstallation.tokenAAD(teamId: access.teamId))
        } catch {
            throw SlackInstallError(500, "The token could not be encrypted")
        }
        let installation = SlackInstallation(
            teamId: access.teamId, teamName: access.teamName, botUserId: access.botUserId, botTokenSealed: sealed, tokenKeyId: sealer.keyId,
            channelId: channelId, channelName: access.channelId == nil ? nil : access.channelName, scopes: access.scopes, appId: access.appId,
            installedBy: admin.id, installedByUsername: admin.username, installedBySlackUser: access.authedUserId, installedAt: Timestamp.now())
        let stored: SlackInstallation
        do {
            stored = try await pool.withTransaction { [setsAppMode] db in
                let stored = try SlackInstallationRepository.replace(db, installation)
                if setsAppMode { try SlackThreadRepository.setAppMode(db, channelId: stored.channelId) }
                return stored
            }
        } catch {
            throw SlackInstallError(503, "The installation could not be stored: try again")
        }
        return stored
    }

    /// POSTs the code to `oauth.v2.access`, the client credentials in HTTP Basic as Slack prefers.
    private func exchange(code: String) async throws(SlackInstallError) -> SlackOAuthAccess {
        let credentials = Base64URL.standard(Array("\(configuration.clientId):\(configuration.clientSecret)".utf8))
        let body = FormBody.encode([("code", code), ("redirect_uri", configuration.redirectURL)])
        let request = HTTPClient.Request(
            url: configuration.accessURL, method: .post,
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Authorization", "Basic \(credentials)")],
            body: Array(body.utf8), timeout: configuration.exchangeTimeout)
        let response: HTTPClient.Response
        do {
            response = try await client.send(request)
        } catch {
            throw SlackInstallError(502, error.kind == .timeout ? "Slack did not answer in time: try again" : "Slack could not be reached: try again")
        }
        do {
            return try SlackOAuthAccess.parse(status: response.status, body: response.body, truncated: response.bodyTruncated)
        } catch {
            throw SlackInstallError(502, error.description)
        }
    }

    /// The current time in Unix seconds.
    package static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }
}
