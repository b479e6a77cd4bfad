import Testing

@testable import RelayClient

/// Frames from the relay as msgctl's socket reads them: whole, in pieces, and hostile ones refused without a crash.
@Suite struct RelaySocketFrameTests {
    @Test func framesAreReadWholeOrWaitedFor() throws {
        let text = Array(#"{"type":"pong"}"#.utf8)
        let frame = [0x81, UInt8(text.count)] + text
        let (read, used) = try #require(try RelaySocket.parse(frame + [0x81]))
        #expect(read.isText && read.payload == text && used == frame.count)
        #expect(try RelaySocket.parse(Array(frame.dropLast())) == nil)
        let long = [UInt8](repeating: 0x61, count: 70_000)
        let framed = [0x81, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70] + long
        #expect(try RelaySocket.parse(framed)?.0.payload.count == 70_000)
        #expect(try RelaySocket.parse(Array(framed.prefix(9))) == nil)
        // What tells msgctl's loop to read before it polls: a whole frame, or one that cannot be read; not a part.
        #expect(RelaySocket.holdsFrame(frame) && RelaySocket.holdsFrame([0x81, 0x85]))
        #expect(!RelaySocket.holdsFrame([]) && !RelaySocket.holdsFrame(Array(frame.dropLast())) && !RelaySocket.holdsFrame([0x81]))
    }

    @Test func hostileLengthsAndMaskedFramesAreFailuresNotCrashes() {
        // The top bit set (negative as an Int), near Int.max (overflowing offset + length), beyond the cap.
        for length: [UInt8] in [[0x80, 0, 0, 0, 0, 0, 0, 0], [0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0], [0, 0, 0, 0, 0x01, 0, 0, 1]] {
            #expect(throws: RelaySocket.Failure.self) { try RelaySocket.parse([0x81, 127] + length) }
        }
        #expect(throws: RelaySocket.Failure.self) { try RelaySocket.parse([0x81, 0x85, 1, 2, 3, 4, 0x61, 0x62, 0x63, 0x64, 0x65]) }
    }
}
