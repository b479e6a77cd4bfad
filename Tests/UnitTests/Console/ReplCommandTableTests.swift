import Testing

@testable import MsgctlKit

/// The console's command table, without a terminal or a database.
@Suite struct ReplCommandTableTests {
    @Test func everyCommandHasANameUsageAndHelp() {
        let commands = ReplCommandTable.commands
        #expect(commands.map(\.name) == ["\\l", "\\o", "\\n", "\\h", "\\s", "\\r", "\\a", "\\u", "\\e", "\\m", "\\c", "\\set", "\\?", "\\q"])
        #expect(Set(commands.map(\.name)).count == commands.count, "names are unique")
        for command in commands {
            #expect(command.name.hasPrefix("\\") && command.name.count >= 2 && !command.name.contains(" "), "\(command.name)")
            #expect(command.usage.hasPrefix(command.name), "\(command.name)")
            #expect(!command.help.isEmpty, "\(command.name)")
            #expect(command.requiresArgument == ["\\o", "\\s", "\\e"].contains(command.name), "\(command.name)")
        }
    }

    @Test func lookupIsByExactName() {
        #expect(ReplCommandTable.command(named: "\\o")?.usage == "\\o USER|ID")
        #expect(ReplCommandTable.command(named: "\\?")?.help == "this help")
        for name in ["\\", "\\x", "\\oo", "\\O", "o", "", "\\open", "\\se", "\\settings"] {
            #expect(ReplCommandTable.command(named: name) == nil, "\(name)")
        }
    }

    @Test func helpTextIsTheConsolesHelp() {
        #expect(
            ReplCommandTable.helpText == """
                commands:
                  \\l [unread|archived]  list conversations
                  \\o USER|ID            open a conversation (shows its newest messages, back to the oldest unread one, and marks those read)
                  \\n                    open the next conversation with unread messages
                  \\h [N]                show the open conversation's newest N messages (20)
                  \\s QUERY              search every conversation
                  \\r                    mark the open conversation read
                  \\a                    archive the open conversation and close it
                  \\u                    unarchive the open conversation
                  \\e FILE               export the open conversation to FILE (Markdown)
                  \\m                    write a long reply over several lines; a line with a single . sends it
                  \\c                    close the open conversation
                  \\set [NAME VALUE]     show the settings or change one: history commands (the default: no replies) or all
                  \\?                    this help
                  \\q                    quit (Ctrl-D too)
                any other line is a reply in the open conversation. Tab completes commands, usernames and ids.
                """)
    }

    @Test func completionComesFromTheTable() {
        let names = ["alice", "bob"]
        let ids = ["0b7e4d2a-0000-4000-8000-000000000000"]
        func complete(_ line: String) -> [String] { ReplCommandTable.completions(line: line, usernames: names, conversationIds: ids) }
        #expect(complete("") == ReplCommandTable.commands.map(\.name))
        #expect(complete("  ") == ReplCommandTable.commands.map(\.name))
        #expect(complete("\\o ") == names + ids)
        #expect(complete("\\l ") == ["unread", "archived"])
        #expect(complete("\\set ") == ["history"])
        for line in ["\\s ", "\\e ", "\\h ", "hello ", "\\x "] { #expect(complete(line).isEmpty, "\(line)") }
    }
}
