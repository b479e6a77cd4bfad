import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// RFC 8291 message encryption and RFC 8292 VAPID, against the RFC's worked example and a receiver written here.
@Suite struct WebPushTests {
    // MARK: Encryption

    @Test func rfc8291WorkedExampleByteForByte() throws {
        let keys = try PushSubscriptionKeys(p256dh: RFC8291.uaPublic, auth: RFC8291.auth)
        let sender = try LibCrypto.P256PrivateKey(rawScalar: b64url(RFC8291.asPrivate))
        let body = try WebPushEncryption.encrypt(Array(RFC8291.plaintext.utf8), for: keys, senderKey: sender, salt: b64url(RFC8291.salt))
        #expect(Base64URL.encode(body) == RFC8291.body)
        #expect(body == b64url(RFC8291.body))
        // The header: salt, record size 4096, key id length 65, the sender's public key; then 41 + 1 + 16 bytes of record.
        #expect(Array(body[0..<16]) == b64url(RFC8291.salt))
        #expect(Array(body[16..<20]) == [0x00, 0x00, 0x10, 0x00])
        #expect(body[20] == 65)
        #expect(Array(body[21..<86]) == b64url(RFC8291.asPublic))
        #expect(body.count == 86 + 41 + 1 + 16)
        // The RFC's user agent opens it.
        let receiver = try LibCrypto.P256PrivateKey(rawScalar: b64url(RFC8291.uaPrivate))
        #expect(try PushReceiver.decrypt(body, with: receiver, auth: b64url(RFC8291.auth)) == Array(RFC8291.plaintext.utf8))
    }

    @Test func rfc8291IntermediateValues() throws {
        let derived = try WebPushEncryption.contentKeys(
            ecdhSecret: b64url(RFC8291.ecdhSecret), auth: b64url(RFC8291.auth), uaPublic: b64url(RFC8291.uaPublic),
            asPublic: b64url(RFC8291.asPublic), salt: b64url(RFC8291.salt))
        #expect(Base64URL.encode(derived.ikm) == RFC8291.ikm)
        #expect(Base64URL.encode(derived.prk) == RFC8291.prk)
        #expect(Base64URL.encode(derived.contentEncryptionKey) == RFC8291.cek)
        #expect(Base64URL.encode(derived.nonce) == RFC8291.nonce)
    }

    @Test(arguments: [0, 1, 100])
    func roundTripWithFreshKeys(padding: Int) throws {
        let receiver = LibCrypto.P256PrivateKey.generate()
        let auth = LibCrypto.randomBytes(16)
        let keys = try PushSubscriptionKeys(p256dh: receiver.publicKey, auth: auth)
        for message in ["", "x", #"{"conversation":"a1","from":"zoë","text":"Привет 👋"}"#, String(repeating: "m", count: 3000)] {
            let plaintext = Array(message.utf8)
            let body = try WebPushEncryption.encrypt(plaintext, for: keys, padding: padding)
            #expect(body.count == 86 + plaintext.count + 1 + padding + 16)
            #expect(try PushReceiver.decrypt(body, with: receiver, auth: auth) == plaintext)
        }
        // Every message has its own salt and sender key.
        let first = try WebPushEncryption.encrypt([1, 2, 3], for: keys)
        let second = try WebPushEncryption.encrypt([1, 2, 3], for: keys)
        #expect(first[0..<16] != second[0..<16])
        #expect(first[21..<86] != second[21..<86])
    }

    @Test func tamperedOrMisaddressedBodiesDoNotDecrypt() throws {
        let receiver = LibCrypto.P256PrivateKey.generate()
        let auth = LibCrypto.randomBytes(16)
        let body = try WebPushEncryption.encrypt(Array("secret".utf8), for: PushSubscriptionKeys(p256dh: receiver.publicKey, auth: auth))
        for index in [0, 15, 30, 86, body.count - 17, body.count - 1] {
            var tampered = body
            tampered[index] ^= 0x01
            #expect(throws: (any Error).self) { try PushReceiver.decrypt(tampered, with: receiver, auth: auth) }
        }
        #expect(throws: CryptoError.self) { try PushReceiver.decrypt(body, with: receiver, auth: LibCrypto.randomBytes(16)) }
        #expect(throws: CryptoError.self) { try PushReceiver.decrypt(body, with: .generate(), auth: auth) }
    }

    @Test func payloadMustFitOneMessage() throws {
        let keys = try PushSubscriptionKeys(p256dh: LibCrypto.P256PrivateKey.generate().publicKey, auth: LibCrypto.randomBytes(16))
        #expect(WebPushEncryption.maximumPlaintextLength == 3993)
        let largest = try WebPushEncryption.encrypt([UInt8](repeating: 7, count: 3993), for: keys)
        #expect(largest.count == 4096)
        #expect(try WebPushEncryption.encrypt([UInt8](repeating: 7, count: 3000), for: keys, padding: 993).count == 4096)
        for (size, padding) in [(3994, 0), (3000, 994), (100_000, 0), (10, -1)] {
            let error = #expect(throws: WebPushError.self) {
                try WebPushEncryption.encrypt([UInt8](repeating: 7, count: size), for: keys, padding: padding)
            }
            #expect(error?.kind == .payloadTooLarge && error?.message.contains("3993") == true)
        }
    }

    @Test func subscriptionKeysAreValidated() throws {
        let valid = try PushSubscriptionKeys.validate(p256dh: RFC8291.uaPublic, auth: RFC8291.auth)
        #expect(valid.p256dhBase64URL == RFC8291.uaPublic && valid.authBase64URL == RFC8291.auth)
        #expect(try PushSubscriptionKeys(p256dh: RFC8291.uaPublic + "=", auth: RFC8291.auth + "==") == valid)
        var offCurve = b64url(RFC8291.uaPublic)
        offCurve[64] ^= 0x01
        let point = b64url(RFC8291.uaPublic)
        let compressed = [0x02 | (point[64] & 1)] + Array(point[1..<33])
        let p256dhMessage = "keys.p256dh is not a base64url P-256 public key (65-byte uncompressed point)"
        for bad in [
            "", "not base64!", "BCVxsr7N+eNg", Base64URL.encode(offCurve), Base64URL.encode(compressed), String(RFC8291.uaPublic.dropLast(2)),
        ] {
            #expect(throws: PushKeyError(.invalidP256dh, p256dhMessage)) { try PushSubscriptionKeys.validate(p256dh: bad, auth: RFC8291.auth) }
        }
        #expect(throws: PushKeyError(.invalidAuth, "keys.auth is not base64url")) {
            try PushSubscriptionKeys.validate(p256dh: RFC8291.uaPublic, auth: "a/b")
        }
        for (bad, count) in [("", 0), ("BTBZMqHH6r4Tts7J_aSI", 15), (Base64URL.encode([UInt8](repeating: 1, count: 17)), 17)] {
            #expect(throws: PushKeyError(.invalidAuth, "keys.auth must be a base64url 16-byte authentication secret, not \(count) bytes")) {
                try PushSubscriptionKeys.validate(p256dh: RFC8291.uaPublic, auth: bad)
            }
        }
    }

    // MARK: VAPID keys

    @Test func vapidKeysPrintAndReload() throws {
        let keys = VAPIDKeys.generate()
        #expect(keys.publicKeyBase64URL.count == 87 && keys.privateKeyBase64URL.count == 43)
        #expect(!keys.publicKeyBase64URL.contains("=") && !keys.privateKeyBase64URL.contains("="))
        let reloaded = try VAPIDKeys(publicKey: keys.publicKeyBase64URL, privateKey: keys.privateKeyBase64URL)
        #expect(reloaded.publicKeyBase64URL == keys.publicKeyBase64URL && reloaded.privateKeyBase64URL == keys.privateKeyBase64URL)
        // As an environment file might hold them.
        let padded = try VAPIDKeys(publicKey: keys.publicKeyBase64URL + "=\n", privateKey: " " + keys.privateKeyBase64URL + "=\n")
        #expect(padded.publicKeyBase64URL == keys.publicKeyBase64URL)
        #expect(!"\(keys)".contains(keys.privateKeyBase64URL))
        // RFC 8291's application server key pair is a valid pair too.
        #expect((try? VAPIDKeys(publicKey: RFC8291.asPublic, privateKey: RFC8291.asPrivate)) != nil)
    }

    @Test func vapidKeysRejectBadValuesWithClearMessages() throws {
        let keys = VAPIDKeys.generate()
        let other = VAPIDKeys.generate()
        let privateMessage = "VAPID_PRIVATE_KEY is not a base64url P-256 private key (32 bytes)"
        func failure(_ publicKey: String, _ privateKey: String) -> VAPIDError? {
            do {
                _ = try VAPIDKeys(publicKey: publicKey, privateKey: privateKey)
                return nil
            } catch {
                return error
            }
        }
        let notBase64 = failure(keys.publicKeyBase64URL, "****")
        #expect(notBase64?.kind == .invalidPrivateKey && notBase64?.message.hasPrefix(privateMessage) == true)
        let short = failure(keys.publicKeyBase64URL, String(keys.privateKeyBase64URL.dropLast(3)))
        #expect(short?.kind == .invalidPrivateKey && short?.message == privateMessage + ": it decodes to 30 bytes")
        let zero = failure(keys.publicKeyBase64URL, Base64URL.encode([UInt8](repeating: 0, count: 32)))
        #expect(zero?.kind == .invalidPrivateKey && zero?.message.contains("VAPID_PRIVATE_KEY") == true)
        // The public key given as the private key, and the other way round.
        #expect(failure(keys.privateKeyBase64URL, keys.publicKeyBase64URL)?.kind == .invalidPrivateKey)
        let publicShort = failure(keys.privateKeyBase64URL, keys.privateKeyBase64URL)
        #expect(
            publicShort?.kind == .invalidPublicKey && publicShort?.message.hasPrefix("VAPID_PUBLIC_KEY is not a base64url P-256 public key") == true)
        #expect(failure("", keys.privateKeyBase64URL)?.kind == .invalidPublicKey)
        var offCurve = keys.privateKey.publicKey.uncompressedPoint
        offCurve[64] ^= 0x01
        let off = failure(Base64URL.encode(offCurve), keys.privateKeyBase64URL)
        #expect(off?.kind == .invalidPublicKey && off?.message == "VAPID_PUBLIC_KEY is not a P-256 public key: the point is not on the curve")
        let mismatch = failure(other.publicKeyBase64URL, keys.privateKeyBase64URL)
        #expect(mismatch?.kind == .keyMismatch)
        #expect(mismatch?.message == "VAPID_PUBLIC_KEY does not belong to VAPID_PRIVATE_KEY, whose public key is \(keys.publicKeyBase64URL)")
    }

    // MARK: VAPID tokens

    @Test func vapidTokenClaimsAndSignature() throws {
        let keys = VAPIDKeys.generate()
        let signer = try VAPIDSigner(keys: keys, subject: "mailto:ops@example.com")
        let now = Timestamp(microsecondsSinceEpoch: 1_750_000_000_123_456)
        let token = try signer.token(for: "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABo?x=1#f", now: now)
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        #expect(parts.count == 3)
        #expect(String(decoding: b64url(parts[0]), as: UTF8.self) == #"{"typ":"JWT","alg":"ES256"}"#)
        let claims = try JSONDecoder().decode(VAPIDClaims.self, from: Data(b64url(parts[1])))
        #expect(
            claims == VAPIDClaims(aud: "https://updates.push.services.mozilla.com", exp: 1_750_000_000 + 12 * 3600, sub: "mailto:ops@example.com"))
        let signature = b64url(parts[2])
        #expect(signature.count == 64)
        #expect(keys.privateKey.publicKey.isValidES256Signature(signature, for: Array("\(parts[0]).\(parts[1])".utf8)))
        #expect(!keys.privateKey.publicKey.isValidES256Signature(signature, for: Array("\(parts[0]).\(parts[1])x".utf8)))

        let header = try signer.authorization(for: "https://fcm.googleapis.com/fcm/send/abc", now: now)
        #expect(header.hasPrefix("vapid t=") && header.hasSuffix(", k=\(keys.publicKeyBase64URL)"))
        let headerToken = String(header.dropFirst("vapid t=".count).prefix { $0 != "," })
        let headerClaims = try JSONDecoder().decode(VAPIDClaims.self, from: Data(b64url(String(headerToken.split(separator: ".")[1]))))
        #expect(headerClaims.aud == "https://fcm.googleapis.com")

        let daily = try VAPIDSigner(keys: keys, subject: "https://example.com/contact", lifetime: VAPIDSigner.maximumLifetime)
        let dailyToken = try daily.token(for: "https://push.example.net/x", now: now)
        let dailyClaims = try JSONDecoder().decode(VAPIDClaims.self, from: Data(b64url(String(dailyToken.split(separator: ".")[1]))))
        #expect(dailyClaims.exp == 1_750_000_000 + 86_400 && dailyClaims.sub == "https://example.com/contact")
    }

    @Test func vapidTokensAreReusedPerPushServiceForHalfTheirLifetime() throws {
        let signer = try VAPIDSigner(keys: .generate(), subject: "mailto:ops@example.com")
        let start = Timestamp(microsecondsSinceEpoch: 1_750_000_000_000_000)
        func later(_ seconds: Int64) -> Timestamp { Timestamp(microsecondsSinceEpoch: start.microsecondsSinceEpoch + seconds * 1_000_000) }
        func claims(_ header: String) throws -> VAPIDClaims {
            let token = header.dropFirst("vapid t=".count).prefix { $0 != "," }
            return try JSONDecoder().decode(VAPIDClaims.self, from: Data(b64url(String(token.split(separator: ".")[1]))))
        }
        let first = try signer.authorization(for: "https://fcm.googleapis.com/fcm/send/a", now: start)
        // Another subscription at the same push service, later: the same token, which still has over half its life.
        let sameService = try signer.authorization(for: "https://FCM.googleapis.com:443/fcm/send/b", now: later(6 * 3600 - 1))
        #expect(sameService == first)
        #expect(try claims(sameService).exp - later(6 * 3600 - 1).secondsSinceEpoch > 6 * 3600)
        // Another push service gets its own token.
        let otherService = try signer.authorization(for: "https://updates.push.services.mozilla.com/wpush/v2/x", now: later(10))
        #expect(try claims(otherService).aud == "https://updates.push.services.mozilla.com")
        #expect(try claims(otherService).exp == later(10).secondsSinceEpoch + 12 * 3600)
        // Half the lifetime on, a new token is signed.
        let renewed = try signer.authorization(for: "https://fcm.googleapis.com/fcm/send/a", now: later(6 * 3600))
        #expect(renewed != first)
        #expect(try claims(renewed).exp == later(6 * 3600).secondsSinceEpoch + 12 * 3600)
        // A clock set back never gets a token signed in its future.
        let earlier = try signer.authorization(for: "https://fcm.googleapis.com/fcm/send/a", now: later(-60))
        #expect(try claims(earlier).exp == later(-60).secondsSinceEpoch + 12 * 3600)
    }

    @Test(arguments: [
        ("https://fcm.googleapis.com/fcm/send/abc:def", "https://fcm.googleapis.com"),
        ("https://Push.Example.NET:8443/a/b?c=d", "https://push.example.net:8443"),
        ("https://push.example.net:443/a", "https://push.example.net"),
        ("http://localhost:8080/push/1", "http://localhost:8080"),
        ("http://127.0.0.1:80/push", "http://127.0.0.1"),
        ("https://user:pw@web.push.apple.com/QO", "https://web.push.apple.com"),
        ("https://[::1]:9000/p", "https://[::1]:9000"),
    ])
    func vapidAudienceIsTheEndpointOrigin(endpoint: String, audience: String) throws {
        #expect(try VAPIDSigner.audience(for: endpoint) == audience)
    }

    @Test func vapidSignerRejectsBadSettings() throws {
        let keys = VAPIDKeys.generate()
        for subject in [
            "", "ops@example.com", "mailto:", "mailto:ops", "mailto:@example.com", "mailto:ops@", "http://example.com", "https://",
            "mailto: ops@example.com",
        ] {
            let error = #expect(throws: VAPIDError.self) { try VAPIDSigner(keys: keys, subject: subject) }
            #expect(error?.kind == .invalidSubject)
        }
        do {
            _ = try VAPIDSigner(keys: keys, subject: "ops@example.com")
            Issue.record("a subject without mailto: was accepted")
        } catch {
            #expect(error.kind == .invalidSubject && error.message.contains("VAPID_SUBJECT"))
        }
        for lifetime: Int64 in [0, -1, 86_401] {
            let error = #expect(throws: VAPIDError.self) { try VAPIDSigner(keys: keys, subject: "mailto:a@b.c", lifetime: lifetime) }
            #expect(error?.kind == .invalidLifetime)
        }
        let signer = try VAPIDSigner(keys: keys, subject: "MAILTO:ops@example.com")
        for endpoint in ["", "fcm.googleapis.com/fcm/send/abc", "/relative", "ftp://push.example.net/x", "https:///nohost", "not a url"] {
            let error = #expect(throws: VAPIDError.self) { try signer.token(for: endpoint) }
            #expect(error?.kind == .invalidEndpoint)
        }
    }
}
