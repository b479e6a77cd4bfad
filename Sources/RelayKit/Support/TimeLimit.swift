import Synchronization

/// Runs `body` and returns its result, or nil once `limit` has passed, for an answer that must leave in time (Slack
/// waits 3 s for one) while the work may take longer.
///
/// After the limit, `body` is cancelled when `cancelLate` (e.g. a wait for a database connection ends at once), or
/// else left to finish in its own task, its result dropped. `body` runs in an unstructured task so that the caller is
/// never held beyond the limit by work that does not react to cancellation (a statement in progress).
/// - Throws: what `body` throws within the limit.
func withTimeLimit<T: Sendable>(
    _ limit: Duration, cancelLate: Bool, _ body: @escaping @Sendable () async throws -> T
) async throws -> T? {
    let race = TimeLimitRace<T>()
    return try await withCheckedThrowingContinuation { continuation in
        race.start(continuation)
        let work = Task {
            do {
                let value = try await body()
                race.finish(.success(value))
            } catch {
                race.finish(.failure(error))
            }
        }
        race.setTimer(
            Task {
                try? await Task.sleep(for: limit)
                if race.finish(.success(nil)), cancelLate { work.cancel() }
            })
    }
}

/// Who answers first: the work or the timer. The continuation is resumed exactly once, by the first to finish.
private final class TimeLimitRace<T: Sendable>: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<T?, any Error>?, timer: Task<Void, Never>?)>((nil, nil))

    func start(_ continuation: CheckedContinuation<T?, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    func setTimer(_ timer: Task<Void, Never>) {
        let finished = state.withLock { state -> Bool in
            guard state.continuation != nil else { return true }
            state.timer = timer
            return false
        }
        if finished { timer.cancel() }
    }

    /// Resumes the caller unless someone did already; true when this call did.
    @discardableResult
    func finish(_ result: Result<T?, any Error>) -> Bool {
        let (continuation, timer) = state.withLock { state in
            defer { state = (nil, nil) }
            return (state.continuation, state.timer)
        }
        timer?.cancel()
        guard let continuation else { return false }
        continuation.resume(with: result)
        return true
    }
}
