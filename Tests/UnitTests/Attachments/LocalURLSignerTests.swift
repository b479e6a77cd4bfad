import Foundation
import Testing

@testable import MsgLib

/// The local store's signed URLs: what they allow, and everything that breaks them.
@Suite struct LocalURLSignerTests {
    let signer = LocalURLSigner(key: Array("0123456789abcdef0123456789abcdef".utf8))
    let key = "0123456789abcdef0123456789abcdef"

    static func query(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            out[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return out
    }

    @Test func uploadRoundTripsAndExpires() throws {
        let query = Self.query(signer.uploadQuery(storeKey: key, contentType: "image/png", size: 4000, expires: 1000))
        #expect(try signer.verifyUpload(storeKey: key, query: query, now: 999) == .init(contentType: "image/png", size: 4000))
        #expect(throws: LocalURLSigner.Refusal.expired) { try signer.verifyUpload(storeKey: key, query: query, now: 1000) }
    }

    @Test func anyChangeBreaksTheSignature() throws {
        let query = Self.query(signer.uploadQuery(storeKey: key, contentType: "image/png", size: 4000, expires: 1000))
        var bigger = query
        bigger["size"] = "4001"
        var later = query
        later["expires"] = "99999"
        var html = query
        html["type"] = Base64URL.encode(Array("text/html".utf8))
        for changed in [bigger, later, html] {
            #expect(throws: LocalURLSigner.Refusal.badSignature) { try signer.verifyUpload(storeKey: key, query: changed, now: 0) }
        }
        #expect(throws: LocalURLSigner.Refusal.badSignature) {
            try signer.verifyUpload(storeKey: "ffffffffffffffffffffffffffffffff", query: query, now: 0)
        }
        let other = LocalURLSigner(key: Array("another key, another signature....".utf8))
        #expect(throws: LocalURLSigner.Refusal.badSignature) { try other.verifyUpload(storeKey: key, query: query, now: 0) }
        // A download URL is no upload URL.
        let download = Self.query(
            signer.downloadQuery(storeKey: key, contentType: "image/png", filename: .init(sanitizing: "a.png"), inline: true, expires: 1000))
        #expect(throws: LocalURLSigner.Refusal.self) { try signer.verifyUpload(storeKey: key, query: download, now: 0) }
    }

    @Test func malformedQueriesAreRefused() {
        for query: [String: String] in [
            [:], ["expires": "x", "size": "1", "type": "", "sig": ""], ["expires": "1", "size": "-1", "type": "", "sig": ""],
        ] {
            #expect(throws: LocalURLSigner.Refusal.malformed) { try signer.verifyUpload(storeKey: key, query: query, now: 0) }
        }
    }

    @Test func downloadCarriesNameAndDisposition() throws {
        let name = AttachmentFilename(sanitizing: "résumé \"final\".pdf")
        let text = signer.downloadQuery(storeKey: key, contentType: "application/pdf", filename: name, inline: false, expires: 50)
        #expect(!text.contains("\"") && !text.contains(" "))
        let grant = try signer.verifyDownload(storeKey: key, query: Self.query(text), now: 10)
        #expect(grant == .init(contentType: "application/pdf", filename: name, inline: false))
    }

    /// A URL made for a user names them, signed: taken off, changed or added, the URL is refused. One made for nobody
    /// (an admin's) names no one.
    @Test func theUserAURLIsMadeForIsSigned() throws {
        let alice = UUID(uuidString: "0193a000-0000-7000-8000-000000000001")!
        let bob = UUID(uuidString: "0193a000-0000-7000-8000-000000000002")!
        let name = AttachmentFilename(sanitizing: "a.png")
        let upload = Self.query(signer.uploadQuery(storeKey: key, contentType: "image/png", size: 10, expires: 1000, user: alice))
        let download = Self.query(
            signer.downloadQuery(storeKey: key, contentType: "image/png", filename: name, inline: true, expires: 1000, user: alice))
        #expect(try signer.verifyUpload(storeKey: key, query: upload, now: 0).user == alice)
        #expect(try signer.verifyDownload(storeKey: key, query: download, now: 0).user == alice)
        for (query, verify) in [
            (upload, { try signer.verifyUpload(storeKey: key, query: $0, now: 0).user }),
            (download, { try signer.verifyDownload(storeKey: key, query: $0, now: 0).user }),
        ] as [([String: String], ([String: String]) throws -> UUID?)] {
            var removed = query
            removed["user"] = nil
            var changed = query
            changed["user"] = bob.lowercasedString
            for broken in [removed, changed] { #expect(throws: LocalURLSigner.Refusal.badSignature) { try verify(broken) } }
            var malformed = query
            malformed["user"] = "alice"
            #expect(throws: LocalURLSigner.Refusal.malformed) { try verify(malformed) }
        }
        var added = Self.query(signer.uploadQuery(storeKey: key, contentType: "image/png", size: 10, expires: 1000))
        #expect(try signer.verifyUpload(storeKey: key, query: added, now: 0).user == nil)
        added["user"] = alice.lowercasedString
        #expect(throws: LocalURLSigner.Refusal.badSignature) { try signer.verifyUpload(storeKey: key, query: added, now: 0) }
    }

    @Test func keysAreRandomHexAndNothingElsePasses() {
        let made = AttachmentKey.make()
        #expect(AttachmentKey.isValid(made) && made != AttachmentKey.make())
        for bad in ["", "../../etc/passwd", String(repeating: "a", count: 31), String(repeating: "A", count: 32), made + "/"] {
            #expect(!AttachmentKey.isValid(bad))
        }
    }
}
