import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// `msgctl slack link | unlink | links` as processes against a database.
@Suite(.needsProcesses, .processSlot) struct CtlSlackLinkTests {
    @Test func linkUnlinkAndListWithClearErrors() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let other = try UserRepository.insert(db, username: "root2", displayName: "Second \u{1B}]52;c;evil\u{7} admin", isAdmin: true)
        let env: [String: String?] = ["DATABASE_URL": database.conninfo, "USER": "ops", "SUDO_USER": nil]
        func ctl(_ arguments: String...) async throws -> ProcessResult {
            try await ProcessRunner.runDetached(TestEnvironment.binary("msgctl"), ["slack"] + arguments, environment: env)
        }

        let empty = try await ctl("links")
        #expect(empty.status == 0 && empty.stdout.contains("No Slack user is linked"))
        let linked = try await ctl("link", "--admin", "admin", "--slack-user", "U0ADMIN1")
        #expect(linked.status == 0, "\(linked.stderr)")
        #expect(linked.stdout == "Linked Slack user U0ADMIN1 to admin (Admin)\n")
        // Linking again to the same admin is fine; to another admin, refused until unlinked.
        #expect(try await ctl("link", "--admin", f.admin.id.lowercasedString, "--slack-user", "U0ADMIN1").status == 0)
        let conflict = try await ctl("link", "--admin", "root2", "--slack-user", "U0ADMIN1")
        #expect(conflict.status != 0)
        #expect(conflict.stderr == "msgctl: U0ADMIN1 is already linked to admin: unlink it first\n")
        let second = try await ctl("link", "--admin", "root2", "--slack-user", "W0SECOND")
        #expect(second.status == 0)
        #expect(second.stdout.contains("\\u{1B}]52;c;evil\\u{7}") && !second.stdout.contains("\u{1B}"))

        // Clear one-line errors.
        let refusals: [([String], String)] = [
            (["link", "--admin", "alice", "--slack-user", "U0ALICE"], "msgctl: alice is not an admin\n"),
            (["link", "--admin", "nobody", "--slack-user", "U0NOBODY"], "msgctl: no user \"nobody\"\n"),
            (["link", "--admin", "admin", "--slack-user", "u0lower"], "is not a Slack user id"),
            (["link", "--admin", "admin", "--slack-user", "U0\u{1B}[2J"], "is not a Slack user id"),
            (["unlink", "--slack-user", "U0NEVER"], "msgctl: U0NEVER is not linked\n"),
        ]
        for (arguments, message) in refusals {
            let result = try await ProcessRunner.runDetached(TestEnvironment.binary("msgctl"), ["slack"] + arguments, environment: env)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(result.stderr.filter { $0 == "\n" }.count == 1 && !result.stderr.contains("\u{1B}"), "\(arguments): \(result.stderr)")
        }
        let missingOption = try await ctl("link", "--admin", "admin")
        #expect(missingOption.status != 0 && missingOption.stderr.contains("--slack-user"))

        let table = try await ctl("links")
        #expect(table.status == 0)
        #expect(table.stdout.contains("U0ADMIN1") && table.stdout.contains("W0SECOND") && table.stdout.contains("msgctl (ops)"))
        let json = try await ctl("links", "--json")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(rows.map { $0["slack_user_id"] as? String } == ["U0ADMIN1", "W0SECOND"])
        #expect(rows[0]["admin_id"] as? String == f.admin.id.lowercasedString)
        #expect(rows[0]["admin_username"] as? String == "admin")
        #expect(rows[1]["admin_id"] as? String == other.id.lowercasedString)
        #expect(rows[0]["linked_by"] as? String == "msgctl (ops)")
        #expect(Timestamp(rfc3339: rows[0]["linked_at"] as? String ?? "") != nil)

        let unlinked = try await ctl("unlink", "--slack-user", "U0ADMIN1")
        #expect(unlinked.status == 0 && unlinked.stdout == "Unlinked Slack user U0ADMIN1 (was admin)\n")
        #expect(try db.scalar("SELECT count(*) FROM slack_links", as: Int.self) == 1)
        // An admin who is deleted takes their links along.
        try db.query("DELETE FROM users WHERE id = $1", [other.id])
        #expect(try db.scalar("SELECT count(*) FROM slack_links", as: Int.self) == 0)
    }
}
