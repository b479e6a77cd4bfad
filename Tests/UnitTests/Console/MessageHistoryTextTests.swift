import Foundation
import Testing

@testable import MsgLib
@testable import MsgctlKit

/// How edit and delete history is written for people (`msgctl show --history`) and in exports, without a database.
@Suite struct MessageHistoryTextTests {
    static let admin = User(
        id: UUID(uuidString: "0193a1b2-0000-7000-8000-000000000001")!, username: "ad\u{1B}[2Jmin", displayName: "Admin", slug: "admin",
        isAdmin: true, createdAt: Timestamp(microsecondsSinceEpoch: 0))

    static func entry(_ action: MessageHistoryEntry.Action, actor: User? = nil, actorId: UUID? = nil, previous: String? = nil) -> MessageHistoryEntry
    {
        MessageHistoryEntry(
            messageId: UUID(), action: action, changedAt: Timestamp(microsecondsSinceEpoch: 1_800_000_000_000_000), actorId: actorId ?? actor?.id,
            actor: actor, databaseRole: "msg\u{7}relay", previousContent: previous,
            previousWrittenAt: previous == nil ? nil : Timestamp(microsecondsSinceEpoch: 1_799_999_000_000_000))
    }

    @Test func showWritesEachChangeTerminalSafe() {
        let text = Transcript.history([
            Self.entry(.edit, actor: Self.admin, previous: "line one\r\n\u{202E}line two"),
            Self.entry(.delete, actorId: UUID(uuidString: "0193a1b2-0000-7000-8000-0000000000ff")!),
            Self.entry(.restore),
        ])
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 5, "\(lines)")
        #expect(lines[0].hasPrefix("  [earlier version, written ") && lines[0].hasSuffix(" by ad\\u{1B}[2Jmin]"), "\(lines[0])")
        #expect(lines[1].hasPrefix("    | line one") && lines[2] == "    | \\u{202E}line two", "\(lines)")
        #expect(lines[3].hasPrefix("  [deleted ") && lines[3].hasSuffix("by user 0193a1b2-0000-7000-8000-0000000000ff (removed)]"))
        #expect(lines[4].hasPrefix("  [restored ") && lines[4].hasSuffix("by database role msg\\u{7}relay]"), "\(lines[4])")
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" } && !text.contains("\u{202E}"))
    }

    @Test func exportJSONKeepsTheExactTextAndEveryField() throws {
        let column =
            #"[["edit", 100, "0193a1b2-0000-7000-8000-000000000001", "admin", "msgrelay", "a \"quote\"\n\u0001", 50],"#
            + #" ["delete", 200, null, null, "postgres", null, null], ["bad"], 7]"#
        let bytes = Array(column.utf8)
        let entries = bytes.withUnsafeBufferPointer { ExportHistory.entries($0, 0..<bytes.count) }
        #expect(entries.count == 2)
        #expect(entries[0].previousContent == "a \"quote\"\n\u{1}" && entries[0].previousWrittenAt == 50 && entries[1].actorId == nil)
        let json = ExportHistory.json(entries)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [[String: Any]])
        #expect(parsed.count == 2)
        #expect(parsed[0]["previous_content"] as? String == "a \"quote\"\n\u{1}")
        #expect(parsed[0]["changed_at"] as? String == "2000-01-01T00:00:00.000100Z")
        #expect(parsed[1]["actor_id"] is NSNull && parsed[1]["previous_written_at"] is NSNull && parsed[1]["database_role"] as? String == "postgres")
        #expect(
            parsed[0].keys.sorted() == [
                "action", "actor_id", "actor_username", "changed_at", "database_role", "previous_content", "previous_written_at",
            ])
        let none = [UInt8]()
        #expect(none.withUnsafeBufferPointer { ExportHistory.entries($0, nil) }.isEmpty)
        #expect(String(decoding: ExportHistory.json([]), as: UTF8.self) == "[]")
    }
}
