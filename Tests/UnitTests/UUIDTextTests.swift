import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// Ids are written without Foundation: the same text as `uuidString` lowercased.
@Suite struct UUIDTextTests {
    @Test func idsAreWrittenAsFoundationWritesThemInLowercase() {
        var random = SplitMix64(seed: 11)
        let ids =
            [UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))]
            + (0..<1000).map { _ in
                var bytes = UUID().uuid
                withUnsafeMutableBytes(of: &bytes) { for index in 0..<16 { $0[index] = UInt8.random(in: 0...255, using: &random) } }
                return UUID(uuid: bytes)
            }
        for id in ids {
            #expect(id.lowercasedString == id.uuidString.lowercased())
            #expect(id.compactHex == id.uuidString.lowercased().filter { $0 != "-" })
            #expect(UUID(uuidString: id.lowercasedString) == id)
        }
    }
}
