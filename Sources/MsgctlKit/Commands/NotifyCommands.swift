import ArgumentParser
import Foundation
import MsgLib

struct VapidCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vapid", abstract: "Web Push (VAPID) keys.", subcommands: [Generate.self])

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate",
            abstract: "Print a new VAPID key pair as VAPID_PUBLIC_KEY= and VAPID_PRIVATE_KEY= lines (base64url, as web-push prints).")

        @OptionGroup var output: OutputOptions

        struct Keys: Encodable {
            var public_key: String
            var private_key: String
        }

        func run() async throws {
            let keys = VAPIDKeys.generate()
            if output.json {
                try JSONOutput.print(Keys(public_key: keys.publicKeyBase64URL, private_key: keys.privateKeyBase64URL))
            } else {
                FileOutput.standardOutput.write("VAPID_PUBLIC_KEY=\(keys.publicKeyBase64URL)\nVAPID_PRIVATE_KEY=\(keys.privateKeyBase64URL)\n")
            }
        }
    }
}

struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push", abstract: "Web Push notifications.", subcommands: [Test.self])

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test",
            abstract: "Send a test notification to every push subscription of a user now, and say what happened to each.",
            discussion: "Reads VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY and VAPID_SUBJECT like msgrelay. Subscriptions the push service "
                + "reports as gone (404, 410) are deleted. Exits 0 when every notification was accepted, 75 otherwise.")

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: TableOutputOptions
        @Option(help: "The user, by username or id.") var user: String

        struct Row: Encodable {
            var subscription_id: String
            var endpoint_origin: String
            var sent: Bool
            var error: String?
        }

        func run() async throws {
            let notifications = try NotificationConfiguration.fromEnvironment(ProcessInfo.processInfo.environment)
            // Settings missing: a configuration error (78), as the manual says, not the relay's "unavailable".
            guard notifications.vapid != nil else { throw UserFacingError(ServiceError.pushNotConfigured.message, exitStatus: .config) }
            let name = user
            let results = try await connection.withService(notifications: notifications) { service in
                let found = try await service.user(named: name)
                guard let found else { throw UserFacingError("no user \"\(name)\"", exitStatus: .noUser) }
                return try await service.testPush(user: found)
            }
            let rows = results.map {
                Row(
                    subscription_id: $0.subscription.id.lowercasedString,
                    endpoint_origin: (try? VAPIDSigner.audience(for: $0.subscription.endpoint)) ?? "?",
                    sent: $0.outcome.isDelivered, error: $0.outcome.reason)
            }
            if output.json {
                try JSONOutput.print(rows)
            } else if rows.isEmpty, !output.csv {
                FileOutput.standardOutput.write("\(TerminalText.escaped(name)) has no push subscriptions\n")
            } else {
                var table = TextTable("SUBSCRIPTION", "PUSH SERVICE", "RESULT")
                for row in rows {
                    table.append([
                        TableCell(row.subscription_id), TableCell(row.endpoint_origin),
                        TableCell(
                            human: row.sent ? "sent" : "failed: \(row.error ?? "")", machine: row.sent ? "sent" : row.error ?? "failed",
                            emphasised: !row.sent),
                    ])
                }
                let sent = rows.filter(\.sent).count
                output.print(table, footer: "\(sent) sent, \(rows.count - sent) failed\n")
            }
            if rows.contains(where: { !$0.sent }) { throw ExitCode(ExitStatus.tempFail.rawValue) }
        }
    }
}

struct SlackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slack", abstract: "Slack notifications, the installed Slack app, and the Slack users who act as admins.",
        subcommands: [Test.self, Status.self, Link.self, Unlink.self, Links.self])

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test", abstract: "Send a test message to the Slack channel (app mode) or webhook now.",
            discussion: """
                Reads SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_CHANNEL_ID and SLACK_API_BASE (app mode: posts to the \
                channel with chat.postMessage), or SLACK_WEBHOOK_URL, and ADMIN_URL_BASE, like msgrelay; app mode wins when \
                both are set. Prints Slack's answer. Exits 0 when Slack accepted the message, 75 otherwise.
                """)

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let notifications = try NotificationConfiguration.fromEnvironment(ProcessInfo.processInfo.environment)
            let outcome: DeliveryOutcome
            do {
                outcome = try await connection.withService(notifications: notifications) { service in try await service.testSlack() }
            } catch let error as ServiceError where error == .slackNotConfigured {
                // Settings missing (and no app installed): a configuration error (78), not the relay's "unavailable".
                throw UserFacingError(error.message, exitStatus: .config)
            }
            if let reason = outcome.reason {
                throw UserFacingError("Slack did not take the test notice: \(reason)", exitStatus: .tempFail)
            }
            if let app = notifications.slackApp {
                FileOutput.standardOutput.write("Slack accepted the test message in channel \(app.channelId)\n")
            } else {
                FileOutput.standardOutput.write("Slack accepted the test notice\n")
            }
        }
    }
}
