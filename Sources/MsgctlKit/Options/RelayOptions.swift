import ArgumentParser
import Foundation
import MsgLib

/// Where msgctl reaches the relay: `--relay`, else `MSGRELAY_URL`, else http://127.0.0.1:8080.
struct RelayOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The relay (default: MSGRELAY_URL, then http://127.0.0.1:8080).", valueName: "url"))
    var relay: String?

    func validate() throws {
        if let relay, URL(string: relay)?.host == nil { throw ValidationError("--relay must be a URL such as http://127.0.0.1:8080") }
    }

    /// The relay's base URL.
    /// - Throws: ``UserFacingError`` (`config`) when `MSGRELAY_URL` is not a URL with a host.
    func url(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        let text = relay ?? environment["MSGRELAY_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://127.0.0.1:8080"
        guard let url = URL(string: text), url.host != nil else {
            throw UserFacingError("MSGRELAY_URL must be a URL such as http://127.0.0.1:8080, not \(TerminalText.escaped(text))", exitStatus: .config)
        }
        return url
    }

    /// The relay's URL for a live socket (`tail`, `repl`): http or ws only, since msgctl opens its socket without TLS (on
    /// the relay's host, or through a tunnel).
    /// - Throws: as ``url(_:)``; for `--relay` that says another scheme, `usage`; for `MSGRELAY_URL`, `config`.
    func liveURL(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        let url = try url(environment)
        guard LiveConnection.opens(url) else {
            let message = "must be an http:// or ws:// URL (msgctl opens its socket without TLS), such as http://127.0.0.1:8080"
            if relay != nil { throw UserFacingError("--relay \(message)", exitStatus: .usage) }
            throw UserFacingError("MSGRELAY_URL \(message)", exitStatus: .config)
        }
        return url
    }
}

/// The bearer token msgctl signs in to the relay's WebSocket with.
struct RelayTokenOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A bearer token for the relay (default: one made from JWT_SECRET for the admin).", valueName: "jwt"))
    var token: String?

    /// What gives the token of each connection: `--token`, else a new token for `admin` signed with `JWT_SECRET`
    /// (valid a week); nil without either.
    func bearer(for admin: User, _ environment: [String: String] = ProcessInfo.processInfo.environment) -> (@Sendable () -> String)? {
        if let token { return { token } }
        guard let secret = environment["JWT_SECRET"], !secret.isEmpty else { return nil }
        let signer = JWTSigner(secret: secret)
        let id = admin.id
        return { signer.token(for: id, ttl: 7 * 86_400) }
    }
}
