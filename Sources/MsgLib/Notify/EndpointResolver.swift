import Foundation
import Synchronization

/// Resolves the push endpoints of a batch of sends: each distinct host once, all of them at the same time, and
/// none for longer than a deadline, so a name server that is slow or silent (one a subscriber may control) holds
/// a round up for ``timeout`` at most, not one timeout per subscription.
///
/// `getaddrinfo` cannot be interrupted: a lookup past its deadline is reported `.unresolvable` (retried later)
/// and finishes on its thread in the background. At most ``maximumLookupsInFlight`` such threads exist in the
/// process; beyond that a name is reported `.unresolvable` without a lookup. A name already being looked up (for an
/// earlier batch that stopped waiting, say) is not looked up again: the batch waits for that lookup's answer, so a name
/// whose servers never answer holds one thread however many batches and subscriptions name it.
package struct EndpointResolver: Sendable {
    /// Resolves a host name to its addresses (blocking).
    typealias LookUp = @Sendable (_ host: String, _ port: Int) throws(EndpointError) -> [IPAddress]

    package let policy: EndpointPolicy
    /// How long a batch waits for its lookups.
    package let timeout: Duration
    let lookUp: LookUp
    /// The lookups running for this resolver (and those ``within(_:)`` makes of it), by name.
    private let running: Running

    /// Lookups running in the process, finished or abandoned by their batch.
    private static let inFlight = Mutex(0)
    /// Threads the process may spend on lookups at once.
    static let maximumLookupsInFlight = 64

    package init(policy: EndpointPolicy, timeout: Duration = .seconds(5)) {
        let field = policy.field
        self.init(policy: policy, timeout: timeout) { host, port throws(EndpointError) in
            try EndpointPolicy.lookUp(host, port: port, field: field)
        }
    }

    init(policy: EndpointPolicy, timeout: Duration, lookUp: @escaping LookUp) {
        self.init(policy: policy, timeout: timeout, lookUp: lookUp, running: Running())
    }

    private init(policy: EndpointPolicy, timeout: Duration, lookUp: @escaping LookUp, running: Running) {
        self.policy = policy
        self.timeout = timeout
        self.lookUp = lookUp
        self.running = running
    }

    /// This resolver with at most `limit` for a batch.
    package func within(_ limit: Duration) -> EndpointResolver {
        EndpointResolver(policy: policy, timeout: min(timeout, limit), lookUp: lookUp, running: running)
    }

    /// Checks and resolves every URL. Blocking, for at most ``timeout``.
    /// - Returns: one result per URL, in order: the address to pin, or why the URL cannot be sent to.
    package func resolve(_ urls: [String]) -> [Result<ResolvedAddress, EndpointError>] {
        let checked = urls.map { url in Result { () throws(EndpointError) in try policy.check(url: url) } }
        var names: [Name] = []
        for case .success(let endpoint) in checked where endpoint.address == nil {
            let name = Name(host: endpoint.host, port: endpoint.port)
            if !names.contains(name) { names.append(name) }
        }
        let found = lookUpAll(names)
        return checked.map { result in
            result.flatMap { endpoint in
                Result { () throws(EndpointError) in
                    guard endpoint.address == nil else { return try policy.resolve(endpoint) }
                    let addresses = try (found[Name(host: endpoint.host, port: endpoint.port)] ?? .failure(timedOut(endpoint.host))).get()
                    return try policy.vet(addresses, of: endpoint)
                }
            }
        }
    }

    private struct Name: Hashable {
        var host: String
        var port: Int
    }

    /// Looks every name up on a thread of its own and waits for all, or until the deadline.
    private func lookUpAll(_ names: [Name]) -> [Name: Result<[IPAddress], EndpointError>] {
        guard !names.isEmpty else { return [:] }
        let box = Answers()
        var started = 0
        var refused: [Name: Result<[IPAddress], EndpointError>] = [:]
        for name in names {
            // Joined to a lookup of the name already running, or a new one if a thread may be spent on it (the process's
            // count is taken under this resolver's lock; the lookup's thread gives it back on its own).
            let step = running.boxes.withLock { boxes -> LookupStep in
                if boxes[name] != nil {
                    boxes[name]?.append(box)
                    return .joined
                }
                let admitted = Self.inFlight.withLock { count in
                    guard count < Self.maximumLookupsInFlight else { return false }
                    count += 1
                    return true
                }
                guard admitted else { return .refused }
                boxes[name] = [box]
                return .started
            }
            if step == .refused {
                refused[name] = .failure(
                    EndpointError(.unresolvable, "\(policy.field) host \(name.host) was not looked up: too many lookups are still running"))
                continue
            }
            started += 1
            guard step == .started else { continue }
            let (lookUp, running) = (self.lookUp, self.running)
            Thread.detachNewThread {
                let result = Result { () throws(EndpointError) in try lookUp(name.host, name.port) }
                Self.inFlight.withLock { $0 -= 1 }
                let waiting = running.boxes.withLock { $0.removeValue(forKey: name) } ?? []
                for waiter in waiting { waiter.add(name, result) }
            }
        }
        var answers = box.wait(for: started, until: Date().addingTimeInterval(RetryPolicy.seconds(timeout)))
        answers.merge(refused) { first, _ in first }
        return answers
    }

    private func timedOut(_ host: String) -> EndpointError {
        let seconds = RetryPolicy.seconds(timeout)
        let text = seconds == seconds.rounded() ? "\(Int(seconds))" : "\(seconds)"
        return EndpointError(.unresolvable, "\(policy.field) host \(host) did not resolve within \(text) s")
    }

    private enum LookupStep { case joined, started, refused }

    /// The batches waiting for each name being looked up.
    private final class Running: Sendable {
        let boxes = Mutex<[Name: [Answers]]>([:])
    }

    /// Where the lookup threads leave their results; outlives a batch that stopped waiting.
    private final class Answers: @unchecked Sendable {
        private let condition = NSCondition()
        private var results: [Name: Result<[IPAddress], EndpointError>] = [:]

        func add(_ name: Name, _ result: Result<[IPAddress], EndpointError>) {
            condition.lock()
            results[name] = result
            condition.broadcast()
            condition.unlock()
        }

        /// The results so far, once `count` arrived or at `deadline`.
        func wait(for count: Int, until deadline: Date) -> [Name: Result<[IPAddress], EndpointError>] {
            condition.lock()
            defer { condition.unlock() }
            while results.count < count && condition.wait(until: deadline) {}
            return results
        }
    }
}
