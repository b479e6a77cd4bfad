import ArgumentParser
import Foundation
import MsgLib

struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search", abstract: "Full-text search over every conversation (words, \"phrases\", or, -excluded).")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var admin: AdminOptions
    @OptionGroup var output: TableOutputOptions
    @Argument(help: "The query.") var query: String
    @Option(help: "Only this conversation (id, id prefix or username).") var conversation: String?
    @Option(help: "Only messages before this time (RFC 3339).") var before: String?
    @Option(help: "Only messages after this time (RFC 3339).") var after: String?
    @Option(help: "Results (1-100).") var limit = 20

    func validate() throws {
        guard (1...100).contains(limit) else { throw ValidationError("--limit must be from 1 to 100") }
        for (name, value) in [("--before", before), ("--after", after)] {
            if let value, Timestamp(rfc3339: value) == nil { throw ValidationError("\(name) must be an RFC 3339 time, e.g. 2026-01-02T03:04:05Z") }
        }
    }

    func run() async throws {
        let (hits, total) = try await connection.withService { service in
            let viewer = try await service.admin(named: admin.admin)
            var conversationId: UUID?
            if let conversation { conversationId = try await service.resolveConversation(conversation).conversation.id }
            let search = MessagingService.SearchOptions(
                conversationId: conversationId, before: before.flatMap(Timestamp.init(rfc3339:)), after: after.flatMap(Timestamp.init(rfc3339:)),
                limit: limit)
            return try await service.search(viewer: viewer, query: query, options: search)
        }
        if output.json {
            try JSONOutput.print(SearchResponse(hits: hits, total: total))
            return
        }
        if output.csv {
            var table = TextTable("MESSAGE ID", "CONVERSATION ID", "USER", "CREATED AT", "RANK", "SNIPPET", "CONTENT")
            for hit in hits {
                table.append([
                    TableCell(hit.message.id.lowercasedString), TableCell(hit.message.conversationId.lowercasedString), TableCell(hit.user.username),
                    .time(hit.message.createdAt), TableCell(String(hit.rank)), TableCell(hit.snippet.plainText),
                    TableCell(hit.message.content),
                ])
            }
            output.print(table)
            return
        }
        let color = Terminal.standardOutputHasColor
        var text = ""
        for hit in hits {
            text +=
                "[\(HumanTime.format(hit.message.createdAt))] \(TerminalText.escaped(hit.user.username))  \(hit.message.id.lowercasedString.prefix(8))\n"
            text += "  " + hit.snippet.terminalText(color: color) + "\n"
        }
        text += "\(hits.count) of \(total) matches\n"
        FileOutput.standardOutput.write(text)
    }
}
