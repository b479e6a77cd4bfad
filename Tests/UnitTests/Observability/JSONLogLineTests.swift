import Foundation
import Logging
import MsgLib
import Synchronization
import Testing

@testable import RelayKit

@Suite struct JSONLogLineTests {
    static let time = Timestamp(rfc3339: "2026-03-04T05:06:07.089Z")!

    /// The line parsed back as JSON.
    func parsed(_ line: JSONLogLine) throws -> [String: Any] {
        let json = line.json
        #expect(!json.contains("\n") && !json.contains("\r"), "a raw line break in \(json)")
        return try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "\(json)")
    }

    @Test func aRequestLineHasTheFixedFieldsFirstAndTypedValues() throws {
        let line = JSONLogLine(
            time: Self.time, level: .info, message: "request",
            metadata: [
                "hb.request.id": .stringConvertible(UInt64(42)), "route": "/api/messages", "status": .stringConvertible(429),
                "duration_ms": .stringConvertible(1.25), "error_kind": "rate_limited", "method": "POST",
            ])
        #expect(
            line.json
                == #"{"time":"2026-03-04T05:06:07.089000Z","level":"info","message":"request","request_id":42,"route":"/api/messages","#
                + #""status":429,"duration_ms":1.25,"error_kind":"rate_limited","method":"POST"}"#)
        let object = try parsed(line)
        #expect(object["status"] as? Int == 429)
        #expect(object["duration_ms"] as? Double == 1.25)
    }

    @Test func absentRequestFieldsAreLeftOutAndTheRestAreSortedByKey() throws {
        let line = JSONLogLine(time: Self.time, level: .warning, message: "listener lost", metadata: ["zeta": "z", "alpha": "a"])
        #expect(line.json == #"{"time":"2026-03-04T05:06:07.089000Z","level":"warning","message":"listener lost","alpha":"a","zeta":"z"}"#)
    }

    @Test(arguments: [
        "quote \" and backslash \\", "new\nline and\r\nCRLF", "tab\tand NUL \u{0} and ESC \u{1B}[31m", "DEL \u{7F}",
        "separators \u{2028}\u{2029}", "emoji 👩‍💻 and é",
    ])
    func hostileTextStaysOnOneLineAndRoundTrips(_ text: String) throws {
        let line = JSONLogLine(time: Self.time, level: .error, message: text, metadata: ["error": .string(text), text: "key"])
        let object = try parsed(line)
        #expect(object["message"] as? String == text)
        #expect(object["error"] as? String == text)
        #expect(object[text] as? String == "key")
        #expect(line.json.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F && $0.value != 0x2028 && $0.value != 0x2029 })
    }

    @Test func bytesThatAreNotUTF8AreRepairedNotPassedThrough() throws {
        let text = String(decoding: [0x61, 0xFF, 0xFE, 0xC3, 0x28, 0x62] as [UInt8], as: UTF8.self)
        let line = JSONLogLine(time: Self.time, level: .info, message: text, metadata: [:])
        let object = try parsed(line)
        #expect(object["message"] as? String == "a\u{FFFD}\u{FFFD}\u{FFFD}(b")
        #expect(String(validatingUTF8: line.json.cString(using: .utf8)!) != nil)
    }

    @Test func reservedNamesInMetadataDoNotReplaceTheFixedFields() throws {
        let object = try parsed(
            JSONLogLine(time: Self.time, level: .info, message: "m", metadata: ["message": "other", "time": "then", "level": "x"]))
        #expect(object["message"] as? String == "m")
        #expect(object["time"] as? String == "2026-03-04T05:06:07.089000Z")
        #expect(object["metadata.message"] as? String == "other")
        #expect(object["metadata.time"] as? String == "then")
        #expect(object["metadata.level"] as? String == "x")
    }

    @Test func nestedMetadataBecomesArraysAndObjects() throws {
        let object = try parsed(
            JSONLogLine(
                time: Self.time, level: .debug, message: "m",
                metadata: ["list": .array(["a", .stringConvertible(2)]), "map": .dictionary(["k": .stringConvertible(true), "n": "\""])]))
        #expect(object["list"] as? [AnyHashable] == ["a", 2])
        let map = try #require(object["map"] as? [String: Any])
        #expect(map["k"] as? Bool == true && map["n"] as? String == "\"")
    }

    @Test func nonFiniteNumbersAreWrittenAsStrings() throws {
        let object = try parsed(JSONLogLine(time: Self.time, level: .info, message: "m", metadata: ["x": .stringConvertible(Double.nan)]))
        #expect(object["x"] as? String == "nan")
    }

    @Test func theHandlerMergesMetadataAndWritesOneLinePerRecord() throws {
        let lines = LockedLines()
        var logger = Logger(label: "test") { _ in JSONLogHandler(metadataProvider: nil, write: { lines.append($0) }) }
        logger[metadataKey: "socket"] = "7"
        logger.info("first", metadata: ["status": .stringConvertible(200)])
        logger.debug("not written: below the level")
        logger.error("second\nline", metadata: ["socket": "8"])
        let written = lines.all
        #expect(written.count == 2)
        #expect(written.allSatisfy { $0.hasSuffix("}\n") && $0.dropLast().firstIndex(of: "\n") == nil })
        let first = try #require(try JSONSerialization.jsonObject(with: Data(written[0].utf8)) as? [String: Any])
        #expect(first["message"] as? String == "first" && first["socket"] as? String == "7" && first["status"] as? Int == 200)
        #expect(first["level"] as? String == "info")
        let time = try #require(first["time"] as? String)
        #expect(Timestamp(rfc3339: time) != nil && time.hasSuffix("Z"))
        let second = try #require(try JSONSerialization.jsonObject(with: Data(written[1].utf8)) as? [String: Any])
        #expect(second["message"] as? String == "second\nline" && second["socket"] as? String == "8")
    }

    @Test func logFormatAcceptsTextAndJSONOnly() throws {
        #expect(try LogFormat(environment: nil) == .text)
        #expect(try LogFormat(environment: "") == .text)
        #expect(try LogFormat(environment: "text") == .text)
        #expect(try LogFormat(environment: "json") == .json)
        for wrong in ["JSON", "logfmt", " json"] {
            #expect(throws: ConfigurationError.self) { try LogFormat(environment: wrong) }
        }
    }
}

/// Lines a test handler wrote.
final class LockedLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}
