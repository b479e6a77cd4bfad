extension Notifier {
    /// For each Slack post tried before (whose answer may have been lost after Slack posted it; or whose round was
    /// begun and never committed: its relay died or lost the database while Slack answered), whether Slack has
    /// the post already (``SlackPostLookup``), a page of each at a time, the pages of all jobs together. Returns the
    /// outcomes of the jobs that must not be posted now, by index: those found (recorded as posted), and those whose
    /// lookup Slack could not answer (tried again later, up to ``SlackPostLookup/retryLimit`` attempts). The others are
    /// posted.
    func earlierPosts(_ jobs: [OutboxJob], app: SlackAppConfiguration?) -> [Int: DeliveryOutcome] {
        guard let app else { return [:] }
        let api = SlackWebAPI(configuration: app)
        var pending: [(index: Int, lookup: SlackPostLookup, page: SlackPostLookup.Page)] = []
        for (index, job) in jobs.enumerated() where job.kind == .slackPost && (job.attempts > 0 || job.begun) && job.message.deletedAt == nil {
            guard let context = job.slack else { continue }
            let lookup = SlackPostLookup(
                channelId: context.thread?.channelId ?? app.channelId, threadTs: context.thread?.threadTs, messageId: job.message.id,
                written: job.message.createdAt)
            pending.append((index, lookup, SlackPostLookup.Page()))
        }
        var settled: [Int: DeliveryOutcome] = [:]
        // Each lookup ends within SlackPostLookup.requestLimit pages.
        while !pending.isEmpty {
            let results = slackClient.send(pending.map { $0.lookup.request(api, page: $0.page) })
            var next: [(index: Int, lookup: SlackPostLookup, page: SlackPostLookup.Page)] = []
            for (entry, result) in zip(pending, results) {
                let step = entry.lookup.read(result)
                switch step {
                case .found(let ts): settled[entry.index] = entry.lookup.outcome(ts: ts, conversationId: jobs[entry.index].message.conversationId)
                case .retry(let outcome):
                    if jobs[entry.index].attempts < SlackPostLookup.retryLimit { settled[entry.index] = outcome }
                case .next, .tooLarge:
                    if let page = entry.page.after(step) { next.append((entry.index, entry.lookup, page)) }
                case .absent: break
                }
            }
            pending = next
        }
        return settled
    }
}
