import ArgumentParser
import Foundation
import MsgLib

extension SlackCommand {
    /// `msgctl slack link`: a Slack user acts as an admin.
    struct Link: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "link", abstract: "Let a Slack user act as an admin (replies in threads, buttons, /msg).",
            discussion: "A Slack user acts as one admin; a Slack user not linked changes nothing from Slack. "
                + "The Slack user id is shown in Slack's profile (\"Copy member ID\"), e.g. U0123ABCD.")

        @OptionGroup var connection: ConnectionOptions
        @Option(help: "The admin, by username or id.") var admin: String
        @Option(help: "The Slack user id (U... or W...).") var slackUser: String

        func run() async throws {
            let (admin, slackUser) = (admin, slackUser)
            let link = try await connection.withService { service in
                try await service.linkSlackUser(slackUser, admin: admin, linkedBy: Self.operator)
            }
            FileOutput.standardOutput.write(
                "Linked Slack user \(link.slackUserId) to \(TerminalText.escaped(link.admin.username)) (\(TerminalText.escaped(link.admin.displayName)))\n"
            )
        }

        /// Who runs msgctl, as recorded with the link.
        static var `operator`: String {
            let name = ProcessInfo.processInfo.environment["SUDO_USER"] ?? ProcessInfo.processInfo.environment["USER"] ?? ""
            return name.isEmpty ? "msgctl" : "msgctl (\(String(name.prefix(64))))"
        }
    }

    /// `msgctl slack unlink`.
    struct Unlink: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "unlink", abstract: "Stop a Slack user acting as an admin.")

        @OptionGroup var connection: ConnectionOptions
        @Option(help: "The Slack user id (U... or W...).") var slackUser: String

        func run() async throws {
            let slackUser = slackUser
            let link = try await connection.withService { service in try await service.unlinkSlackUser(slackUser) }
            FileOutput.standardOutput.write("Unlinked Slack user \(link.slackUserId) (was \(TerminalText.escaped(link.admin.username)))\n")
        }
    }

    /// `msgctl slack links`.
    struct Links: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "links", abstract: "List the Slack users linked to admins.")

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: TableOutputOptions

        struct Record: Encodable {
            var slack_user_id: String
            var admin_id: String
            var admin_username: String
            var linked_by: String
            var linked_at: String
        }

        func run() async throws {
            let links = try await connection.withService { service in try await service.slackLinks() }
            if output.json {
                try JSONOutput.print(
                    links.map {
                        Record(
                            slack_user_id: $0.slackUserId, admin_id: $0.admin.id.lowercasedString, admin_username: $0.admin.username,
                            linked_by: $0.linkedBy, linked_at: $0.linkedAt.rfc3339)
                    })
                return
            }
            if links.isEmpty, !output.csv {
                FileOutput.standardOutput.write("No Slack user is linked: msgctl slack link --admin NAME --slack-user U...\n")
                return
            }
            var table = TextTable("SLACK USER", "ADMIN", "LINKED BY", "LINKED")
            for link in links {
                table.append([
                    TableCell(link.slackUserId), TableCell(link.admin.username), TableCell(link.linkedBy), .time(link.linkedAt),
                ])
            }
            output.print(table)
        }
    }
}
