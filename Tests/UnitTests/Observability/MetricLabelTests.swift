import MsgLib
import Testing

@testable import RelayKit

@Suite struct MetricLabelTests {
    @Test func aRESTRefusalIsCountedUnderTheLimitOfItsRoute() {
        #expect(MessageMetrics.RateLimited.rest(route: "/api/messages") == .restMessages)
        #expect(MessageMetrics.RateLimited.rest(route: "/api/conversations") == .restMessages)
        #expect(MessageMetrics.RateLimited.rest(route: "/api/push/subscribe") == .restPushSubscriptions)
        #expect(MessageMetrics.RateLimited.rest(route: "/api/push/test") == .restPushTests)
        #expect(MessageMetrics.RateLimited.rest(route: "/api/attachments") == .restAttachments)
        #expect(MessageMetrics.RateLimited.rest(route: "/healthz") == .restOther)
        #expect(MessageMetrics.RateLimited.websocketFrames.surface == "websocket")
        #expect(MessageMetrics.RateLimited.websocketFrames.limit == "frames")
    }

    @Test func deliveryOutcomesMapToTheCountedOutcomes() {
        typealias Outcome = NotificationMetrics.Outcome
        #expect(Outcome(.delivered, expired: false) == .sent)
        #expect(Outcome(.moot("read"), expired: false) == .moot)
        #expect(Outcome(.gone("410"), expired: false) == .gone)
        #expect(Outcome(.failed("413"), expired: false) == .failed)
        #expect(Outcome(.retry("503", retryAfter: nil), expired: false) == .retried)
        #expect(Outcome(.retry("503", retryAfter: nil), expired: true) == .givenUp)
    }

    @Test func errorKindsFollowTheFailureOrTheStatus() {
        #expect(ErrorMiddleware<RelayRequestContext>.kind(of: ServiceError(.rateLimited, "slow down"), status: 429).logName == "rate_limited")
        #expect(ErrorMiddleware<RelayRequestContext>.kind(of: APIError(.notFound, "Not found"), status: 404).logName == "not_found")
        #expect(ErrorMiddleware<RelayRequestContext>.kind(of: APIError(.contentTooLarge, "Too big"), status: 413).logName == "invalid")
        #expect(Failure.Kind.forStatus(500).logName == "internal")
        #expect(Failure.Kind.allCases.map(\.logName).allSatisfy { $0.allSatisfy { $0.isLowercase || $0 == "_" } })
    }

    @Test func recentTransactionIdsForgetTheOldest() {
        var recent = RecentIDs<UInt64>(capacity: 2)
        let added = [recent.insert(1), recent.insert(2), recent.insert(2)]
        #expect(added == [true, true, false])
        recent.insert(3)
        #expect(!recent.contains(1) && recent.contains(2) && recent.contains(3))
    }

    @Test func everyCountedSeriesExistsBeforeAnythingHappens() throws {
        let metrics = RelayMetrics(pool: DatabasePool(configuration: DatabaseConfiguration(conninfo: "host=/nonexistent")))
        let text = metrics.render()
        for line in [
            #"msgrelay_messages_created_total{source="websocket"} 0"#, #"msgrelay_websocket_frames_received_total{type="send_message"} 0"#,
            #"msgrelay_websocket_frames_sent_total{type="message"} 0"#, #"msgrelay_rate_limited_total{surface="websocket",limit="frames"} 0"#,
            #"msgrelay_notifications_total{kind="slack_post",outcome="given_up"} 0"#, #"msgrelay_outbox_jobs{kind="push"} 0.0"#,
            "msgrelay_outbox_oldest_due_seconds 0.0", #"msgrelay_websocket_disconnects_total{initiator="server"} 0"#,
            "msgrelay_messages_from_other_writers_total 0", "msgrelay_websocket_resumes_total 0",
        ] {
            #expect(text.contains(line), "missing \(line)")
        }
        metrics.messages.created(.slack, count: 2)
        metrics.sockets.replayed(3, kind: .resume)
        metrics.notifications.backlog(OutboxBacklog(pending: [.push: 4], oldestDueSeconds: 12.5))
        let after = metrics.render()
        #expect(after.contains(#"msgrelay_messages_created_total{source="slack"} 2"#))
        #expect(after.contains("msgrelay_websocket_resumes_total 1"))
        #expect(after.contains(#"msgrelay_websocket_replayed_messages_total{replay="resume"} 3"#))
        #expect(after.contains(#"msgrelay_outbox_jobs{kind="push"} 4.0"#))
        #expect(after.contains("msgrelay_outbox_oldest_due_seconds 12.5"))
    }
}
