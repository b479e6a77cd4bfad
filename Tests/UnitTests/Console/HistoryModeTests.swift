import Testing

@testable import MsgctlKit

/// What the console's history keeps (`\set history`).
@Suite struct HistoryModeTests {
    @Test func byDefaultOnlyBackslashCommandsAreRecorded() {
        let mode = HistoryMode.commands
        for line in ["\\o alice", "  \\s invoice", "\\set history all", "\t\\q"] { #expect(mode.records(line), "\(line)") }
        for line in ["my card number is 4111", " reply with a \\ inside", "", "."] { #expect(!mode.records(line), "\(line)") }
    }

    @Test func allRecordsReplies() {
        #expect(HistoryMode.all.records("my card number is 4111"))
        #expect(HistoryMode.all.records("\\o alice"))
        #expect(HistoryMode(rawValue: "commands") == .commands && HistoryMode(rawValue: "everything") == nil)
    }
}
