import TestSupport
import Testing

@testable import RelayKit

@Suite struct SessionWorkQueueTests {
    @Test func theFirstJobStartsTheDrainAndTheOthersJoinIt() {
        var work = SessionWorkQueue<Int>()
        #expect(work.backlogLimit == 64)
        #expect(work.enqueue(1) == (startDrain: true, pauseReading: false))
        #expect(work.enqueue(2) == (startDrain: false, pauseReading: false))
        #expect(work.isRunning && work.backlog == 2)
        #expect(work.next() == (job: 1, resumeReading: false))
        #expect(work.enqueue(3) == (startDrain: false, pauseReading: false))
        #expect(work.next() == (job: 2, resumeReading: false))
        #expect(work.next() == (job: 3, resumeReading: false))
        #expect(work.isRunning)
        #expect(work.next() == (job: nil, resumeReading: false))
        #expect(!work.isRunning)
        #expect(work.enqueue(4) == (startDrain: true, pauseReading: false))
    }

    @Test(arguments: [1, 2, 3, 64, 100])
    func readingPausesAtExactlyTheLimitAndResumesWhenTheBacklogFallsFromIt(limit: Int) {
        var work = SessionWorkQueue<Int>(backlogLimit: limit)
        for n in 1...limit + 3 {
            #expect(work.enqueue(n) == (startDrain: n == 1, pauseReading: n == limit))
        }
        for n in 1...limit + 3 {
            // The backlog is limit + 4 - n before this job is taken: reading resumes when it falls from the limit.
            #expect(work.next() == (job: n, resumeReading: limit + 4 - n == limit))
        }
        #expect(work.next() == (job: nil, resumeReading: false))
    }

    @Test(arguments: [1, 2, 64])
    func theBacklogCanCrossTheLimitAgainAndAgain(limit: Int) {
        var work = SessionWorkQueue<Int>(backlogLimit: limit)
        var pauses = 0
        var resumes = 0
        for n in 0..<limit { pauses += work.enqueue(n).pauseReading ? 1 : 0 }
        for round in 0..<10 {
            resumes += work.next().resumeReading ? 1 : 0
            #expect(pauses == round + 1 && resumes == round + 1)
            pauses += work.enqueue(100 + round).pauseReading ? 1 : 0
        }
        #expect(pauses == 11 && resumes == 10)
    }

    /// The drain decides to resume reading away from the event loop; a frame read there before the resume is applied
    /// fills the backlog again and pauses reading: the resume, applied after, must see that reading is not wanted (else
    /// reading stays on with a full backlog, and the limit no longer holds).
    @Test(arguments: [1, 2, 64])
    func aResumeOvertakenByAPauseIsNotApplied(limit: Int) {
        var work = SessionWorkQueue<Int>(backlogLimit: limit)
        for n in 0..<limit { _ = work.enqueue(n) }
        #expect(!work.wantsReading)
        #expect(work.next().resumeReading)
        #expect(work.wantsReading)
        #expect(work.enqueue(100).pauseReading)
        #expect(!work.wantsReading)  // when the resume is applied
        #expect(work.next().resumeReading)
        #expect(work.wantsReading)
        work.end()
        #expect(!work.wantsReading)
    }

    @Test func endDropsTheJobsAndStopsTheDrain() {
        var work = SessionWorkQueue<Int>(backlogLimit: 3)
        _ = work.enqueue(1)
        _ = work.enqueue(2)
        _ = work.enqueue(3)
        #expect(work.next() == (job: 1, resumeReading: true))
        let running = work.end()
        #expect(running)  // job 1 still runs: the socket's place is held until it ends
        #expect(work.isEnded && work.backlog == 0)
        #expect(work.isRunning)  // until the drain asks for its next job
        #expect(work.enqueue(4) == (startDrain: false, pauseReading: false))
        #expect(work.backlog == 0)
        #expect(work.next() == (job: nil, resumeReading: false))
        #expect(!work.isRunning)
        let runningAfter = work.end()
        #expect(!runningAfter)
        #expect(work.enqueue(5) == (startDrain: false, pauseReading: false))
        #expect(work.next() == (job: nil, resumeReading: false))
    }

    @Test func endWhilePausedDoesNotResume() {
        var work = SessionWorkQueue<Int>(backlogLimit: 2)
        _ = work.enqueue(1)
        let second = work.enqueue(2)
        #expect(second.pauseReading)
        work.end()
        #expect(work.next() == (job: nil, resumeReading: false))
    }

    @Test func aPingIsAnsweredDirectlyOnlyWhenNoJobRuns() {
        var work = SessionWorkQueue<Int>()
        #expect(work.canAnswerPingDirectly)
        _ = work.enqueue(1)
        #expect(!work.canAnswerPingDirectly)
        _ = work.next()
        #expect(!work.canAnswerPingDirectly)  // job 1 runs, nothing waits
        _ = work.next()
        #expect(work.canAnswerPingDirectly)
        _ = work.enqueue(2)
        work.end()
        #expect(!work.canAnswerPingDirectly)
        _ = work.next()
        #expect(work.canAnswerPingDirectly)
    }

    /// Random sequences: the queue decides what the work bookkeeping of SocketSession decided, jobs run first in
    /// first out, reading is paused exactly while the backlog is at or over the limit, and one drain runs at most.
    @Test(arguments: 0..<300)
    func randomSequencesMatchTheBookkeepingItReplaces(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed))
        let limit = [1, 2, 3, 4, 8, 64][Int(random.next() % 6)]
        var work = SessionWorkQueue<Int>(backlogLimit: limit)
        var old = LegacyWork(backlogLimit: limit)
        var nextJob = 0
        var lastRun = -1
        var drainRunning = false
        var paused = false
        for step in 0..<600 {
            func fail(_ what: String) { Issue.record("seed \(seed), limit \(limit), step \(step): \(what)") }
            switch random.next() % 100 {
            case 0..<50:
                nextJob += 1
                let (new, before) = (work.enqueue(nextJob), old.enqueue(nextJob))
                if new != before { return fail("enqueue: \(new) instead of \(before)") }
                if new.startDrain {
                    if drainRunning { return fail("a second drain") }
                    drainRunning = true
                }
                if new.pauseReading {
                    if paused { return fail("paused twice") }
                    paused = true
                }
            case 50..<98:
                guard drainRunning else { continue }
                let (new, before) = (work.next(), old.next())
                if new != before { return fail("next: \(new) instead of \(before)") }
                if new.resumeReading {
                    if !paused { return fail("resumed without a pause") }
                    paused = false
                }
                if let job = new.job {
                    if job <= lastRun { return fail("job \(job) after job \(lastRun)") }
                    lastRun = job
                } else {
                    drainRunning = false
                }
            default:
                work.end()
                old.end()
            }
            if work.isRunning != old.running || work.isEnded != old.ended || work.backlog != old.jobs.count {
                return fail("state \(work) instead of \(old)")
            }
            if work.canAnswerPingDirectly != !old.running { return fail("ping answered directly: \(work.canAnswerPingDirectly)") }
            if !work.isEnded, paused != (work.backlog >= limit) { return fail("paused \(paused) with a backlog of \(work.backlog)") }
        }
    }
}

/// The work bookkeeping of SocketSession before ``SessionWorkQueue``, line for line.
private struct LegacyWork {
    var jobs: [Int] = []
    var running = false
    var ended = false
    let backlogLimit: Int

    mutating func enqueue(_ job: Int) -> (Bool, Bool) {
        guard !ended else { return (false, false) }
        jobs.append(job)
        let pause = jobs.count == backlogLimit
        if running { return (false, pause) }
        running = true
        return (true, pause)
    }

    mutating func next() -> (Int?, Bool) {
        guard !ended, !jobs.isEmpty else {
            running = false
            return (nil, false)
        }
        let resume = jobs.count == backlogLimit
        return (jobs.removeFirst(), resume)
    }

    mutating func end() {
        ended = true
        jobs = []
    }
}
