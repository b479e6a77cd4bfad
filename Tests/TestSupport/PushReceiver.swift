import Foundation
import MsgLib

/// The claims of a VAPID token, as a push service reads them.
package struct VAPIDClaims: Decodable, Equatable {
    package var aud: String
    package var exp: Int64
    package var sub: String

    package init(aud: String, exp: Int64, sub: String) {
        self.aud = aud
        self.exp = exp
        self.sub = sub
    }
}

/// The user agent's side of RFC 8291, for the tests: parses the `aes128gcm` header, derives the keys with plain
/// HMAC-SHA256 (not `LibCrypto.hkdf*`, so the two check each other), opens the single record and removes padding.
package enum PushReceiver {
    package static func decrypt(_ body: [UInt8], with key: LibCrypto.P256PrivateKey, auth: [UInt8]) throws -> [UInt8] {
        guard body.count >= 86 + 17 else { throw TestFailure("body of \(body.count) bytes is shorter than header and tag") }
        let salt = Array(body[0..<16])
        let recordSize = body[16..<20].reduce(0) { $0 << 8 | Int($1) }
        guard body[20] == 65 else { throw TestFailure("key id length \(body[20]), expected 65") }
        let senderKey = try LibCrypto.P256PublicKey(uncompressedPoint: Array(body[21..<86]))
        let record = Array(body[86...])
        guard recordSize >= 18, record.count <= recordSize else { throw TestFailure("record of \(record.count) bytes exceeds rs \(recordSize)") }

        func extract(salt: [UInt8], ikm: [UInt8]) -> [UInt8] { LibCrypto.hmacSHA256(key: salt, data: ikm) }
        func expand(_ prk: [UInt8], _ info: String, _ length: Int) -> [UInt8] {
            Array(LibCrypto.hmacSHA256(key: prk, data: Array(info.utf8) + [0x01]).prefix(length))
        }
        let ecdhSecret = try key.sharedSecret(with: senderKey)
        let keyInfo = Array("WebPush: info\0".utf8) + key.publicKey.uncompressedPoint + senderKey.uncompressedPoint
        let ikm = Array(LibCrypto.hmacSHA256(key: extract(salt: auth, ikm: ecdhSecret), data: keyInfo + [0x01]).prefix(32))
        let prk = extract(salt: salt, ikm: ikm)
        let padded = try LibCrypto.aes128GCMOpen(
            record, key: expand(prk, "Content-Encoding: aes128gcm\0", 16), nonce: expand(prk, "Content-Encoding: nonce\0", 12))
        guard let delimiter = padded.lastIndex(where: { $0 != 0 }), padded[delimiter] == 0x02 else {
            throw TestFailure("the last record does not end with the 0x02 delimiter")
        }
        return Array(padded[..<delimiter])
    }
}

/// Decodes base64url test data; a typo in a vector stops the test here.
package func b64url(_ text: String) -> [UInt8] {
    guard let bytes = Base64URL.decode(text) else { preconditionFailure("test vector is not base64url: \(text)") }
    return bytes
}
