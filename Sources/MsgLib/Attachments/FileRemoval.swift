/// What a clean-up of stored files came to: files removed, and files the store would not remove now (they stay queued
/// in `attachment_garbage`; the relays' collector tries them again).
package struct FileRemoval: Sendable, Equatable {
    package var removed = 0
    package var failed = 0
    /// The store's answer to the first file it would not remove.
    package var firstError: String?

    package init() {}

    /// One line for an operator when some files could not be removed, else nil.
    package var failureSummary: String? {
        guard failed > 0 else { return nil }
        let reason = firstError.map { String($0.prefix(300)) } ?? "unknown"
        return
            "\(failed) file\(failed == 1 ? "" : "s") could not be removed from the store (first: \(reason)); they stay queued and the relays try them again"
    }
}
