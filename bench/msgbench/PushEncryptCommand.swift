import ArgumentParser
import Foundation
import MsgLib

/// The CPU cost of one Web Push notification on the sending side, step by step, on one thread: the payload JSON,
/// the subscription's keys decoded and checked, the `aes128gcm` encryption (a fresh sender key pair, ECDH,
/// HKDF, AES-128-GCM) and the VAPID `Authorization` header (an ES256 signature), then all of them in the order
/// ``PushNotification/request(to:signer:ttl:address:)`` runs them. Each figure is the mean (and median) over
/// `--iterations` runs after a warm-up.
struct PushEncryptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push-encrypt", abstract: "Microseconds per Web Push encryption and per VAPID header, and their parts.")

    @Option(help: "Timed runs of each step.") var iterations = 3000
    @Option(help: "Untimed runs of each step first.") var warmup = 300
    @Option(help: "Characters in the message body (the notification shows at most 100).") var bodyLength = 100
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let subscriber = PushSubscriber.generate()
        let keys = try PushSubscriptionKeys(p256dh: subscriber.p256dhBase64URL, auth: subscriber.authBase64URL)
        let endpoint = "https://push.example.net/wpush/v2/gAAAAABbenchmarkendpointtoken"
        let signer = try VAPIDSigner(keys: .generate(), subject: "mailto:bench@example.com")
        let notification = PushNotification(
            title: "New message", body: PushBench.body(length: bodyLength), conversationId: UUID(), messageId: UUID())
        let payload = notification.payload
        let senderKey = LibCrypto.P256PrivateKey.generate()
        let secret = try senderKey.sharedSecret(with: keys.p256dh)
        let cek = LibCrypto.randomBytes(16)
        let nonce = LibCrypto.randomBytes(12)
        let record = payload + [0x02]
        let signingInput = Array(String(repeating: "x", count: 200).utf8)  // about a VAPID JWT's header.claims
        let policy = EndpointPolicy(allowInsecure: true)

        var figures: [String: Double] = ["iterations": Double(iterations), "payload_bytes": Double(payload.count)]
        func time(_ name: String, _ body: () throws -> Void) rethrows {
            let (mean, median) = try PushBench.measure(iterations: iterations, warmup: warmup, body)
            figures["\(name)_us"] = mean
            figures["\(name)_p50_us"] = median
        }

        // The whole encryption, as the outbox worker runs it for every push.
        try time("encrypt") { _ = try WebPushEncryption.encrypt(payload, for: keys) }
        // Its parts (the same OpenSSL calls, one at a time).
        time("keygen") { _ = LibCrypto.P256PrivateKey.generate() }
        try time("ecdh") { _ = try senderKey.sharedSecret(with: keys.p256dh) }
        try time("hkdf") {
            // RFC 8291 §3.3-3.4: two extracts and three expands.
            let info = Array("WebPush: info\0".utf8) + keys.p256dh.uncompressedPoint + senderKey.publicKey.uncompressedPoint
            let ikm = try LibCrypto.hkdfExpand(prk: LibCrypto.hkdfExtract(salt: keys.auth, ikm: secret), info: info, length: 32)
            let prk = try LibCrypto.hkdfExtract(salt: LibCrypto.randomBytes(16), ikm: ikm)
            _ = try LibCrypto.hkdfExpand(prk: prk, info: Array("Content-Encoding: aes128gcm\0".utf8), length: 16)
            _ = try LibCrypto.hkdfExpand(prk: prk, info: Array("Content-Encoding: nonce\0".utf8), length: 12)
        }
        try time("gcm_seal") { _ = try LibCrypto.aes128GCMSeal(record, key: cek, nonce: nonce) }
        // The VAPID header, and the bare ES256 signature inside it.
        try time("vapid") { _ = try signer.authorization(for: endpoint) }
        try time("vapid_token_signed") { _ = try signer.token(for: endpoint) }
        try time("es256_sign") { _ = try signer.keys.privateKey.signES256(signingInput) }
        // The rest of what a push costs before libcurl sends it.
        time("payload_json") { _ = notification.payload }
        try time("subscription_keys") { _ = try PushSubscriptionKeys(p256dh: subscriber.p256dhBase64URL, auth: subscriber.authBase64URL) }
        try time("endpoint_check") { _ = try policy.resolve(url: "http://127.0.0.1:8443/push/0") }
        // Everything PushNotification.request(to:signer:ttl:address:) and Notifier do per push, in order.
        try time("per_push") {
            _ = try policy.resolve(url: "http://127.0.0.1:8443/push/0")
            let body = try WebPushEncryption.encrypt(
                notification.payload, for: PushSubscriptionKeys(p256dh: subscriber.p256dhBase64URL, auth: subscriber.authBase64URL))
            _ = HTTPClient.Request(
                url: endpoint, headers: [("Authorization", try signer.authorization(for: endpoint)), ("TTL", "86400")], body: body)
        }
        figures["encrypt_per_second"] = 1e6 / figures["encrypt_us"]!
        figures["per_push_per_second"] = 1e6 / figures["per_push_us"]!
        Report.print(figures, json: json)
    }
}

/// A browser's side of a push subscription, for the benchmarks: its key pair and auth secret, so that what the
/// relay sends can be decrypted (RFC 8291 as the user agent does it).
struct PushSubscriber: Sendable {
    let key: LibCrypto.P256PrivateKey
    let auth: [UInt8]

    static func generate() -> PushSubscriber { PushSubscriber(key: .generate(), auth: LibCrypto.randomBytes(16)) }

    var p256dhBase64URL: String { Base64URL.encode(key.publicKey.uncompressedPoint) }
    var authBase64URL: String { Base64URL.encode(auth) }

    /// The plaintext of an `aes128gcm` body (one record), or nil when it does not decrypt.
    func decrypt(_ body: [UInt8]) -> [UInt8]? {
        guard body.count > 21 else { return nil }
        let salt = Array(body[0..<16])
        let idLength = Int(body[20])
        guard idLength == 65, body.count > 21 + idLength + 16 else { return nil }
        let senderPoint = Array(body[21..<(21 + idLength)])
        let sealed = Array(body[(21 + idLength)...])
        guard let sender = try? LibCrypto.P256PublicKey(uncompressedPoint: senderPoint),
            let secret = try? key.sharedSecret(with: sender)
        else { return nil }
        let info = Array("WebPush: info\0".utf8) + key.publicKey.uncompressedPoint + senderPoint
        guard let ikm = try? LibCrypto.hkdfExpand(prk: LibCrypto.hkdfExtract(salt: auth, ikm: secret), info: info, length: 32),
            let prk = try? LibCrypto.hkdfExtract(salt: salt, ikm: ikm),
            let cek = try? LibCrypto.hkdfExpand(prk: prk, info: Array("Content-Encoding: aes128gcm\0".utf8), length: 16),
            let nonce = try? LibCrypto.hkdfExpand(prk: prk, info: Array("Content-Encoding: nonce\0".utf8), length: 12),
            var plain = try? LibCrypto.aes128GCMOpen(sealed, key: cek, nonce: nonce)
        else { return nil }
        while plain.last == 0 { plain.removeLast() }
        guard plain.last == 0x02 else { return nil }  // the last record's delimiter
        plain.removeLast()
        return plain
    }
}

enum PushBench {
    /// A message body of `length` characters.
    static func body(length: Int) -> String {
        let text = "Hello! I ordered the blue one last week and it has not arrived yet; could you tell me where it is now? Thanks. "
        return String(String(repeating: text, count: length / text.count + 1).prefix(length))
    }

    /// Mean and median microseconds of `body` over `iterations` timed runs after `warmup` untimed ones.
    static func measure(iterations: Int, warmup: Int, _ body: () throws -> Void) rethrows -> (mean: Double, median: Double) {
        for _ in 0..<warmup { try body() }
        var samples = [UInt64]()
        samples.reserveCapacity(iterations)
        let start = nowNanoseconds()
        for _ in 0..<iterations {
            let t0 = nowNanoseconds()
            try body()
            samples.append(nowNanoseconds() - t0)
        }
        let total = nowNanoseconds() - start
        samples.sort()
        return (Double(total) / Double(max(iterations, 1)) / 1000, Double(samples[samples.count / 2]) / 1000)
    }
}
