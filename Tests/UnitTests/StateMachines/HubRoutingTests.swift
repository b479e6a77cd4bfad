import Foundation
import TestSupport
import Testing

@testable import RelayKit

/// A socket as the hub sees it: ids and a role, nothing to send on.
private struct FakeSocket: HubMember, Hashable {
    let id: UUID
    let userID: UUID
    let isAdmin: Bool
}

/// A readable, deterministic UUID: `00000000-0000-0000-0000-0000000000nn`.
private func uuid(_ n: Int) -> UUID {
    UUID(uuidString: String(format: "00000000-0000-0000-0000-%012ld", n))!
}

/// Users 1–99 are people, 100+ admins; sockets are numbered from 1000.
private func socket(_ n: Int, user: Int) -> FakeSocket {
    FakeSocket(id: uuid(1000 + n), userID: uuid(user), isAdmin: user >= 100)
}

private func registry(_ sockets: [FakeSocket]) -> HubRegistry<FakeSocket> {
    var registry = HubRegistry<FakeSocket>()
    for socket in sockets { registry.register(socket) }
    return registry
}

@Suite struct HubRoutingTests {
    /// User 1 with two tabs, user 2 with one, admin 100 with two tabs.
    private let sockets = [socket(1, user: 1), socket(2, user: 1), socket(3, user: 2), socket(4, user: 100), socket(5, user: 100)]

    @Test func aMessageGoesToTheConversationsUserAndEveryAdminOnce() {
        let registry = registry(sockets)
        let to = HubRouting.messageRecipients(conversationUserID: uuid(1), in: registry)
        #expect(to.count == 4)
        #expect(Set(to) == [sockets[0], sockets[1], sockets[3], sockets[4]])
        #expect(Set(HubRouting.readRecipients(conversationUserID: uuid(1), in: registry)) == Set(to))
    }

    @Test func anAdminsOwnConversationCountsTheAdminOnce() {
        let registry = registry(sockets + [socket(6, user: 101)])
        let to = HubRouting.messageRecipients(conversationUserID: uuid(100), in: registry)
        #expect(to.count == 3)
        #expect(Set(to) == [sockets[3], sockets[4], socket(6, user: 101)])
    }

    @Test func typingGoesToTheOtherPartyOnly() {
        let registry = registry(sockets + [socket(6, user: 101)])
        let byUser = HubRouting.typingRecipients(conversationUserID: uuid(1), typerID: uuid(1), fromAdmin: false, in: registry)
        #expect(Set(byUser) == [sockets[3], sockets[4], socket(6, user: 101)])
        let byAdmin = HubRouting.typingRecipients(conversationUserID: uuid(1), typerID: uuid(100), fromAdmin: true, in: registry)
        #expect(Set(byAdmin) == [sockets[0], sockets[1]])
        // An admin typing in a conversation of their own reaches nobody (the other admins never see admins type).
        let own = HubRouting.typingRecipients(conversationUserID: uuid(100), typerID: uuid(100), fromAdmin: true, in: registry)
        #expect(own.isEmpty)
    }

    @Test func aSweepPicksExactlyTheSocketsItMatchesAcrossUsersAndAdmins() {
        let registry = registry(sockets)
        let picked = registry.sockets { [1001, 1003, 1005].map(uuid).contains($0.id) }
        #expect(Set(picked) == [sockets[0], sockets[2], sockets[4]] && picked.count == 3)
        #expect(registry.sockets { _ in false }.isEmpty)
        #expect(Set(registry.sockets { _ in true }) == Set(sockets))
    }

    @Test func nobodyConnectedMeansNobodyToSendTo() {
        let empty = HubRegistry<FakeSocket>()
        #expect(HubRouting.messageRecipients(conversationUserID: uuid(1), in: empty).isEmpty)
        #expect(HubRouting.typingRecipients(conversationUserID: uuid(1), typerID: uuid(1), fromAdmin: false, in: empty).isEmpty)
    }

    @Test func registerAndUnregisterKeepTheCounts() {
        var registry = registry(sockets)
        #expect(registry.total == 5)
        registry.register(sockets[0])
        #expect(registry.total == 5, "a socket registered twice counts once")
        let removed = registry.unregister(sockets[3])
        let removedAgain = registry.unregister(sockets[3])
        #expect(removed && !removedAgain)
        #expect(registry.total == 4)
        #expect(Set(registry.adminSockets) == [sockets[4]])
        let removedUser2 = registry.unregister(sockets[2])
        #expect(removedUser2)
        #expect(registry.byUser[uuid(2)] == nil, "a user without sockets leaves no empty entry")
        #expect(Set(registry.all) == [sockets[0], sockets[1], sockets[4]])
    }

    /// Random registries and events: each participant gets one copy, nobody else anything.
    @Test(arguments: 0..<200)
    func randomRegistriesRouteToExactlyTheParticipants(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed))
        var violations: [String] = []
        /// Records a violation unless `condition` holds (one `#expect` per case keeps the cases fast).
        func require(_ condition: Bool, _ message: @autoclosure () -> String = "", line: Int = #line) {
            if !condition { violations.append("line \(line): \(message())") }
        }
        var registry = HubRegistry<FakeSocket>()
        var connected: Set<FakeSocket> = []
        let users = [1, 2, 3, 4, 100, 101, 102]
        for step in 0..<40 {
            if connected.isEmpty || random.next() % 3 != 0 {
                let next = socket(step, user: users[Int(random.next() % UInt64(users.count))])
                registry.register(next)
                connected.insert(next)
            } else {
                let gone = connected.randomElement(using: &random)!
                let removed = registry.unregister(gone)
                require(removed)
                connected.remove(gone)
            }
            require(registry.total == connected.count)
            require(Set(registry.all) == connected)
            require(Set(registry.adminSockets) == connected.filter(\.isAdmin))

            let conversationUser = uuid([1, 2, 3, 4, 100][Int(random.next() % 5)])
            let expected = connected.filter { $0.userID == conversationUser || $0.isAdmin }
            for to in [
                HubRouting.messageRecipients(conversationUserID: conversationUser, in: registry),
                HubRouting.readRecipients(conversationUserID: conversationUser, in: registry),
            ] {
                require(to.count == Set(to).count, "a socket got two copies")
                require(Set(to) == expected)
                require(to.allSatisfy { $0.isAdmin || $0.userID == conversationUser }, "a user got another user's event")
            }

            let fromAdmin = random.next() % 2 == 0
            let typer = fromAdmin ? uuid([100, 101, 102][Int(random.next() % 3)]) : conversationUser
            let typing = HubRouting.typingRecipients(conversationUserID: conversationUser, typerID: typer, fromAdmin: fromAdmin, in: registry)
            let typingExpected = connected.filter { socket in
                socket.userID != typer && (fromAdmin ? socket.userID == conversationUser : socket.isAdmin)
            }
            require(typing.count == Set(typing).count)
            require(Set(typing) == typingExpected)
            require(typing.allSatisfy { $0.userID != typer }, "a typer got their own typing")
            require(typing.allSatisfy { $0.isAdmin || $0.userID == conversationUser }, "a user got another user's typing")
        }
        #expect(violations.isEmpty, "seed \(seed): \(violations.prefix(5))")
    }
}
