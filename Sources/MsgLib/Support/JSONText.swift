/// JSON text written byte by byte, for the places where Foundation's encoder costs more than everything else around
/// it: the message frames every delivery sends, and export.
package enum JSONText {
    /// A JSON string (RFC 8259): quotes, backslashes and control characters escaped, the rest (valid UTF-8) copied as
    /// is; `/` is not escaped, as in the frames (the REST API, through Foundation's encoder, writes `\/`).
    @inlinable
    package static func appendString(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, to out: inout [UInt8]) {
        out.append(0x22)
        var runStart = range.lowerBound
        for index in range {
            let byte = bytes[index]
            guard byte < 0x20 || byte == 0x22 || byte == 0x5C else { continue }
            if runStart < index { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index])) }
            runStart = index + 1
            switch byte {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: out.append(contentsOf: [0x5C, 0x72])
            case 0x09: out.append(contentsOf: [0x5C, 0x74])
            case 0x08: out.append(contentsOf: [0x5C, 0x62])
            case 0x0C: out.append(contentsOf: [0x5C, 0x66])
            default: out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hexDigit(byte >> 4), hexDigit(byte & 0xF)])
            }
        }
        if runStart < range.upperBound { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<range.upperBound])) }
        out.append(0x22)
    }

    /// ``appendString(_:_:to:)`` for a Swift string.
    package static func appendString(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { appendString($0, 0..<$0.count, to: &out) }
    }

    /// ASCII text as it is (keys, punctuation, and values that need no escaping: ids, times).
    package static func appendRaw(_ text: String, to out: inout [UInt8]) {
        out.append(contentsOf: text.utf8)
    }

    /// The lowercase hexadecimal digit of `value` (0 through 15).
    @inlinable
    package static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? 0x30 + value : 0x57 + value
    }
}

/// A JSON object's fields written one after another by ``JSONText``: it starts with the object's `{`, and the caller
/// ends it with ``close()``.
package struct JSONFieldWriter {
    package var bytes: [UInt8] = []
    /// False until the object's first field, which has no comma before it.
    private var hasField = false

    package init(capacity: Int) {
        bytes.reserveCapacity(capacity)
        bytes.append(0x7B)
    }

    /// `"name":` after a comma when a field came before.
    package mutating func name(_ name: String) {
        JSONText.appendRaw(hasField ? ",\"" : "\"", to: &bytes)
        JSONText.appendRaw(name, to: &bytes)
        JSONText.appendRaw("\":", to: &bytes)
        hasField = true
    }

    package mutating func field(_ name: String, _ value: String) {
        self.name(name)
        JSONText.appendString(value, to: &bytes)
    }

    /// A time as RFC 3339 text, or `null`.
    package mutating func field(_ name: String, _ value: Timestamp?) {
        guard let value else { return raw(name, "null") }
        field(name, value.rfc3339)
    }

    /// A value written as it is (`true`, `[]`, `null`, an object already written).
    package mutating func raw(_ name: String, _ value: String) {
        self.name(name)
        JSONText.appendRaw(value, to: &bytes)
    }

    /// Starts a nested object after `"name":`; its fields follow, then ``close()``.
    package mutating func open(_ name: String) {
        self.name(name)
        bytes.append(0x7B)
        hasField = false
    }

    /// Ends an object.
    package mutating func close() {
        bytes.append(0x7D)
        hasField = true
    }
}
