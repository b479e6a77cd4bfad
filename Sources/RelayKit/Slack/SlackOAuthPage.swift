import Hummingbird
import MsgLib

/// The small HTML pages the OAuth callback shows; every value in them is HTML-escaped.
enum SlackOAuthPage {
    /// Sent with every install response: not cached, no referrer, no script or resource of any kind.
    static let securityHeaders: HTTPFields = [
        .cacheControl: "no-store",
        .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'",
        .init("Referrer-Policy")!: "no-referrer",
        .init("X-Content-Type-Options")!: "nosniff",
    ]

    /// The page after a stored installation.
    static func success(_ installation: SlackInstallation) -> Response {
        let channel = installation.channelName.map { $0.hasPrefix("#") ? $0 : "#" + $0 } ?? installation.channelId
        return page(
            status: .ok, title: "Slack app installed",
            lines: [
                "The app is installed in the workspace \(installation.teamName) (\(installation.teamId)).",
                "New messages are posted in \(channel) by the bot user \(installation.botUserId).",
                "You can close this page.",
            ])
    }

    /// The page of a refused or failed install.
    static func failure(_ error: SlackInstallError) -> Response {
        page(status: HTTPResponse.Status(code: error.status), title: "Slack install failed", lines: [error.message, "Nothing was stored."])
    }

    private static func page(status: HTTPResponse.Status, title: String, lines: [String]) -> Response {
        let paragraphs = lines.map { "<p>\(Snippet.escapeHTML($0))</p>" }.joined(separator: "\n")
        let html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(Snippet.escapeHTML(title))</title></head>
            <body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
            <h1>\(Snippet.escapeHTML(title))</h1>
            \(paragraphs)
            </body></html>

            """
        var headers = securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.setCookie] = SlackInstaller.clearCookie
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
