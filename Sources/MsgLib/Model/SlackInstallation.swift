import Foundation

/// The Slack app as installed in a workspace through OAuth: where it posts and its bot token, still encrypted.
package struct SlackInstallation: Sendable, Equatable {
    package var teamId: String
    package var teamName: String
    package var botUserId: String
    /// Nonce || AES-256-GCM ciphertext || tag of the bot token (see ``SecretSealer``); never the token itself.
    package var botTokenSealed: [UInt8]
    /// ``SecretSealer/keyId`` of the key that sealed the token.
    package var tokenKeyId: String
    package var channelId: String
    package var channelName: String?
    /// The scopes Slack granted, comma-separated as Slack writes them.
    package var scopes: String
    package var appId: String?
    /// The admin who started the install (nil once that user is deleted).
    package var installedBy: UUID?
    /// That admin's username at install time.
    package var installedByUsername: String?
    /// The Slack user who approved the install.
    package var installedBySlackUser: String?
    package var installedAt: Timestamp

    /// The associated data the bot token is sealed with: the token opens only as this team's.
    package static func tokenAAD(teamId: String) -> [UInt8] { Array("msgrelay slack bot token v1 team=\(teamId)".utf8) }

    /// The bot token, decrypted with `sealer`.
    /// - Throws: ``CryptoError`` when `sealer` holds another key or the stored value was altered.
    package func botToken(_ sealer: SecretSealer) throws(CryptoError) -> String {
        String(decoding: try sealer.open(botTokenSealed, aad: Self.tokenAAD(teamId: teamId)), as: UTF8.self)
    }
}
