import Foundation
import Synchronization
import TestSupport
import Testing

@testable import MsgLib
@testable import MsgctlKit

/// Export's pieces, without processes or a database: the state file and the text writers.
@Suite struct ExportPiecesTests {
    static func folder() throws -> URL {
        try TestEnvironment.scratchFolder("export")
    }

    @Test func aPendingRunIsCompletedOrRolledBack() throws {
        let folder = try Self.folder()
        let temporary = folder.appendingPathComponent(".out.msgctl-abc.tmp").path
        let next = ExportState.Cursor(horizon: Timestamp(microsecondsSinceEpoch: 2_000_000), observation: nil, runs: 2, messages: 5, lastRun: nil)
        let before = ExportState.Cursor(horizon: Timestamp(microsecondsSinceEpoch: 1_000_000), observation: nil, runs: 1, messages: 3, lastRun: nil)
        let selection = ExportState.Selection(conversationId: nil, senderId: nil, includeDeleted: false)
        var state = ExportState(
            version: 1, database: "d", selection: selection, cursor: before,
            pending: .init(temporaryFile: temporary, output: folder.appendingPathComponent("out").path, next: next))

        // The temporary file is still there: the rename never happened.
        try "partial".write(toFile: temporary, atomically: false, encoding: .utf8)
        var rolledBack = state
        let changed = rolledBack.recoverPending()
        #expect(changed)
        #expect(rolledBack.cursor == before && rolledBack.pending == nil)
        #expect(!FileManager.default.fileExists(atPath: temporary))

        // It is gone: the output was published.
        let adopted = state.recoverPending()
        #expect(adopted)
        #expect(state.cursor == next && state.pending == nil)

        // With the temporary file's identity recorded (as runs record it): published only when the output is that
        // file. A temporary file removed by hand (the output never renamed), or an output folder not there: the old
        // cursor stays and the run's messages are exported again, never lost.
        let output = folder.appendingPathComponent("out").path
        try "run".write(toFile: temporary, atomically: false, encoding: .utf8)
        let identity = try #require(ExportState.FileIdentity(path: temporary))
        var recorded = ExportState(
            version: 1, database: "d", selection: selection, cursor: before,
            pending: .init(temporaryFile: temporary, output: output, next: next, file: identity))
        #expect(rename(temporary, output) == 0)
        var published = recorded
        #expect(published.recoverPending() && published.cursor == next)
        try FileManager.default.removeItem(atPath: output)
        try "older".write(toFile: output, atomically: false, encoding: .utf8)
        #expect(recorded.recoverPending() && recorded.cursor == before && recorded.pending == nil)
        try FileManager.default.removeItem(atPath: output)
        var missing = ExportState(
            version: 1, database: "d", selection: selection, cursor: before,
            pending: .init(temporaryFile: temporary, output: output, next: next, file: identity))
        #expect(missing.recoverPending() && missing.cursor == before)
        // Linked to the output's name (an incremental run never replaces a file), its temporary name not removed yet:
        // published, and the temporary name goes.
        try "linked run".write(toFile: temporary, atomically: false, encoding: .utf8)
        let linkedIdentity = try #require(ExportState.FileIdentity(path: temporary))
        #expect(link(temporary, output) == 0)
        var linked = ExportState(
            version: 1, database: "d", selection: selection, cursor: before,
            pending: .init(temporaryFile: temporary, output: output, next: next, file: linkedIdentity))
        #expect(linked.recoverPending() && linked.cursor == next && linked.pending == nil)
        #expect(!FileManager.default.fileExists(atPath: temporary) && FileManager.default.fileExists(atPath: output))

        // Saved and loaded back unchanged.
        let path = folder.appendingPathComponent("state.json").path
        try state.save(path)
        #expect(try ExportState.load(path) == state)
        #expect(try ExportState.load(folder.appendingPathComponent("none").path) == nil)
    }

    /// A file written with a write-behind window reaches the disk as it is written: the windows before the last two
    /// are out of the page cache (on a file system with one), and the bytes are the bytes written.
    @Test func writeBehindStreamsAFileToDisk() throws {
        let path = try Self.folder().appendingPathComponent("streamed").path
        let fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0o600)
        try #require(fd >= 0)
        defer { close(fd) }
        let window = 64 << 10
        let destination = ExportDestination(descriptor: fd, name: path, writeBehindWindow: window)
        var expected: [UInt8] = []
        for piece in 0..<64 {
            let bytes = [UInt8](repeating: UInt8(piece), count: 16 << 10)
            try bytes.withUnsafeBytes { try destination.write($0) }
            expected.append(contentsOf: bytes)
        }
        defer { #expect(FileManager.default.contents(atPath: path) == Data(expected)) }

        let fileSystem = try ProcessRunner.runBlocking("/usr/bin/stat", ["-f", "-c", "%T", path]).stdout
        guard !fileSystem.hasPrefix("tmpfs") else { return }  // the page cache is the file
        let length = expected.count
        let map = try #require(mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0))
        try #require(map != MAP_FAILED)
        defer { munmap(map, length) }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        var resident = [UInt8](repeating: 0, count: (length + page - 1) / page)
        try #require(mincore(map, length, &resident) == 0)
        // Everything but the last two windows (and the window being filled) was written back and dropped.
        let settled = (length - 3 * window) / page
        #expect(settled > 0)
        #expect(resident[..<settled].allSatisfy { $0 & 1 == 0 }, "pages still cached: \(resident[..<settled].filter { $0 & 1 == 1 }.count)")
    }

    /// A destination write-behind does not apply to (a pipe) is written all the same.
    @Test func writeBehindLeavesAPipeAlone() throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        defer { close(ends[0]) }
        let destination = ExportDestination(descriptor: ends[1], name: "pipe", writeBehindWindow: 4096)
        let readEnd = ends[0]
        let reader = Thread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while read(readEnd, &buffer, buffer.count) > 0 {}
        }
        reader.start()
        for _ in 0..<8 { try [UInt8](repeating: 7, count: 8192).withUnsafeBytes { try destination.write($0) } }
        close(ends[1])
    }

    @Test func textWritersMatchTheModelTypes() {
        var out: [UInt8] = []
        let uuid = UUID()
        ExportText.appendUUID(RawUUID(uuid), to: &out)
        #expect(String(decoding: out, as: UTF8.self) == uuid.lowercasedString)
        for micros: Int64 in [0, 1, 999_999, 1_764_115_072_123_456, -1, -86_400_000_001, 253_402_300_799_999_999] {
            out = []
            ExportText.appendRFC3339(micros - Timestamp.postgresEpochOffset, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == Timestamp(microsecondsSinceEpoch: micros).rfc3339)
        }
        out = []
        ExportText.appendRFC5322(1_764_115_072_123_456 - Timestamp.postgresEpochOffset, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "Tue, 25 Nov 2025 23:57:52 +0000")
        out = []
        ExportText.appendAsctime(1_762_390_800_000_000 - Timestamp.postgresEpochOffset, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "Thu Nov  6 01:00:00 2025")
        let text = Array("a,\"b\"\n\u{1}é".utf8)
        out = []
        text.withUnsafeBufferPointer { JSONText.appendString($0, 0..<text.count, to: &out) }
        #expect(String(decoding: out, as: UTF8.self) == "\"a,\\\"b\\\"\\n\\u0001é\"")
        out = []
        text.withUnsafeBufferPointer { ExportText.appendCSVField($0, 0..<text.count, formulaEscape: true, to: &out) }
        #expect(String(decoding: out, as: UTF8.self) == "\"a,\"\"b\"\"\n\u{1}é\"")
        out = []
        text.withUnsafeBufferPointer { ExportText.appendCSVField($0, 6..<text.count, formulaEscape: true, to: &out) }
        #expect(String(decoding: out, as: UTF8.self) == "\u{1}é")
    }
}
