import Foundation
import MsgLib

/// mboxrd (RFC 4155; the "rd" quoting of qmail's mbox(5)): one RFC 5322 mail per message, LF line ends.
///
/// Each mail starts with a `From_` line (`From alice@msgrelay.invalid Tue Nov 25 22:57:52 2026`, UTC), then:
/// - `From:` the sender, `To:` the other side (the conversation's user for an admin's message, `Site admin
///   <admin@msgrelay.invalid>` for a user's), as `"Display Name" <username@msgrelay.invalid>`; a username that is
///   not a valid dot-atom becomes the user's id; non-ASCII names are RFC 2047 encoded-words (UTF-8, base64);
/// - `Date:` created_at (RFC 5322, +0000), `Subject: Conversation with NAME (username)` (the same for the whole
///   conversation, so mail readers group it);
/// - `Message-ID: <message-id@msgrelay.invalid>`, `In-Reply-To:` the previous message of the conversation in this
///   export, `References:` the conversation (`<conversation-id@msgrelay.invalid>`) and that previous message;
/// - `X-Msgrelay-Conversation-Id`, `X-Msgrelay-Sender-Id`, and `X-Msgrelay-Read-At`, `-Edited-At`,
///   `-Deleted-At` (RFC 3339 UTC) when set;
/// - `MIME-Version: 1.0`, `Content-Type: text/plain; charset=utf-8`, `Content-Transfer-Encoding: 8bit`, or
///   `quoted-printable` when a line of the message is longer than RFC 5322's 998 octets.
///
/// The body is the content with line breaks made LF, then a line per attached file
/// (`[attachment: name (type, size) id]`); every line matching `^>*From ` gets one more `>` (mboxrd, so
/// a reader removes exactly one). A blank line ends each mail.
struct MboxFormatter: ExportFormatter {
    static let domain: StaticString = "msgrelay.invalid"
    private var line: [UInt8] = []
    /// The current conversation, and its id and the previous message's id as text (each UUID is formatted once).
    private var conversation: RawUUID?
    private var conversationText: [UInt8] = []
    private var idText: [UInt8] = []
    private var previousIdText: [UInt8] = []

    mutating func write(_ row: ExportRow, _ bytes: UnsafeBufferPointer<UInt8>, _ out: inout ExportOutput) {
        let replying = conversation == row.conversationId
        if !replying {
            conversation = row.conversationId
            conversationText.removeAll(keepingCapacity: true)
            ExportText.appendUUID(row.conversationId, to: &conversationText)
        }
        swap(&idText, &previousIdText)
        idText.removeAll(keepingCapacity: true)
        ExportText.appendUUID(row.id, to: &idText)
        let fromUser = row.senderId == row.conversationUserId

        out.append("From ")
        appendAddress(bytes, username: row.senderUsername, id: row.senderId, &out)
        out.append(0x20)
        ExportText.appendAsctime(row.createdAt, to: &out.bytes)
        out.append("\nFrom: ")
        appendPhrase(bytes, row.senderDisplayName, &out)
        out.append(" <")
        appendAddress(bytes, username: row.senderUsername, id: row.senderId, &out)
        if fromUser {
            out.append(">\nTo: \"Site admin\" <admin@")
            out.append(Self.domain)
        } else {
            out.append(">\nTo: ")
            appendPhrase(bytes, row.conversationDisplayName, &out)
            out.append(" <")
            appendAddress(bytes, username: row.conversationUsername, id: row.conversationUserId, &out)
        }
        out.append(">\nDate: ")
        ExportText.appendRFC5322(row.createdAt, to: &out.bytes)
        out.append("\nSubject: ")
        appendSubject(bytes, row, &out)
        out.append("\nMessage-ID: ")
        appendMessageID(idText, &out)
        if replying {
            out.append("\nIn-Reply-To: ")
            appendMessageID(previousIdText, &out)
        }
        out.append("\nReferences: ")
        appendMessageID(conversationText, &out)
        if replying {
            out.append(0x20)
            appendMessageID(previousIdText, &out)
        }
        out.append("\nX-Msgrelay-Conversation-Id: ")
        out.bytes.append(contentsOf: conversationText)
        out.append("\nX-Msgrelay-Sender-Id: ")
        ExportText.appendUUID(row.senderId, to: &out.bytes)
        if let readAt = row.readAt {
            out.append("\nX-Msgrelay-Read-At: ")
            ExportText.appendRFC3339(readAt, to: &out.bytes)
        }
        if let editedAt = row.editedAt {
            out.append("\nX-Msgrelay-Edited-At: ")
            ExportText.appendRFC3339(editedAt, to: &out.bytes)
        }
        if let deletedAt = row.deletedAt {
            out.append("\nX-Msgrelay-Deleted-At: ")
            ExportText.appendRFC3339(deletedAt, to: &out.bytes)
        }
        out.append("\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: ")
        var longest = 0
        ExportText.forEachLine(bytes, row.content) { longest = max(longest, $0.count) }
        let files = row.files(bytes).map { file in
            Array("[attachment: \(ExportText.oneLine(file.filename)) (\(ExportText.attachmentSummary(file))) \(file.id.lowercasedString)]".utf8)
        }
        if longest > 998 || files.contains(where: { $0.count > 998 }) {
            out.append("quoted-printable\n\n")
            ExportText.forEachLine(bytes, row.content) { range in
                Self.quotedPrintable(bytes, range, line: &line) { encoded in Self.appendBodyLine(encoded, &out) }
            }
            for file in files {
                file.withUnsafeBufferPointer {
                    Self.quotedPrintable($0, 0..<file.count, line: &line) { encoded in Self.appendBodyLine(encoded, &out) }
                }
            }
        } else {
            out.append("8bit\n\n")
            ExportText.forEachLine(bytes, row.content) { range in Self.appendBodyLine(UnsafeBufferPointer(rebasing: bytes[range]), &out) }
            for file in files { file.withUnsafeBufferPointer { Self.appendBodyLine($0, &out) } }
        }
        out.append(0x0A)
    }

    /// One body line and its LF, with mboxrd quoting: a line matching `^>*From ` gets one more `>`.
    static func appendBodyLine(_ line: UnsafeBufferPointer<UInt8>, _ out: inout ExportOutput) {
        var index = 0
        while index < line.count, line[index] == 0x3E { index += 1 }
        if line.count - index >= 5, line[index] == 0x46, line[index + 1] == 0x72, line[index + 2] == 0x6F, line[index + 3] == 0x6D,
            line[index + 4] == 0x20
        {
            out.append(0x3E)  // "From " after any number of ">"
        }
        out.append(line)
        out.append(0x0A)
    }

    /// One line of text as quoted-printable (RFC 2045 section 6.7): `=XX` for `=`, bytes outside printable ASCII
    /// and a space or tab ending the line; soft line breaks (`=` at the end) keep encoded lines within 76 characters.
    static func quotedPrintable(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, line: inout [UInt8], _ emit: (UnsafeBufferPointer<UInt8>) -> Void
    ) {
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        line.removeAll(keepingCapacity: true)
        for index in range {
            let byte = bytes[index]
            let last = index == range.upperBound - 1
            let printable: Bool = byte >= 33 && byte <= 126 && byte != 0x3D
            let blank: Bool = byte == 0x20 || byte == 0x09
            let literal = printable || (blank && !last)
            let width = literal ? 1 : 3
            if line.count + width > 75 {
                line.append(0x3D)
                line.withUnsafeBufferPointer(emit)
                line.removeAll(keepingCapacity: true)
            }
            if literal {
                line.append(byte)
            } else {
                line.append(contentsOf: [0x3D, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            }
        }
        line.withUnsafeBufferPointer(emit)
    }

    /// `<id@msgrelay.invalid>` from the id's text.
    private func appendMessageID(_ id: [UInt8], _ out: inout ExportOutput) {
        out.append(0x3C)
        out.bytes.append(contentsOf: id)
        out.append(0x40)
        out.append(Self.domain)
        out.append(0x3E)
    }

    /// `username@msgrelay.invalid` when the username is a dot-atom of at most 64 characters, else `user-id@...`.
    private func appendAddress(_ bytes: UnsafeBufferPointer<UInt8>, username: Range<Int>, id: RawUUID, _ out: inout ExportOutput) {
        if Self.isDotAtom(bytes, username) {
            out.append(UnsafeBufferPointer(rebasing: bytes[username]))
        } else {
            ExportText.appendUUID(id, to: &out.bytes)
        }
        out.append(0x40)
        out.append(Self.domain)
    }

    static func isDotAtom(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        guard !range.isEmpty, range.count <= 64, bytes[range.lowerBound] != 0x2E, bytes[range.upperBound - 1] != 0x2E else { return false }
        var previousDot = false
        for index in range {
            let byte = bytes[index]
            if byte == 0x2E {
                if previousDot { return false }
                previousDot = true
                continue
            }
            previousDot = false
            guard ExportText.isAlphanumeric(byte) || "!#$%&'*+-/=?^_`{|}~".utf8.contains(byte) else { return false }
        }
        return true
    }

    /// A display name: an RFC 5322 quoted-string when printable ASCII, else RFC 2047 encoded-words.
    private func appendPhrase(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ out: inout ExportOutput) {
        // Quotes and backslashes take two bytes each once escaped: the line must stay under RFC 5322's 998.
        let escapes = range.count <= 900 ? range.lazy.filter { bytes[$0] == 0x22 || bytes[$0] == 0x5C }.count : 0
        guard ExportText.isPrintableASCII(bytes, range), range.count + escapes <= 900 else {
            Self.appendEncodedWords(Array(bytes[range]), &out)
            return
        }
        out.append(0x22)
        for index in range {
            let byte = bytes[index]
            if byte == 0x22 || byte == 0x5C { out.append(0x5C) }
            out.append(byte)
        }
        out.append(0x22)
    }

    /// `Conversation with NAME (username)`, as encoded-words unless printable ASCII.
    private func appendSubject(_ bytes: UnsafeBufferPointer<UInt8>, _ row: ExportRow, _ out: inout ExportOutput) {
        let name = UnsafeBufferPointer(rebasing: bytes[row.conversationDisplayName])
        let username = UnsafeBufferPointer(rebasing: bytes[row.conversationUsername])
        let plain = ExportText.isPrintableASCII(bytes, row.conversationDisplayName) && ExportText.isPrintableASCII(bytes, row.conversationUsername)
        if plain && name.count + username.count <= 800 {
            out.append("Conversation with ")
            out.append(name)
            out.append(" (")
            out.append(username)
            out.append(0x29)
        } else {
            var subject: [UInt8] = Array("Conversation with ".utf8)
            subject.append(contentsOf: name)
            subject.append(contentsOf: Array(" (".utf8))
            subject.append(contentsOf: username)
            subject.append(UInt8(ascii: ")"))
            Self.appendEncodedWords(subject, &out)
        }
    }

    /// RFC 2047 encoded-words, `=?utf-8?b?...?=`, each of at most 45 bytes of text (75 characters encoded) cut
    /// between UTF-8 sequences, folded onto continuation lines.
    static func appendEncodedWords(_ text: [UInt8], _ out: inout ExportOutput) {
        var start = 0
        while start < text.count {
            var end = min(start + 45, text.count)
            while end < text.count, end > start + 1, text[end] & 0xC0 == 0x80 { end -= 1 }
            if start > 0 { out.append("\n ") }
            out.append("=?utf-8?b?")
            out.appendString(Data(text[start..<end]).base64EncodedString())
            out.append("?=")
            start = end
        }
    }
}
