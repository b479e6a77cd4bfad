import Synchronization

/// A check of the database that every caller within `maxAge` shares: callers get the last result, or wait for the
/// check under way. The health probes need no credentials, so a flood of them costs one query per `maxAge`, never a
/// pool connection each.
final class SharedProbe: Sendable {
    private struct State {
        var last: (at: ContinuousClock.Instant, result: Result<Bool, any Error>)?
        var running: Task<Bool, any Error>?
    }

    private enum Step {
        case answered(Result<Bool, any Error>)
        case wait(Task<Bool, any Error>)
    }

    private let state = Mutex(State())
    let maxAge: Duration

    init(maxAge: Duration = .seconds(1)) {
        self.maxAge = maxAge
    }

    /// The result of `check`, run now or shared with other callers (at most `maxAge` old).
    func result(_ check: @escaping @Sendable () async throws -> Bool) async throws -> Bool {
        let step = state.withLock { state -> Step in
            if let last = state.last, ContinuousClock.now - last.at < maxAge { return .answered(last.result) }
            if let running = state.running { return .wait(running) }
            let task = Task { try await check() }
            state.running = task
            return .wait(task)
        }
        switch step {
        case .answered(let result):
            return try result.get()
        case .wait(let task):
            let result = await task.result
            state.withLock { state in
                guard state.running == task else { return }
                state.running = nil
                state.last = (.now, result)
            }
            return try result.get()
        }
    }
}
