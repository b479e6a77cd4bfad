import Foundation

/// PostgreSQL type OIDs that ``PostgresDecodable`` types understand (binary format).
public enum PostgresType {
    public static let bool: UInt32 = 16
    public static let bytea: UInt32 = 17
    public static let name: UInt32 = 19
    public static let int8: UInt32 = 20
    public static let int2: UInt32 = 21
    public static let int4: UInt32 = 23
    public static let text: UInt32 = 25
    public static let oid: UInt32 = 26
    public static let json: UInt32 = 114
    public static let float4: UInt32 = 700
    public static let float8: UInt32 = 701
    public static let bpchar: UInt32 = 1042
    public static let varchar: UInt32 = 1043
    public static let timestamp: UInt32 = 1114
    public static let timestamptz: UInt32 = 1184
    public static let uuid: UInt32 = 2950
    public static let jsonb: UInt32 = 3802
}

/// Why a value could not be decoded.
public struct PostgresDecodingError: Error, Sendable {
    public var reason: String
    init(_ reason: String) { self.reason = reason }
}

/// A Swift type that can be read from a binary-format PostgreSQL value.
public protocol PostgresDecodable: Sendable {
    /// Decodes a non-NULL value of the column type `type`.
    static func decode(_ bytes: ArraySlice<UInt8>, type: UInt32) throws(PostgresDecodingError) -> Self
    /// The value for SQL NULL; throws unless the type is Optional.
    static func decodeNull() throws(PostgresDecodingError) -> Self
}

extension PostgresDecodable {
    public static func decodeNull() throws(PostgresDecodingError) -> Self {
        throw PostgresDecodingError("unexpected NULL for \(Self.self)")
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(_ bytes: ArraySlice<UInt8>, type: UInt32) throws(PostgresDecodingError) -> Self {
        try Wrapped.decode(bytes, type: type)
    }
    public static func decodeNull() throws(PostgresDecodingError) -> Self { nil }
}

private func readBigEndian(_ bytes: ArraySlice<UInt8>) -> UInt64 {
    bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
}

private func mismatch<T>(_ type: UInt32, _ swiftType: T.Type) -> PostgresDecodingError {
    PostgresDecodingError("cannot decode type OID \(type) as \(swiftType)")
}

extension String: PostgresDecodable {
    public static func decode(_ bytes: ArraySlice<UInt8>, type: UInt32) throws(PostgresDecodingError) -> String {
        switch type {
        case PostgresType.text, PostgresType.varchar, PostgresType.name, PostgresType.bpchar, PostgresType.json:
            return String(decoding: bytes, as: UTF8.self)
        case PostgresType.jsonb:
            return String(decoding: bytes.dropFirst(), as: UTF8.self)
        case PostgresType.uuid:
            return try UUID.decode(bytes, type: type).uuidString.lowercased()
        default:
            throw mismatch(type, String.self)
        }
    }
}

extension Int64: PostgresDecodable {
    public static func decode(_ bytes: ArraySlice<UInt8>, type: UInt32) throws(PostgresDecodingError) -> Int64 {
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
    public static func decode(_ bytes: ArraySlice<UInt8>, type: UInt32) throws(PostgresDecodingError) -> Int {
        Int(try Int64.decode(bytes, type: type))
    }
}

extension Int32: PostgresDecodable {
    public static func decode(_ bytes: ArraySlice<UInt8>, type: UInt32) throws(PostgresDecodingError) -> Int32 {
        let wide = try Int64.decode(bytes, type: type)
        guard let value = Int32(exactly: wide) else { throw PostgresDecodingError("\(wide) does not fit in Int32") }
        return value
    }
}

extension Bool: PostgresDecodable {
    public static func decode(_ bytes: ArraySlice<UInt8>, type: UInt32) throws(PostgresDecodingError) -> Bool {
        guard type == PostgresType.bool, bytes.count == 1 else { throw mismatch(type, Bool.self) }
        return bytes.first! != 0
    }
}

extension Double: PostgresDecodable {
    public static func decode(_ bytes: ArraySlice<UInt8>, type: UInt32) throws(PostgresDecodingError) -> Double {
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
    public static func decode(_ bytes: ArraySlice<UInt8>, type: UInt32) throws(PostgresDecodingError) -> UUID {
        guard type == PostgresType.uuid, bytes.count == 16 else { throw mismatch(type, UUID.self) }
        let b = Array(bytes)
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }
}

extension Timestamp: PostgresDecodable {
    /// Microseconds between 1970-01-01 and PostgreSQL's epoch, 2000-01-01.
    static let postgresEpochOffset: Int64 = 946_684_800_000_000

    public static func decode(_ bytes: ArraySlice<UInt8>, type: UInt32) throws(PostgresDecodingError) -> Timestamp {
        guard type == PostgresType.timestamptz || type == PostgresType.timestamp, bytes.count == 8 else {
            throw mismatch(type, Timestamp.self)
        }
        let raw = Int64(bitPattern: readBigEndian(bytes))
        guard raw != .max, raw != .min else { throw PostgresDecodingError("infinite timestamp") }
        return Timestamp(microsecondsSinceEpoch: raw + postgresEpochOffset)
    }
}

extension Array: PostgresDecodable where Element == UInt8 {
    public static func decode(_ bytes: ArraySlice<UInt8>, type: UInt32) throws(PostgresDecodingError) -> [UInt8] {
        guard type == PostgresType.bytea else { throw mismatch(type, [UInt8].self) }
        return Array(bytes)
    }
}
