import Foundation

/// PostgreSQL type OIDs that ``PostgresDecodable`` types understand (binary format).
package enum PostgresType {
    package static let bool: UInt32 = 16
    package static let bytea: UInt32 = 17
    package static let name: UInt32 = 19
    package static let int8: UInt32 = 20
    package static let int2: UInt32 = 21
    package static let int4: UInt32 = 23
    package static let text: UInt32 = 25
    package static let oid: UInt32 = 26
    package static let json: UInt32 = 114
    package static let float4: UInt32 = 700
    package static let float8: UInt32 = 701
    package static let bpchar: UInt32 = 1042
    package static let varchar: UInt32 = 1043
    package static let timestamp: UInt32 = 1114
    package static let timestamptz: UInt32 = 1184
    package static let uuid: UInt32 = 2950
    package static let jsonb: UInt32 = 3802
}

/// Why a value could not be decoded.
package struct PostgresDecodingError: Error, Sendable {
    package var reason: String
    init(_ reason: String) { self.reason = reason }
}

/// A Swift type that can be read from a binary-format PostgreSQL value.
package protocol PostgresDecodable: Sendable {
    /// Decodes a non-NULL value of the column type `type`.
    static func decode(_ bytes: ArraySlice<UInt8>, type: UInt32) throws(PostgresDecodingError) -> Self
    /// The value for SQL NULL; throws unless the type is Optional.
    static func decodeNull() throws(PostgresDecodingError) -> Self
}

extension PostgresDecodable {
    package static func decodeNull() throws(PostgresDecodingError) -> Self {
        throw PostgresDecodingError("unexpected NULL for \(Self.self)")
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    package static func decode(_ bytes: ArraySlice<UInt8>, type: UInt32) throws(PostgresDecodingError) -> Self {
        try Wrapped.decode(bytes, type: type)
    }
    package static func decodeNull() throws(PostgresDecodingError) -> Self { nil }
}

private func readBigEndian(_ bytes: ArraySlice<UInt8>) -> UInt64 {
    bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
}

private func mismatch<T>(_ type: UInt32, _ swiftType: T.Type) -> PostgresDecodingError {
    PostgresDecodingError("cannot decode type OID \(type) as \(swiftType)")
}

extension String: PostgresDecodable {
    package static func decode(_ bytes: ArraySlice<UInt8>, type: UInt32) throws(PostgresDecodingError) -> String {
        switch type {
        case PostgresType.text, PostgresType.varchar, PostgresType.name, PostgresType.bpchar, PostgresType.json:
            return String(decoding: bytes, as: UTF8.self)
        case PostgresType.jsonb:
            return String(decoding: bytes.dropFirst(), as: UTF8.self)
        case PostgresType.uuid:
            return try UUID.decode(bytes, type: type).lowercasedString
        default:
            throw mismatch(type, String.self)
        }
    }
}

extension Int64: PostgresDecodable {
    package static func decode(_ bytes: ArraySlice<UInt8>, type: UInt32) throws(PostgresDecodingError) -> Int64 {
        switch (type, bytes.count) {
        case (PostgresType.int8, 8): return Int64(bitPattern: readBigEndian(bytes))
        case (PostgresType.int4, 4), (PostgresType.oid, 4):
            let raw = UInt32(truncatingIfNeeded: readBigEndian(bytes))
            return type == PostgresType.oid ? Int64(raw) : Int64(Int32(bitPattern: raw))
        case (PostgresType.int2, 2): return Int64(Int16(bitPattern: UInt16(truncatingIfNeeded: readBigEndian(bytes))))
        default: throw mismatch(type, Int64.self)
        }
    }
}

extension Int: PostgresDecodable {
    package static func decode(_ bytes: ArraySlice<UInt8>, type: UInt32) throws(PostgresDecodingError) -> Int {
        Int(try Int64.decode(bytes, type: type))
    }
}

extension Int32: PostgresDecodable {
    package static func decode(_ bytes: ArraySlice<UInt8>, type: UInt32) throws(PostgresDecodingError) -> Int32 {
        let wide = try Int64.decode(bytes, type: type)
        guard let value = Int32(exactly: wide) else { throw PostgresDecodingError("\(wide) does not fit in Int32") }
        return value
    }
}

extension Bool: PostgresDecodable {
    package static func decode(_ bytes: ArraySlice<UInt8>, type: UInt32) throws(PostgresDecodingError) -> Bool {
        guard type == PostgresType.bool, bytes.count == 1 else { throw mismatch(type, Bool.self) }
        return bytes.first! != 0
    }
}

extension Double: PostgresDecodable {
    package static func decode(_ bytes: ArraySlice<UInt8>, type: UInt32) throws(PostgresDecodingError) -> Double {
        switch (type, bytes.count) {
        case (PostgresType.float8, 8): return Double(bitPattern: readBigEndian(bytes))
        case (PostgresType.float4, 4): return Double(Float(bitPattern: UInt32(truncatingIfNeeded: readBigEndian(bytes))))
        case (PostgresType.int8, _), (PostgresType.int4, _), (PostgresType.int2, _):
            return Double(try Int64.decode(bytes, type: type))
        default: throw mismatch(type, Double.self)
        }
    }
}

extension UUID: PostgresDecodable {
    package static func decode(_ bytes: ArraySlice<UInt8>, type: UInt32) throws(PostgresDecodingError) -> UUID {
        guard type == PostgresType.uuid, bytes.count == 16 else { throw mismatch(type, UUID.self) }
        let b = Array(bytes)
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }
}

extension Timestamp: PostgresDecodable {
    /// Microseconds between 1970-01-01 and PostgreSQL's epoch, 2000-01-01.
    static let postgresEpochOffset: Int64 = 946_684_800_000_000

    package static func decode(_ bytes: ArraySlice<UInt8>, type: UInt32) throws(PostgresDecodingError) -> Timestamp {
        guard type == PostgresType.timestamptz || type == PostgresType.timestamp, bytes.count == 8 else {
            throw mismatch(type, Timestamp.self)
        }
        let raw = Int64(bitPattern: readBigEndian(bytes))
        guard raw != .max, raw != .min else { throw PostgresDecodingError("infinite timestamp") }
        // PostgreSQL goes up to the year 294276, a little past what microseconds since 1970 can hold.
        let (micros, overflow) = raw.addingReportingOverflow(postgresEpochOffset)
        guard !overflow else { throw PostgresDecodingError("timestamp out of range") }
        return Timestamp(microsecondsSinceEpoch: micros)
    }
}

extension Array: PostgresDecodable where Element == UInt8 {
    package static func decode(_ bytes: ArraySlice<UInt8>, type: UInt32) throws(PostgresDecodingError) -> [UInt8] {
        guard type == PostgresType.bytea else { throw mismatch(type, [UInt8].self) }
        return Array(bytes)
    }
}
