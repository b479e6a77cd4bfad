import MsgLib

/// The file formats of `msgctl export`.
package enum ExportFormat: String, Sendable, CaseIterable {
    /// JSON Lines: one object per message with the REST API's fields, `deleted_at` and the sender.
    case jsonl
    /// RFC 4180 CSV with a header row: the same fields, the sender's flattened.
    case csv
    /// mboxrd (RFC 4155 with `>From` quoting of every `>*From ` line): one RFC 5322 mail per message.
    case mbox
    /// A Markdown transcript: a heading per conversation, each message quoted under its sender and time.
    case markdown
}

/// Turns exported rows into a format's bytes.
///
/// Rows come ordered by conversation, then time (``ExportQuery``); a formatter may rely on that (Markdown starts a
/// heading when the conversation changes, mbox threads each mail under the previous one of its conversation).
protocol ExportFormatter {
    /// What comes before the first row (a CSV header).
    mutating func begin(_ out: inout ExportOutput)
    /// One message; its text fields are ranges of `bytes`.
    mutating func write(_ row: ExportRow, _ bytes: UnsafeBufferPointer<UInt8>, _ out: inout ExportOutput)
    /// What comes after the last row.
    mutating func finish(_ out: inout ExportOutput)
}

extension ExportFormatter {
    mutating func begin(_ out: inout ExportOutput) {}
    mutating func finish(_ out: inout ExportOutput) {}
}
