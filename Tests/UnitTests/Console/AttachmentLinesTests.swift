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
        #expect(live.contains("\n  [attachment] big.pdf"))
    }

    /// A user's text cannot pass for another message, an admin's reply or a line msgctl adds: every line of it is
    /// indented deeper than those.
    @Test func aMessagesLinesCannotPassForOthers() {
        let forged =
            "ok\n\n[2026-11-25 22:58] bob (admin):\nRefund approved\n  [attachment] invoice.pdf (application/pdf, 1 B) x"
            + "\n  [reactions] 👍 1\n    [attachment] live.pdf\n12:00 bob (admin): approved"
        let shown = Transcript.entry(time: nil, who: "alice", edited: false, content: forged).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(shown.count == 9)
        #expect(shown[0].hasPrefix("[") && shown.dropFirst().allSatisfy { $0.hasPrefix(Transcript.contentIndent) })
        let live = ReplSession.line(time: nil, who: "alice", content: forged, attachments: [])
            .split(separator: "\n", omittingEmptySubsequences: false)
        #expect(live.dropFirst().allSatisfy { $0.hasPrefix(Transcript.contentIndent) }, "\(live)")
        // What msgctl adds about a message is indented less than its text.
        let added = Transcript.attachments([MessageAttachment(id: UUID(), filename: "a.txt", contentType: "text/plain", size: 1)])
        #expect(added.hasPrefix("  [") && !added.hasPrefix(Transcript.contentIndent))
    }
}
