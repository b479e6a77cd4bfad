/// The work of one socket, without I/O or tasks: jobs run one after another in the order they came, by one
/// drain that exists only while there is work; reading from the client pauses while the backlog is full.
/// ``SocketSession`` runs the drain and performs the pause and resume.
struct SessionWorkQueue<Job> {
    /// Jobs waiting (the running one not counted) when reading from the client pauses.
    let backlogLimit: Int
    private var jobs: [Job] = []
    /// True while a drain runs: from the ``enqueue(_:)`` that starts it to the ``next()`` that returns no job.
    private(set) var isRunning = false
    /// True once the socket closed: jobs are dropped and the drain stops.
    private(set) var isEnded = false

    init(backlogLimit: Int = 64) {
        self.backlogLimit = backlogLimit
    }

    /// Jobs waiting, the running one not counted.
    var backlog: Int { jobs.count }

    /// Whether reading from the client should be on now: the backlog is below ``backlogLimit``. A resume decided by
    /// ``next()`` is applied only if this still holds where the pauses are made (the client's frames may have filled
    /// the backlog again meanwhile, and paused reading after the resume was decided).
    var wantsReading: Bool { !isEnded && jobs.count < backlogLimit }

    /// True when a ping can be answered at once: no job is running, so none is waiting before it either.
    var canAnswerPingDirectly: Bool { !isRunning }

    /// Queues a job. `startDrain`: no drain runs, the caller must start one. `pauseReading`: the backlog just
    /// reached ``backlogLimit``, stop reading from the client. Dropped once ended.
    mutating func enqueue(_ job: Job) -> (startDrain: Bool, pauseReading: Bool) {
        guard !isEnded else { return (false, false) }
        jobs.append(job)
        let pause = jobs.count == backlogLimit
        if isRunning { return (false, pause) }
        isRunning = true
        return (true, pause)
    }

    /// The drain's next job, first in first out; nil ends the drain. `resumeReading`: the backlog just fell
    /// from ``backlogLimit``, read from the client again (before running the job).
    mutating func next() -> (job: Job?, resumeReading: Bool) {
        guard !isEnded, !jobs.isEmpty else {
            isRunning = false
            return (nil, false)
        }
        let resume = jobs.count == backlogLimit
        return (jobs.removeFirst(), resume)
    }

    /// The socket closed: drops the waiting jobs; the drain ends at its next ``next()``. Returns whether a job is
    /// running still.
    @discardableResult
    mutating func end() -> Bool {
        isEnded = true
        jobs = []
        return isRunning
    }
}

extension SessionWorkQueue: Sendable where Job: Sendable {}
