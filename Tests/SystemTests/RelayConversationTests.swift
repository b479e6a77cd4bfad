import Foundation
import MsgLib
import TestSupport
import Testing

/// `/api/conversations` over real HTTP against a msgrelay process.
@Suite(.needsProcesses, .processSlot) struct RelayConversationTests {
    @Test func createListShowArchiveDelete() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database)
        let (alice, bob, admin) = (relay.token(f.alice), relay.token(f.bob), relay.token(f.admin))

        // Create, with a first message; a second create is a conflict.
        let created = try await relay.request("POST", "/api/conversations", token: alice, json: ["initial_message": "Hello admin"])
        #expect(created.status == 201)
        let id = try #require(created.object.string("id"))
        #expect(created.object.string("user_id") == f.alice.id.lowercasedString)
        #expect(created.object.int("unread_count") == 0)
        #expect(Set(created.object.keys) == ["id", "user_id", "created_at", "updated_at", "unread_count"])
        #expect(Timestamp(rfc3339: created.object.string("created_at") ?? "") != nil)
        let again = try await relay.request("POST", "/api/conversations", token: alice, body: Data())
        #expect(again.status == 409)
        #expect(again.error == "Conversation already exists")
        let empty = try await relay.request("POST", "/api/conversations", token: bob, body: Data())
        #expect(empty.status == 201)
        let adminCreate = try await relay.request("POST", "/api/conversations", token: admin, json: [:])
        #expect(adminCreate.status == 403)
        let tooLong = try await relay.request(
            "POST", "/api/conversations", token: relay.token(try UserRepository.insert(database.connect(), username: "carl", displayName: "Carl")),
            json: ["initial_message": ""])
        #expect(tooLong.status == 400)
        #expect(tooLong.error == "Content must be between 1 and 10000 characters")

        // The user's list: their own conversation, their unread count, no archived flag.
        let mine = try await relay.request("GET", "/api/conversations", token: alice)
        #expect(mine.status == 200)
        let mineItems = mine.object.array("conversations")
        #expect(mineItems.count == 1)
        #expect(mineItems.first?["archived"] == nil)
        #expect(mineItems.first?["unread_count"] as? Int == 0)
        #expect(mineItems.first?["last_message_preview"] as? String == "Hello admin")
        #expect((mineItems.first?["user"] as? [String: Any])?["slug"] as? String == "alice")
        #expect(mine.object.int("pagination.total") == 1)

        // The admin's list: everyone's, the admin's unread count, archived flag, null last_message_at kept.
        let all = try await relay.request("GET", "/api/conversations", token: admin)
        let items = all.object.array("conversations")
        #expect(items.count == 2)
        #expect(items[0]["id"] as? String == id)
        #expect(items[0]["unread_count"] as? Int == 1)
        #expect(items[0]["archived"] as? Bool == false)
        #expect(items[1].keys.contains("last_message_at") && items[1]["last_message_at"] is NSNull)
        #expect(items[1]["last_message_preview"] is NSNull)
        #expect(all.object.int("pagination.total_pages") == 1)
        let paged = try await relay.request("GET", "/api/conversations?page=2&limit=1", token: admin)
        #expect(paged.object.array("conversations").count == 1)
        #expect(paged.object.int("pagination.total_pages") == 2)
        #expect(paged.object.int("pagination.limit") == 1)
        let clamped = try await relay.request("GET", "/api/conversations?limit=1000", token: admin)
        #expect(clamped.object.int("pagination.limit") == 100)
        for bad in ["page=0", "limit=abc", "archived=maybe"] {
            let response = try await relay.request("GET", "/api/conversations?\(bad)", token: admin)
            #expect(response.status == 400, "\(bad)")
            #expect(response.error != nil)
        }

        // Show: own, someone else's, missing, malformed.
        let shown = try await relay.request("GET", "/api/conversations/\(id)", token: alice)
        #expect(shown.status == 200)
        #expect(shown.object.string("user.username") == "alice")
        #expect(shown.object["last_message_preview"] == nil)
        #expect((try await relay.request("GET", "/api/conversations/\(id)", token: bob)).error == "Not authorized to access this conversation")
        let missing = try await relay.request("GET", "/api/conversations/\(UUID().lowercasedString)", token: admin)
        #expect(missing.status == 404 && missing.error == "Conversation not found")
        #expect((try await relay.request("GET", "/api/conversations/not-a-uuid", token: admin)).status == 400)

        // Archive: admins only; archived conversations leave the default list.
        let refused = try await relay.request("PATCH", "/api/conversations/\(id)/archive", token: alice, json: ["archived": true])
        #expect(refused.status == 403 && refused.error == "Admin access required")
        // Whatever the id: a user is told the route is for admins, not that the id is malformed.
        for (method, path) in [("PATCH", "/api/conversations/not-a-uuid/archive"), ("DELETE", "/api/conversations/not-a-uuid")] {
            let malformed = try await relay.request(method, path, token: alice, json: ["archived": true])
            #expect(malformed.status == 403 && malformed.error == "Admin access required", "\(method) \(path): \(malformed.text)")
        }
        let archived = try await relay.request("PATCH", "/api/conversations/\(id)/archive", token: admin, json: ["archived": true])
        #expect(archived.status == 200)
        #expect(archived.object["archived"] as? Bool == true)
        #expect(Timestamp(rfc3339: archived.object.string("archived_at") ?? "") != nil)
        #expect((try await relay.request("GET", "/api/conversations", token: admin)).object.array("conversations").count == 1)
        let archivedList = try await relay.request("GET", "/api/conversations?archived=true", token: admin)
        #expect(archivedList.object.array("conversations").map { $0["id"] as? String } == [id])
        let unarchived = try await relay.request("PATCH", "/api/conversations/\(id)/archive", token: admin, json: ["archived": false])
        #expect(unarchived.object["archived_at"] is NSNull)
        #expect((try await relay.request("PATCH", "/api/conversations/\(id)/archive", token: admin, json: ["archived": "yes"])).status == 400)

        // Delete: admins only; every message is soft-deleted and vanishes from previews and unread counts.
        let userDelete = try await relay.request("DELETE", "/api/conversations/\(id)", token: alice)
        #expect(userDelete.status == 403 && userDelete.error == "Admin access required")
        let deleted = try await relay.request("DELETE", "/api/conversations/\(id)", token: admin)
        #expect(deleted.status == 204)
        #expect(deleted.body.isEmpty)
        let after = try await relay.request("GET", "/api/conversations/\(id)", token: admin)
        #expect(after.object.int("unread_count") == 0)
        let afterList = try await relay.request("GET", "/api/conversations", token: alice)
        #expect(afterList.object.array("conversations").first?["last_message_preview"] is NSNull)
        let messages = try await relay.request("GET", "/api/conversations/\(id)/messages", token: admin)
        #expect(messages.object.array("messages").isEmpty)
        #expect(try database.connect().scalar("SELECT count(*) FROM messages", as: Int.self) == 1)
        try await relay.stop()
    }
}
