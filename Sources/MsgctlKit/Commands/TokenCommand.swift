import ArgumentParser
import Foundation
import MsgLib

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Print a signed bearer token (HS256, JWT_SECRET) for a user.")

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "The user, by username or id.") var user: String
    @Option(help: "Seconds until the token expires.") var ttl: Int64 = 3600

    func validate() throws {
        if ttl <= 0 || ttl > Self.maxTTL { throw ValidationError("--ttl must be between 1 and \(Self.maxTTL) seconds (100 years)") }
    }

    /// The longest lifetime asked for: 100 years.
    static let maxTTL: Int64 = 100 * 366 * 86_400

    func run() async throws {
        guard let secret = ProcessInfo.processInfo.environment["JWT_SECRET"], !secret.isEmpty else {
            throw ConfigurationError("JWT_SECRET is not set: export the relay's secret to sign tokens")
        }
        let name = user
        let found = try await connection.withService { service in try await service.user(named: name) }
        guard let found else { throw UserFacingError("no user \"\(name)\"", exitStatus: .noUser) }
        FileOutput.standardOutput.write(JWTSigner(secret: secret).token(for: found.id, ttl: ttl) + "\n")
    }
}
