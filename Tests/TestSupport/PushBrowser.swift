import Foundation
import MsgLib
import Synchronization
import Testing

/// A browser's side of Web Push for tests: its subscription keys, and decryption of what a push service got.
package struct PushBrowser {
    package let key = LibCrypto.P256PrivateKey.generate()
    package let auth = LibCrypto.randomBytes(16)
    package let endpoint: String

    package init(endpoint: String) { self.endpoint = endpoint }

    /// The body of `POST /api/push/subscribe`.
    package var subscribeBody: [String: Any] {
        [
            "subscription": [
                "endpoint": endpoint, "keys": ["p256dh": Base64URL.encode(key.publicKey.uncompressedPoint), "auth": Base64URL.encode(auth)],
            ]
        ]
    }

    /// The JSON payload of a push request the relay sent to this browser's endpoint.
    package func payload(of request: RecordingHTTPServer.Request) throws -> [String: Any] {
        try payload(request.body)
    }

    /// The JSON payload of an encrypted push body.
    package func payload(_ body: [UInt8]) throws -> [String: Any] {
        let plaintext = try PushReceiver.decrypt(body, with: key, auth: auth)
        return try #require(try JSONSerialization.jsonObject(with: Data(plaintext)) as? [String: Any])
    }
}

/// VAPID settings for a relay or msgctl under test (loopback push services allowed).
package enum PushEnvironment {
    package static let keys = VAPIDKeys.generate()

    package static var variables: [String: String?] {
        [
            "VAPID_PUBLIC_KEY": keys.publicKeyBase64URL, "VAPID_PRIVATE_KEY": keys.privateKeyBase64URL, "VAPID_SUBJECT": "mailto:ops@example.org",
            "PUSH_ALLOW_INSECURE_ENDPOINTS": "1", "OUTBOX_RETRY_BASE_SECONDS": "0.2",
        ]
    }
}

/// What a mock push service or Slack answered, in order, as its responder saw it.
package final class ResponseLog: Sendable {
    package struct Entry: Sendable {
        package var time: Date
        package var path: String
        package var status: Int
        package var body: [UInt8]
    }

    private let entries = Mutex<[Entry]>([])

    package init() {}

    /// Answers `status` (with `headers`) and records it.
    package func answer(_ request: RecordingHTTPServer.Request, _ status: Int, headers: [(name: String, value: String)] = [])
        -> RecordingHTTPServer.Response
    {
        entries.withLock { $0.append(Entry(time: Date(), path: request.path, status: status, body: request.body)) }
        return RecordingHTTPServer.Response(status: status, headers: headers)
    }

    package var all: [Entry] { entries.withLock { $0 } }
    package var accepted: [Entry] { all.filter { (200..<300).contains($0.status) } }
}
