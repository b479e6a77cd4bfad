import Foundation
import Testing

@testable import MsgLib

/// The send statement's SQL is made once per shape and matches the parameters of every batch of that shape.
@Suite struct SendStatementTests {
    static func send(_ name: String, key: String? = nil) -> MessageSend {
        let user = User(id: UUID(), username: name, displayName: name, slug: name, isAdmin: false, createdAt: .now())
        return MessageSend(sender: user, conversationId: nil, content: "hello \(name)", clientKey: key)
    }

    /// The highest `$n` the SQL names.
    static func highestParameter(_ sql: String) -> Int {
        sql.matches(of: /\$(\d+)/).compactMap { Int($0.output.1) }.max() ?? 0
    }

    static let windows = RateLimitRepository.windows(MessagingRules())

    @Test func batchesOfOneShapeShareTheirSQLWhateverTheirSize() {
        let one = MessageRepository.insertStatement([Self.send("a")], limits: Self.windows, skipLocked: true)
        let three = MessageRepository.insertStatement(
            [Self.send("b"), Self.send("c"), Self.send("d")], limits: Self.windows, skipLocked: true)
        #expect(one.sql == three.sql)
        #expect(one.parameters.count == three.parameters.count)
    }

    @Test(arguments: [false, true], [false, true])
    func everyShapeNamesExactlyItsParameters(keyed: Bool, limited: Bool) {
        let windows = limited ? Self.windows : []
        let statement = MessageRepository.insertStatement(
            [Self.send("a", key: keyed ? "k1" : nil), Self.send("b")], limits: windows, skipLocked: keyed)
        #expect(Self.highestParameter(statement.sql) == statement.parameters.count)
        #expect(statement.sql.contains("client_key") == keyed)
        #expect(statement.sql.contains("SKIP LOCKED") == keyed)
        #expect(statement.sql.contains("sender_rate_limits") == limited)
        // The window's lengths follow the columns: the last parameters are each window's emission and seconds.
        if let last = windows.last {
            #expect(statement.parameters.last as? Double == Double(last.seconds))
        }
    }
}
