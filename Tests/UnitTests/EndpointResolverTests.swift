import Foundation
import Synchronization
import Testing

@testable import MsgLib

/// Resolving a batch of push endpoints: each host once, all at the same time, within a deadline. The name
/// server is a closure here (slow, silent or hostile at will); nothing leaves the machine.
@Suite struct EndpointResolverTests {
    static let publicAddress = IPAddress(ipv4: "93.184.216.34")!

    /// Ten slow hosts take one lookup's time, not ten; a host named twice is looked up once.
    @Test func hostsAreLookedUpOnceAndAtTheSameTime() {
        let calls = Mutex<[String]>([])
        let resolver = EndpointResolver(policy: EndpointPolicy(), timeout: .seconds(5)) { host, _ throws(EndpointError) in
            calls.withLock { $0.append(host) }
            Thread.sleep(forTimeInterval: 0.5)
            return [Self.publicAddress]
        }
        let urls = (0..<10).map { "https://push\($0).example.com/s/\($0)" } + ["https://push0.example.com/s/again"]
        let start = ContinuousClock.now
        let results = resolver.resolve(urls)
        let elapsed = ContinuousClock.now - start
        #expect(elapsed < .seconds(2), "\(elapsed)")
        #expect(results.count == 11)
        for result in results { #expect((try? result.get())?.address == "93.184.216.34") }
        #expect(calls.withLock { $0.count } == 10)
    }

    /// A name server that never answers holds the batch up for the deadline, not longer; the others are sent.
    @Test func aSilentNameServerCostsTheDeadlineAtMost() throws {
        let resolver = EndpointResolver(policy: EndpointPolicy(), timeout: .milliseconds(300)) { host, _ throws(EndpointError) in
            if host.hasPrefix("silent") { Thread.sleep(forTimeInterval: 3) }
            return [Self.publicAddress]
        }
        let urls = (0..<8).map { "https://silent\($0).example.com/x" } + ["https://fcm.googleapis.com/fcm/send/a", "https://8.8.8.8/p"]
        let start = ContinuousClock.now
        let results = resolver.resolve(urls)
        #expect(ContinuousClock.now - start < .milliseconds(1500))
        for result in results.prefix(8) {
            let error = try #require(throws: EndpointError.self) { try result.get() }
            #expect(error.kind == .unresolvable)
            #expect(error.message.contains("did not resolve within 0.3 s"), "\(error.message)")
        }
        #expect(try results[8].get().address == "93.184.216.34")
        #expect(try results[9].get().address == "8.8.8.8")
    }

    /// What the resolver returns is still vetted: a name resolving to a private address is refused, a refused
    /// URL is not looked up at all.
    @Test func answersAreVettedAndRefusedURLsNotLookedUp() throws {
        let calls = Mutex(0)
        let resolver = EndpointResolver(policy: EndpointPolicy(), timeout: .seconds(2)) { host, _ throws(EndpointError) in
            calls.withLock { $0 += 1 }
            if host == "gone.example.com" { throw EndpointError(.unresolvable, "no such host") }
            return host == "inside.example.com" ? [IPAddress(ipv4: "10.0.0.5")!] : [Self.publicAddress]
        }
        let results = resolver.resolve([
            "https://inside.example.com/x", "https://push.example.com:8443/x", "http://push.example.com/x", "https://gone.example.com/x",
        ])
        #expect(throws: EndpointError.self) { try results[0].get() }
        #expect((try? results[0].get()) == nil)
        let kinds = results.map { result -> EndpointError.Kind? in
            if case .failure(let error) = result { error.kind } else { nil }
        }
        #expect(kinds == [.refusedAddress, .refusedPort, .insecure, .unresolvable])
        #expect(calls.withLock { $0 } == 2)
    }

    /// A name with several checked addresses: the first attempt connects to the preferred one, each retry to the next
    /// (an address that never answers, a broken IPv6 route, is not the only one ever tried).
    @Test func retriesGoToTheNamesOtherAddresses() throws {
        let resolver = EndpointResolver(policy: EndpointPolicy(), timeout: .seconds(2)) { _, _ throws(EndpointError) in
            [IPAddress(ipv6: "2606:4700::1111")!, Self.publicAddress, IPAddress(ipv6: "2606:4700::1111")!]
        }
        let resolved = try resolver.resolve(["https://push.example.com/x"])[0].get()
        #expect(resolved.alternatives == ["2606:4700::1111", "93.184.216.34"])
        #expect((0..<4).map { resolved.forAttempt($0).address } == ["2606:4700::1111", "93.184.216.34", "2606:4700::1111", "93.184.216.34"])
        #expect(resolved.forAttempt(1).host == "push.example.com" && resolved.forAttempt(1).port == 443)
    }

    /// A name whose servers do not answer holds one lookup however many batches name it: a batch that comes while it
    /// runs waits for that lookup's answer instead of spending another of the process's threads on it.
    @Test func aNameBeingLookedUpIsNotLookedUpAgain() throws {
        let calls = Mutex(0)
        let silent = Mutex(true)
        let release = DispatchSemaphore(value: 0)
        let resolver = EndpointResolver(policy: EndpointPolicy(), timeout: .milliseconds(200)) { host, _ throws(EndpointError) in
            calls.withLock { $0 += 1 }
            if host == "silent.example.com", silent.withLock({ $0 }) { release.wait() }
            return [Self.publicAddress]
        }
        let urls = ["https://silent.example.com/a", "https://silent.example.com/b", "https://push.example.com/c"]
        for _ in 0..<5 {
            let results = resolver.resolve(urls)
            #expect((try? results[0].get()) == nil && (try? results[1].get()) == nil)
            #expect(try results[2].get().address == "93.184.216.34")
        }
        // One lookup of the silent name for the five batches; the other name, answered each time, looked up each time.
        #expect(calls.withLock { $0 } == 1 + 5)
        silent.withLock { $0 = false }
        release.signal()
        // Once that lookup ended, the name is looked up again.
        let deadline = Date().addingTimeInterval(10)
        var answered = false
        while !answered, Date() < deadline {
            answered = (try? resolver.resolve([urls[0]])[0].get()) != nil
        }
        #expect(answered)
        // That lookup has ended (its name leaves the running ones before its answer is given): the next is a new one.
        let before = calls.withLock { $0 }
        #expect((try? resolver.resolve([urls[0]])[0].get()) != nil)
        #expect(calls.withLock { $0 } == before + 1)
    }
}
