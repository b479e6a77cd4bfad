import ArgumentParser
import Foundation
import MsgLib

extension SlackCommand {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status", abstract: "Show how Slack is configured and what the OAuth install stored, without secrets.",
            discussion: "Reads the Slack settings of the environment like msgrelay (SLACK_WEBHOOK_URL, SLACK_BOT_TOKEN, SLACK_CLIENT_ID, "
                + "SLACK_TOKEN_KEY...) and the stored installation. Tokens are never printed; the status says whether SLACK_TOKEN_KEY "
                + "decrypts the stored one.")

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let notifications = try NotificationConfiguration.fromEnvironment(ProcessInfo.processInfo.environment)
            let status = try await connection.withDatabase { db in try SlackStatus.read(db, notifications: notifications) }
            if output.json {
                try JSONOutput.print(status)
            } else {
                FileOutput.standardOutput.write(Self.human(status))
            }
        }

        static func human(_ status: SlackStatus) -> String {
            let mode =
                switch status.mode {
                case .webhook: "webhook (SLACK_WEBHOOK_URL)"
                case .appEnvironment: "app (SLACK_BOT_TOKEN from the environment)"
                case .appInstallation: "app (the OAuth installation)"
                case .off: "off"
                }
            var lines = ["mode: \(mode)", "oauth install: \(status.oauthConfigured ? "configured" : "not configured")"]
            guard let installed = status.installation else { return (lines + ["installation: none"]).joined(separator: "\n") + "\n" }
            let channel = installed.channelName.map { "\($0) (\(installed.channelId))" } ?? installed.channelId
            let key =
                switch installed.tokenDecrypts {
                case true: "SLACK_TOKEN_KEY decrypts it"
                case false: "SLACK_TOKEN_KEY does not decrypt it (sealed under key \(installed.tokenKeyId))"
                case nil: "SLACK_TOKEN_KEY is not set (sealed under key \(installed.tokenKeyId))"
                }
            lines += [
                "team: \(installed.teamName) (\(installed.teamId))",
                "channel: \(channel)",
                "bot user: \(installed.botUserId)",
                "installed: \(HumanTime.format(installed.installedAt)) by \(installed.installedBy ?? "a deleted user")"
                    + (installed.installedBySlackUser.map { " (Slack user \($0))" } ?? ""),
                "scopes: \(installed.scopes.joined(separator: ", "))",
                "bot token: stored encrypted; \(key)",
            ]
            return lines.map { TerminalText.escaped($0) }.joined(separator: "\n") + "\n"
        }
    }
}
