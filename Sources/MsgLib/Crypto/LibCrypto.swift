import CCrypto

/// The OpenSSL libcrypto primitives MsgLib uses. All pointer code for libcrypto lives in this file.
public enum LibCrypto {
    /// HMAC-SHA256 of `data` under `key` (RFC 2104), 32 bytes.
    public static func hmacSHA256(key: [UInt8], data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let capacity = out.count
        let ok = key.withUnsafeBufferPointer { k in
            data.withUnsafeBufferPointer { d in
                out.withUnsafeMutableBufferPointer { o -> Bool in
                    precondition(o.count == capacity)
                    // HMAC() accepts a NULL key pointer only with length 0; give it a valid byte.
                    var dummy: UInt8 = 0
                    let keyPointer = k.baseAddress ?? withUnsafePointer(to: &dummy) { $0 }
                    return HMAC(EVP_sha256(), keyPointer, Int32(k.count), d.baseAddress, d.count, o.baseAddress, &length) != nil
                }
            }
        }
        precondition(ok, "HMAC-SHA256 failed")
        return Array(out.prefix(Int(length)))
    }

    /// SHA-1 of `data` (20 bytes), for the WebSocket handshake's `Sec-WebSocket-Accept` only.
    public static func sha1(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = data.withUnsafeBufferPointer { d in
            out.withUnsafeMutableBufferPointer { o in EVP_Digest(d.baseAddress, d.count, o.baseAddress, &length, EVP_sha1(), nil) }
        }
        precondition(ok == 1, "SHA-1 failed")
        return Array(out.prefix(Int(length)))
    }

    /// Compares two byte strings in time that depends only on their length.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, a.count) == 0 } }
    }

    /// `count` bytes from OpenSSL's CSPRNG.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        precondition(ok == 1, "RAND_bytes failed")
        return out
    }
}
