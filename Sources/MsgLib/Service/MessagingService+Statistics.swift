extension MessagingService {
    /// The success metrics for messages created in `since ..< until`, days counted in `timezone` (admins only).
    /// - Throws: `.invalid` for an empty window or one longer than 10 years; ``ConfigurationError`` for a time zone
    ///   PostgreSQL does not know.
    public func statistics(viewer: User, since: Timestamp, until: Timestamp, timezone: String) async throws -> Statistics {
        try Self.requireAdmin(viewer)
        try Self.requireNoNul(timezone, "The time zone")
        guard since < until else { throw ServiceError(.invalid, "--since must be before --until") }
        guard until.seconds(since: since) <= 3653 * 86_400 else { throw ServiceError(.invalid, "the window must be at most 10 years") }
        // First response, the longest, goes side by side with the rest when the pool has a second connection. The time
        // zone is checked on that second connection (reading PostgreSQL's list of zones takes some 25 ms), while first
        // response runs.
        async let response = pool.withConnection { db in try StatisticsRepository.firstResponse(db, since: since, until: until) }
        var statistics = try await pool.withConnection { db in
            guard try StatisticsRepository.knowsTimeZone(db, timezone) else {
                // A setting to change (its tzdata may be older than the system's), as a name that is no zone at all.
                throw ConfigurationError("PostgreSQL does not know the time zone \(timezone); set TZ to an IANA name such as Europe/Paris")
            }
            return try StatisticsRepository.daysAndActivity(db, since: since, until: until, timezone: timezone)
        }
        statistics.firstResponse = try await response
        return statistics
    }
}
