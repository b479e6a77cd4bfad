/// The keys of a browser's push subscription (`keys.p256dh` and `keys.auth` of `PushSubscription.toJSON()`), checked.
package struct PushSubscriptionKeys: Sendable, Hashable {
    /// The user agent's P-256 public key (`ua_public` in RFC 8291).
    package let p256dh: LibCrypto.P256PublicKey
    /// The 16-byte authentication secret.
    package let auth: [UInt8]

    /// Decodes and checks the two base64url strings a browser sends (padding accepted).
    /// - Throws: ``PushKeyError`` whose message names the bad field, fit for an HTTP 400 body.
    package init(p256dh: String, auth: String) throws(PushKeyError) {
        guard let point = Base64URL.decode(p256dh), let key = try? LibCrypto.P256PublicKey(uncompressedPoint: point) else {
            throw PushKeyError(.invalidP256dh, "keys.p256dh is not a base64url P-256 public key (65-byte uncompressed point)")
        }
        guard let secret = Base64URL.decode(auth) else { throw PushKeyError(.invalidAuth, "keys.auth is not base64url") }
        try self.init(p256dh: key, auth: secret)
    }

    /// Keys already decoded.
    /// - Throws: ``PushKeyError/Kind/invalidAuth`` unless `auth` is 16 bytes.
    package init(p256dh: LibCrypto.P256PublicKey, auth: [UInt8]) throws(PushKeyError) {
        guard auth.count == 16 else {
            throw PushKeyError(.invalidAuth, "keys.auth must be a base64url 16-byte authentication secret, not \(auth.count) bytes")
        }
        self.p256dh = p256dh
        self.auth = auth
    }

    /// Checks a subscription's keys as the subscribe endpoint receives them, before they are stored.
    /// - Throws: ``PushKeyError``, whose `description` is the message for the HTTP 400 response.
    @discardableResult
    package static func validate(p256dh: String, auth: String) throws(PushKeyError) -> PushSubscriptionKeys {
        try PushSubscriptionKeys(p256dh: p256dh, auth: auth)
    }

    /// `keys.p256dh` in base64url without padding.
    package var p256dhBase64URL: String { Base64URL.encode(p256dh.uncompressedPoint) }
    /// `keys.auth` in base64url without padding.
    package var authBase64URL: String { Base64URL.encode(auth) }
}

/// Web Push message encryption: RFC 8291 keys with the `aes128gcm` content coding of RFC 8188, one record.
///
/// The body is the header `salt (16) | rs (uint32 BE, 4096) | idlen (65) | sender public key (65)` followed by one
/// record: AES-128-GCM of `plaintext || 0x02 || zero padding`, with its 16-byte tag. Send it with
/// `Content-Encoding: aes128gcm`.
package enum WebPushEncryption {
    /// The record size written in the header.
    package static let recordSize = 4096
    /// The length of the `aes128gcm` header with a P-256 key id.
    package static let headerLength = 86
    /// The largest body push services accept.
    package static let maximumBodyLength = 4096
    /// The largest plaintext (plus padding) that fits: 4096 − 86 header − 16 tag − 1 delimiter = 3993 bytes.
    package static let maximumPlaintextLength = maximumBodyLength - headerLength - LibCrypto.aesGCMTagLength - 1

    /// Encrypts `plaintext` for one subscription with a fresh sender key pair and salt.
    /// - Parameters:
    ///   - plaintext: The message, at most ``maximumPlaintextLength`` bytes including `padding`.
    ///   - keys: The subscription's checked keys.
    ///   - padding: Zero bytes added after the delimiter to hide the message's length; default none.
    /// - Returns: The request body.
    /// - Throws: ``WebPushError/Kind/payloadTooLarge``; ``WebPushError/Kind/encryptionFailed`` when OpenSSL fails.
    package static func encrypt(_ plaintext: [UInt8], for keys: PushSubscriptionKeys, padding: Int = 0) throws(WebPushError) -> [UInt8] {
        try encrypt(plaintext, for: keys, padding: padding, senderKey: .generate(), salt: LibCrypto.randomBytes(16))
    }

    /// Encrypts with a given sender key pair and salt: for known-answer tests only, since a repeated pair and salt
    /// repeats the AES-GCM key and nonce.
    static func encrypt(
        _ plaintext: [UInt8], for keys: PushSubscriptionKeys, padding: Int = 0, senderKey: LibCrypto.P256PrivateKey, salt: [UInt8]
    ) throws(WebPushError) -> [UInt8] {
        precondition(salt.count == 16, "the aes128gcm salt is 16 bytes")
        guard padding >= 0, plaintext.count + padding <= maximumPlaintextLength else {
            throw WebPushError(
                .payloadTooLarge,
                "push payload of \(plaintext.count) bytes (+\(padding) padding) does not fit one Web Push message: at most "
                    + "\(maximumPlaintextLength) bytes")
        }
        do {
            let derived = try contentKeys(
                ecdhSecret: senderKey.sharedSecret(with: keys.p256dh), auth: keys.auth, uaPublic: keys.p256dh.uncompressedPoint,
                asPublic: senderKey.publicKey.uncompressedPoint, salt: salt)
            let record = plaintext + [0x02] + [UInt8](repeating: 0, count: padding)
            let sealed = try LibCrypto.aes128GCMSeal(record, key: derived.contentEncryptionKey, nonce: derived.nonce)
            let rs = UInt32(recordSize)
            let recordSizeBytes = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: rs >> $0) }
            let header = salt + recordSizeBytes + [UInt8(senderKey.publicKey.uncompressedPoint.count)]
            return header + senderKey.publicKey.uncompressedPoint + sealed
        } catch {
            throw WebPushError(.encryptionFailed, "Web Push encryption failed: \(error)")
        }
    }

    /// The keys RFC 8291 §3.3–3.4 derive for one message; every step's output is kept for known-answer tests.
    struct ContentKeys: Equatable {
        /// `IKM = HKDF-Expand(HKDF-Extract(auth, ecdh_secret), "WebPush: info" || 0x00 || ua_public || as_public, 32)`.
        var ikm: [UInt8]
        /// `PRK = HKDF-Extract(salt, IKM)`.
        var prk: [UInt8]
        /// `CEK = HKDF-Expand(PRK, "Content-Encoding: aes128gcm" || 0x00, 16)`.
        var contentEncryptionKey: [UInt8]
        /// `NONCE = HKDF-Expand(PRK, "Content-Encoding: nonce" || 0x00, 12)`.
        var nonce: [UInt8]
    }

    /// Derives the content encryption key and nonce from the ECDH secret, the auth secret, both public keys and the
    /// salt (RFC 8291 §3.3 and §3.4).
    static func contentKeys(ecdhSecret: [UInt8], auth: [UInt8], uaPublic: [UInt8], asPublic: [UInt8], salt: [UInt8]) throws(CryptoError)
        -> ContentKeys
    {
        let keyInfo = Array("WebPush: info\0".utf8) + uaPublic + asPublic
        let ikm = try LibCrypto.hkdfExpand(prk: LibCrypto.hkdfExtract(salt: auth, ikm: ecdhSecret), info: keyInfo, length: 32)
        let prk = try LibCrypto.hkdfExtract(salt: salt, ikm: ikm)
        return ContentKeys(
            ikm: ikm, prk: prk,
            contentEncryptionKey: try LibCrypto.hkdfExpand(prk: prk, info: Array("Content-Encoding: aes128gcm\0".utf8), length: 16),
            nonce: try LibCrypto.hkdfExpand(prk: prk, info: Array("Content-Encoding: nonce\0".utf8), length: 12))
    }
}

/// A push subscription's keys are malformed. `description` names the field and is meant for an HTTP 400 body.
package struct PushKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which key is wrong.
    package struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String {
            case invalidP256dh = "keys.p256dh"
            case invalidAuth = "keys.auth"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// `keys.p256dh` is not base64url, not 65 bytes, not uncompressed, or not a point on P-256.
        package static let invalidP256dh = Kind(.invalidP256dh)
        /// `keys.auth` is not base64url or not 16 bytes.
        package static let invalidAuth = Kind(.invalidAuth)

        package var description: String { base.rawValue }
    }

    /// What went wrong, for code that reacts to it.
    package let kind: Kind
    /// What went wrong and why, for people.
    package let message: String

    /// An error of `kind` described by `message`.
    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    package var description: String { message }
}

/// A push message could not be encrypted.
package struct WebPushError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    package struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String { case payloadTooLarge, encryptionFailed }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The plaintext (with padding) is over ``WebPushEncryption/maximumPlaintextLength`` bytes: send less, e.g. an
        /// id the service worker fetches the rest with.
        package static let payloadTooLarge = Kind(.payloadTooLarge)
        /// OpenSSL failed; the message carries its error.
        package static let encryptionFailed = Kind(.encryptionFailed)

        package var description: String { base.rawValue }
    }

    /// What went wrong, for code that reacts to it.
    package let kind: Kind
    /// What went wrong and why, for people.
    package let message: String

    /// An error of `kind` described by `message`.
    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    package var description: String { message }
}
