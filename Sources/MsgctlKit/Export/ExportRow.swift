import Foundation
import MsgLib

/// A UUID as binary COPY sends it: 16 bytes, read as two big-endian halves (so `<` is PostgreSQL's order).
struct RawUUID: Hashable, Comparable {
    var high: UInt64
    var low: UInt64

    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    init(_ uuid: UUID) {
        var high: UInt64 = 0
        var low: UInt64 = 0
        withUnsafeBytes(of: uuid.uuid) { bytes in
            for index in 0..<8 { high = high << 8 | UInt64(bytes[index]) }
            for index in 8..<16 { low = low << 8 | UInt64(bytes[index]) }
        }
        self.high = high
        self.low = low
    }

    static func < (a: RawUUID, b: RawUUID) -> Bool { (a.high, a.low) < (b.high, b.low) }

    /// The lowercase text form, `0193a1b2-...`.
    var text: String {
        var output = [UInt8]()
        output.reserveCapacity(36)
        ExportText.appendUUID(self, to: &output)
        return String(decoding: output, as: UTF8.self)
    }
}

/// One message as the export statement returns it (``ExportQuery/columns``): fixed-size values decoded, text kept
/// as ranges of the buffer it arrived in, so that a row costs no allocation.
struct ExportRow {
    var id: RawUUID
    var conversationId: RawUUID
    var senderId: RawUUID
    var content: Range<Int>
    /// Microseconds since 2000-01-01T00:00:00Z, PostgreSQL's binary `timestamptz`.
    var createdAt: Int64
    var readAt: Int64?
    var editedAt: Int64?
    var deletedAt: Int64?
    var senderUsername: Range<Int>
    var senderDisplayName: Range<Int>
    var senderIsAdmin: Bool
    var conversationUserId: RawUUID
    var conversationUsername: Range<Int>
    var conversationDisplayName: Range<Int>
    /// `messages.attachments` as JSON text; nil for a message without files.
    var attachments: Range<Int>?
    /// The edit and delete history as JSON (``ExportHistory``); nil without `--include-history` or history.
    var history: Range<Int>?

    /// The message's files (decoded only for a message that has some).
    func files(_ bytes: UnsafeBufferPointer<UInt8>) -> [MessageAttachment] {
        guard let attachments else { return [] }
        return MessageAttachment.list(json: String(decoding: UnsafeBufferPointer(rebasing: bytes[attachments]), as: UTF8.self))
    }
}

/// Reads PostgreSQL's binary COPY format (`COPY ... TO STDOUT (FORMAT binary)`): the 11-byte signature, flags and
/// header extension, then one tuple per row (a 16-bit field count, then each field as a 32-bit length, -1 for NULL,
/// and its bytes in the type's binary send format), then the trailer (a field count of -1).
///
/// Fed the buffers of ``PostgresConnection/copyOut(_:chunkSize:_:)``, which always hold whole rows.
struct BinaryCopyParser {
    static let signature: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00]
    private(set) var sawHeader = false
    private(set) var sawTrailer = false
    /// Rows read so far.
    private(set) var rows = 0

    /// Decodes every row in `buffer` and hands each to `each` with the bytes its ranges point into (valid only
    /// during the call).
    /// - Throws: ``DatabaseError`` (`.decoding`) for data that is not the export statement's binary COPY, or what
    ///   `each` throws.
    mutating func parse(_ buffer: [UInt8], _ each: (ExportRow, UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        try buffer.withUnsafeBufferPointer { bytes in
            var reader = Reader(bytes: bytes)
            if !sawHeader {
                guard bytes.count >= 19, Array(bytes[0..<11]) == Self.signature else { throw Self.malformed("no binary COPY signature") }
                reader.offset = 11
                _ = try reader.int32()
                let extensionLength = Int(try reader.int32())
                guard extensionLength >= 0 else { throw Self.malformed("bad header extension") }
                try reader.skip(extensionLength)
                sawHeader = true
            }
            while reader.offset < bytes.count {
                guard !sawTrailer else { throw Self.malformed("data after the trailer") }
                let fields = try reader.int16()
                if fields == -1 {
                    sawTrailer = true
                    continue
                }
                guard fields == ExportQuery.columnCount else { throw Self.malformed("\(fields) columns instead of \(ExportQuery.columnCount)") }
                let row = ExportRow(
                    id: try reader.uuid(), conversationId: try reader.uuid(), senderId: try reader.uuid(), content: try reader.text(),
                    createdAt: try reader.timestamp(), readAt: try reader.optionalTimestamp(), editedAt: try reader.optionalTimestamp(),
                    deletedAt: try reader.optionalTimestamp(), senderUsername: try reader.text(), senderDisplayName: try reader.text(),
                    senderIsAdmin: try reader.bool(), conversationUserId: try reader.uuid(), conversationUsername: try reader.text(),
                    conversationDisplayName: try reader.text(), attachments: try reader.optionalText(),
                    history: try reader.optionalText())
                rows += 1
                try each(row, bytes)
            }
        }
    }

    static func malformed(_ what: String) -> DatabaseError {
        DatabaseError(.decoding, message: "unexpected COPY data from the server: \(what)")
    }

    /// Big-endian reads with bounds checks.
    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var offset = 0

        mutating func skip(_ count: Int) throws {
            guard count <= bytes.count - offset else { throw BinaryCopyParser.malformed("a row is cut short") }
            offset += count
        }

        mutating func bigEndian(_ count: Int) throws -> UInt64 {
            guard count <= bytes.count - offset else { throw BinaryCopyParser.malformed("a row is cut short") }
            var value: UInt64 = 0
            for index in offset..<offset + count { value = value << 8 | UInt64(bytes[index]) }
            offset += count
            return value
        }

        mutating func int16() throws -> Int16 { Int16(bitPattern: UInt16(truncatingIfNeeded: try bigEndian(2))) }
        mutating func int32() throws -> Int32 { Int32(bitPattern: UInt32(truncatingIfNeeded: try bigEndian(4))) }

        /// The length word of a field, checked against `expected` when given; nil for NULL.
        mutating func length(_ expected: Int? = nil) throws -> Int? {
            let length = Int(try int32())
            if length == -1 { return nil }
            guard length >= 0, expected == nil || expected == length else { throw BinaryCopyParser.malformed("a field of \(length) bytes") }
            guard length <= bytes.count - offset else { throw BinaryCopyParser.malformed("a row is cut short") }
            return length
        }

        mutating func uuid() throws -> RawUUID {
            guard try length(16) != nil else { throw BinaryCopyParser.malformed("a NULL id") }
            return RawUUID(high: try bigEndian(8), low: try bigEndian(8))
        }

        mutating func text() throws -> Range<Int> {
            guard let length = try length() else { throw BinaryCopyParser.malformed("a NULL text") }
            defer { offset += length }
            return offset..<offset + length
        }

        mutating func optionalText() throws -> Range<Int>? {
            guard let length = try length() else { return nil }
            defer { offset += length }
            return offset..<offset + length
        }

        mutating func optionalTimestamp() throws -> Int64? {
            guard try length(8) != nil else { return nil }
            return Int64(bitPattern: try bigEndian(8))
        }

        mutating func timestamp() throws -> Int64 {
            guard let value = try optionalTimestamp() else { throw BinaryCopyParser.malformed("a NULL created_at") }
            return value
        }

        mutating func bool() throws -> Bool {
            guard try length(1) != nil else { throw BinaryCopyParser.malformed("a NULL boolean") }
            return try bigEndian(1) != 0
        }
    }
}
