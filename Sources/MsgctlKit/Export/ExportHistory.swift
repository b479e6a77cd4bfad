import Foundation
import MsgLib

/// One change of an exported message (`--include-history`), as the export statement's `history` column carries it.
struct ExportHistoryEntry: Equatable {
    var action: String
    /// Microseconds since 2000-01-01T00:00:00Z, as the other times of a row.
    var changedAt: Int64
    var actorId: String?
    var actorUsername: String?
    var databaseRole: String
    var previousContent: String?
    var previousWrittenAt: Int64?
}

/// The `history` column of an export with `--include-history` (migration 28's `message_history`), and its JSON form.
enum ExportHistory {
    /// The column: a JSON array of arrays, one per change, oldest first (NULL for a message without history), times in
    /// microseconds since 2000 so that they are written as exactly as the row's own.
    static let column = """
        (SELECT json_agg(json_build_array(
                    h.action, ((extract(epoch FROM h.changed_at) - 946684800) * 1000000)::int8, h.actor_id, a.username,
                    h.database_role, h.previous_content, ((extract(epoch FROM h.previous_written_at) - 946684800) * 1000000)::int8)
                ORDER BY h.id)
         FROM message_history h LEFT JOIN users a ON a.id = h.actor_id WHERE h.message_id = m.id)::text
        """

    /// The entries of a row's column (empty for NULL or anything unreadable).
    static func entries(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>?) -> [ExportHistoryEntry] {
        guard let range, let items = (try? JSONSerialization.jsonObject(with: Data(bytes[range]))) as? [Any] else { return [] }
        return items.compactMap { item in
            guard let item = item as? [Any], item.count == 7, let action = item[0] as? String, let changedAt = (item[1] as? NSNumber)?.int64Value,
                let role = item[4] as? String
            else { return nil }
            return ExportHistoryEntry(
                action: action, changedAt: changedAt, actorId: item[2] as? String, actorUsername: item[3] as? String, databaseRole: role,
                previousContent: item[5] as? String, previousWrittenAt: (item[6] as? NSNumber)?.int64Value)
        }
    }

    /// `[{"action":…,"changed_at":…,"actor_id":…,"actor_username":…,"database_role":…,"previous_content":…,
    /// "previous_written_at":…}]`, every field present (`null` when empty), times RFC 3339 UTC.
    static func json(_ entries: [ExportHistoryEntry]) -> [UInt8] {
        var out: [UInt8] = [0x5B]
        for (index, entry) in entries.enumerated() {
            if index > 0 { out.append(0x2C) }
            ExportText.append("{\"action\":", to: &out)
            appendString(entry.action, &out)
            ExportText.append(",\"changed_at\":\"", to: &out)
            ExportText.appendRFC3339(entry.changedAt, to: &out)
            ExportText.append("\",\"actor_id\":", to: &out)
            appendString(entry.actorId, &out)
            ExportText.append(",\"actor_username\":", to: &out)
            appendString(entry.actorUsername, &out)
            ExportText.append(",\"database_role\":", to: &out)
            appendString(entry.databaseRole, &out)
            ExportText.append(",\"previous_content\":", to: &out)
            appendString(entry.previousContent, &out)
            ExportText.append(",\"previous_written_at\":", to: &out)
            if let written = entry.previousWrittenAt {
                out.append(0x22)
                ExportText.appendRFC3339(written, to: &out)
                out.append(0x22)
            } else {
                ExportText.append("null", to: &out)
            }
            out.append(0x7D)
        }
        out.append(0x5D)
        return out
    }

    /// A JSON string, or `null`.
    private static func appendString(_ text: String?, _ out: inout [UInt8]) {
        guard let text else { return ExportText.append("null", to: &out) }
        let bytes = Array(text.utf8)
        bytes.withUnsafeBufferPointer { JSONText.appendString($0, 0..<bytes.count, to: &out) }
    }
}
