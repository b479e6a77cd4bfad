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
        let response = try await connection.withService { service in
            let viewer = try await service.admin(named: admin.admin)
            var conversationId: UUID?
            if let conversation { conversationId = try await service.resolveConversation(conversation).conversation.id }
            let filter = MessageRepository.SearchFilter(
                conversationId: conversationId, before: before.flatMap(Timestamp.init(rfc3339:)), after: after.flatMap(Timestamp.init(rfc3339:)),
                limit: limit)
            let (hits, total) = try await service.search(viewer: viewer, query: query, filter: filter)
            return SearchResponse(hits: hits, total: total)
        }
        if output.json {
            try JSONOutput.print(response)
            return
        }
        if output.csv {
            var table = TextTable("MESSAGE ID", "CONVERSATION ID", "USER", "CREATED AT", "RANK", "SNIPPET", "CONTENT")
            for result in response.results {
                table.append([
                    TableCell(result.message.id), TableCell(result.conversation.id), TableCell(result.conversation.user.username),
                    .time(result.message.createdAt), TableCell(String(result.message.rank)),
                    TableCell(Self.terminalSnippet(result.matchSnippet, color: false, marker: "")), TableCell(result.message.content),
                ])
            }
            output.print(table)
            return
        }
        let color = Terminal.standardOutputHasColor
        var text = ""
        for result in response.results {
            text += "[\(HumanTime.format(result.message.createdAt))] \(result.conversation.user.username)  \(result.message.id.prefix(8))\n"
            text += "  " + Self.terminalSnippet(result.matchSnippet, color: color) + "\n"
        }
        text += "\(response.results.count) of \(response.total) matches\n"
        FileOutput.standardOutput.write(text)
    }

    /// The HTML snippet for a terminal: entities decoded, control characters (escape sequences typed into a
    /// message) blanked, then matches in bold (or between `marker`s when not a colour terminal).
    static func terminalSnippet(_ html: String, color: Bool, marker: String = "*") -> String {
        var text = html.replacingOccurrences(of: "<mark>", with: "\u{E010}").replacingOccurrences(of: "</mark>", with: "\u{E011}")
        for (entity, character) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")] {
            text = text.replacingOccurrences(of: entity, with: character)
        }
        text = Terminal.sanitized(text)
        return text.replacingOccurrences(of: "\u{E010}", with: color ? "\u{1B}[1m" : marker)
            .replacingOccurrences(of: "\u{E011}", with: color ? "\u{1B}[0m" : marker)
    }
}
