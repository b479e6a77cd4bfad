import Foundation

/// Readers for the export formats, written from the specifications rather than from the writers, so tests can
/// parse what msgctl export wrote.
package enum ExportParsing {
    /// RFC 4180: records of fields; quoted fields may hold commas, doubled quotes and line breaks; CRLF ends a record.
    package static func csv(_ text: String) throws -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var scalars = Array(text.unicodeScalars)[...]
        var atFieldStart = true
        while let scalar = scalars.popFirst() {
            if quoted {
                if scalar == "\"" {
                    if scalars.first == "\"" {
                        scalars.removeFirst()
                        field.unicodeScalars.append("\"")
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"" where atFieldStart:
                quoted = true
                atFieldStart = false
            case "\"":
                throw TestFailure("a quote inside an unquoted CSV field")
            case ",":
                record.append(field)
                field = ""
                atFieldStart = true
            case "\r":
                guard scalars.popFirst() == "\n" else { throw TestFailure("CR without LF outside quotes") }
                record.append(field)
                records.append(record)
                record = []
                field = ""
                atFieldStart = true
            case "\n":
                throw TestFailure("a bare LF ends a CSV record")
            default:
                field.unicodeScalars.append(scalar)
                atFieldStart = false
            }
        }
        guard !quoted else { throw TestFailure("unterminated quoted CSV field") }
        guard record.isEmpty && field.isEmpty else { throw TestFailure("the last CSV record has no CRLF") }
        return records
    }

    /// One mail of an mboxrd file.
    package struct Mail {
        package var fromLine: String
        package var headers: [(name: String, value: String)]
        /// Body lines with the mboxrd quoting undone (one `>` removed from `>+From ` lines).
        package var body: [String]

        package func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    /// Splits an mboxrd file into mails: a line starting with `From ` begins one; headers (with folded
    /// continuation lines) end at the first empty line; the blank line before the next `From_` line ends a body.
    package static func mbox(_ text: String) throws -> [Mail] {
        var lines = text.components(separatedBy: "\n")
        guard lines.last == "" else { throw TestFailure("the mbox does not end with a line break") }
        lines.removeLast()
        var mails: [Mail] = []
        var index = 0
        while index < lines.count {
            guard lines[index].hasPrefix("From ") else { throw TestFailure("expected a From_ line at line \(index + 1): \(lines[index])") }
            var mail = Mail(fromLine: lines[index], headers: [], body: [])
            index += 1
            while index < lines.count, !lines[index].isEmpty {
                let line = lines[index]
                if line.hasPrefix(" ") || line.hasPrefix("\t"), !mail.headers.isEmpty {
                    mail.headers[mail.headers.count - 1].value += line
                } else {
                    guard let colon = line.firstIndex(of: ":") else { throw TestFailure("not a header: \(line)") }
                    mail.headers.append((String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
                }
                index += 1
            }
            index += 1  // the empty line after the headers
            var body: [String] = []
            while index < lines.count, !lines[index].hasPrefix("From ") {
                body.append(lines[index])
                index += 1
            }
            guard body.last == "" else { throw TestFailure("a mail does not end with a blank line") }
            body.removeLast()
            mail.body = body.map { line in
                let quotes = line.prefix { $0 == ">" }
                return !quotes.isEmpty && line.dropFirst(quotes.count).hasPrefix("From ") ? String(line.dropFirst()) : line
            }
            mails.append(mail)
        }
        return mails
    }

    /// Decodes a quoted-printable body (RFC 2045 section 6.7) given as its lines.
    package static func quotedPrintable(_ lines: [String]) -> String {
        var bytes: [UInt8] = []
        for (number, line) in lines.enumerated() {
            var utf8 = Array(line.utf8)[...]
            var soft = false
            if utf8.last == UInt8(ascii: "=") {
                soft = true
                utf8.removeLast()
            }
            while let byte = utf8.popFirst() {
                if byte == UInt8(ascii: "="), utf8.count >= 2, let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                    bytes.append(value)
                    utf8.removeFirst(2)
                } else {
                    bytes.append(byte)
                }
            }
            if !soft && number < lines.count - 1 { bytes.append(UInt8(ascii: "\n")) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Decodes RFC 2047 encoded-words (`=?utf-8?b?...?=`) in a header value; other text is kept.
    package static func decodeEncodedWords(_ value: String) -> String {
        // Whitespace between two encoded-words is dropped; between an encoded-word and other text it stays.
        let pattern = try! NSRegularExpression(
            pattern: "=\\?utf-8\\?b\\?([A-Za-z0-9+/=]*)\\?=(?:\\s+(?==\\?utf-8\\?b\\?))?", options: [.caseInsensitive])
        var out = ""
        var last = value.startIndex
        for match in pattern.matches(in: value, range: NSRange(value.startIndex..., in: value)) {
            let whole = Range(match.range, in: value)!
            out += value[last..<whole.lowerBound]
            let encoded = String(value[Range(match.range(at: 1), in: value)!])
            out += Data(base64Encoded: encoded).map { String(decoding: $0, as: UTF8.self) } ?? ""
            last = whole.upperBound
        }
        return out + value[last...]
    }
}
