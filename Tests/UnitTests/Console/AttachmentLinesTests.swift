import Foundation
import Testing

@testable import MsgLib
@testable import MsgctlKit

/// Attachment lines of transcripts and the console: one line per file, nothing a terminal would act on.
@Suite struct AttachmentLinesTests {
    @Test func linesAreTerminalSafe() {
        let id = UUID()
        let files = [
            MessageAttachment(id: id, filename: "a\u{1B}[2Jb\u{202E}.png", contentType: "image/png", size: 2048, width: 4, height: 3),
            MessageAttachment(id: id, filename: "big.pdf", contentType: "application/pdf", size: 3 * 1_048_576),
        ]
        let text = Transcript.attachments(files)
        #expect(!text.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{202E}" })
        #expect(text.split(separator: "\n").count == 2)
        #expect(text.hasSuffix("  [attachment] big.pdf (application/pdf, 3.0 MiB) \(id.lowercasedString)"))
        #expect(text.contains("(image/png, 2.0 KiB 4x3)"))
        let live = ReplSession.line(time: nil, who: "alice", content: "see", attachments: files)
        #expect(live.contains("\n    [attachment] big.pdf"))
    }
}
