import Testing

@testable import MsgLib

/// File names made safe to store and to send back in `Content-Disposition`.
@Suite struct AttachmentFilenameTests {
    @Test func foldersControlAndFormatCharactersGo() {
        #expect(AttachmentFilename(sanitizing: "../../etc/passwd").value == "passwd")
        #expect(AttachmentFilename(sanitizing: "C:\\Users\\me\\report.pdf").value == "report.pdf")
        #expect(AttachmentFilename(sanitizing: "in\u{0}voice\r\n.pdf").value == "invoice.pdf")
        // A right-to-left override would show "invoice_fdp.exe" as "invoice_exe.pdf".
        #expect(AttachmentFilename(sanitizing: "invoice_\u{202E}fdp.exe").value == "invoice_fdp.exe")
        #expect(AttachmentFilename(sanitizing: "  photo.png  ").value == "photo.png")
        #expect(AttachmentFilename(sanitizing: "..").value == "file")
        #expect(AttachmentFilename(sanitizing: "dir/").value == "file")
        #expect(AttachmentFilename(sanitizing: "\u{7}").value == "file")
    }

    @Test func longNamesAreCutOnACharacterKeepingTheExtension() {
        let name = AttachmentFilename(sanitizing: String(repeating: "é", count: 300) + ".jpeg").value
        #expect(name.utf8.count <= AttachmentFilename.maxBytes)
        #expect(name.hasSuffix("é.jpeg"))
        let noExtension = AttachmentFilename(sanitizing: String(repeating: "👍🏽", count: 100)).value
        #expect(noExtension.utf8.count <= AttachmentFilename.maxBytes && noExtension.unicodeScalars.count % 2 == 0)
    }

    @Test func contentDisposition() {
        #expect(AttachmentFilename(sanitizing: "report.pdf").contentDisposition(inline: false) == "attachment; filename=\"report.pdf\"")
        #expect(
            AttachmentFilename(sanitizing: "a \"quoted\" name.png").contentDisposition(inline: true)
                == "inline; filename=\"a _quoted_ name.png\"; filename*=UTF-8''a%20%22quoted%22%20name.png")
        #expect(
            AttachmentFilename(sanitizing: "naïve €.txt").contentDisposition(inline: false)
                == "attachment; filename=\"na_ve _.txt\"; filename*=UTF-8''na%C3%AFve%20%E2%82%AC.txt")
    }
}
