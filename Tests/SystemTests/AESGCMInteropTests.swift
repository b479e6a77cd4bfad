import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// ``SecretSealer``'s AES-256-GCM checked against the Python `cryptography` package's AESGCM, both ways, through
/// Interop/aesgcm_interop.py run by the Python in `MSGTEST_PYTHON` (scripts/test.sh points it at its venv).
@Suite(.needsProcesses, .processSlot) struct AESGCMInteropTests {
    struct Opened: Decodable {
        var plaintext: String?
        var refused: Bool?
    }

    @Test func cryptographyOpensOurSeals() async throws {
        let key = LibCrypto.randomBytes(32)
        let sealer = try SecretSealer(key: key)
        for (text, aad) in [("xoxb-1234-5678-abcdefABCDEF", "team=T0FAKE"), ("", ""), ("zoë 👋 " + String(repeating: "z", count: 5000), "a")] {
            let sealed = try sealer.seal(Array(text.utf8), aad: Array(aad.utf8))
            let input = ["key": Base64URL.encode(key), "sealed": Base64URL.encode(sealed), "aad": Base64URL.encode(Array(aad.utf8))]
            guard let opened = try await Self.python("open", input, as: Opened.self) else { return }
            #expect(opened.plaintext.flatMap(Base64URL.decode) == Array(text.utf8))
            // The same seal with other associated data, or one altered bit, is refused by the independent code too.
            var other = input
            other["aad"] = Base64URL.encode(Array((aad + "x").utf8))
            #expect(try await Self.python("open", other, as: Opened.self)?.refused == true)
            var flipped = sealed
            flipped[flipped.count - 1] ^= 1
            other = input
            other["sealed"] = Base64URL.encode(flipped)
            #expect(try await Self.python("open", other, as: Opened.self)?.refused == true)
        }
    }

    @Test func weOpenCryptographysSeals() async throws {
        let key = LibCrypto.randomBytes(32)
        let sealer = try SecretSealer(key: key)
        for (text, aad) in [("xoxb-9-8-secret", "team=T1"), ("", "only aad"), (String(repeating: "é", count: 3000), "")] {
            struct Sealed: Decodable { var sealed: String }
            let input = ["key": Base64URL.encode(key), "plaintext": Base64URL.encode(Array(text.utf8)), "aad": Base64URL.encode(Array(aad.utf8))]
            guard let output = try await Self.python("seal", input, as: Sealed.self) else { return }
            let sealed = try #require(Base64URL.decode(output.sealed))
            #expect(try sealer.open(sealed, aad: Array(aad.utf8)) == Array(text.utf8))
            #expect(throws: CryptoError.self) { try sealer.open(sealed, aad: Array((aad + "!").utf8)) }
            #expect(throws: CryptoError.self) { try SecretSealer(key: LibCrypto.randomBytes(32)).open(sealed, aad: Array(aad.utf8)) }
        }
    }

    static func python<Output: Decodable>(_ command: String, _ input: [String: String], as _: Output.Type) async throws -> Output? {
        guard let python = ProcessInfo.processInfo.environment["MSGTEST_PYTHON"], !python.isEmpty else {
            Issue.record("MSGTEST_PYTHON is not set: run the tests through scripts/test.sh, or point it at a Python with `cryptography`")
            return nil
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Interop/aesgcm_interop.py").path
        let arguments = String(decoding: try JSONEncoder().encode(input), as: UTF8.self)
        let result = try await ProcessRunner.runDetached(python, [script, command, arguments], timeout: 60)
        guard result.status == 0 else { throw TestFailure("aesgcm_interop.py \(command) exited with \(result.status): \(result.stderr)") }
        return try JSONDecoder().decode(Output.self, from: Data(result.stdout.utf8))
    }
}
