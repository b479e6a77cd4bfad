/// The name a store keeps a file under: made by the relay, never by a client (no path, no name to traverse with).
package enum AttachmentKey {
    /// A new key: 128 random bits as 32 lowercase hex digits.
    package static func make() -> String {
        Hex.lowercase(LibCrypto.randomBytes(16))
    }

    /// Whether `text` is a key ``make()`` could have made.
    package static func isValid(_ text: some StringProtocol) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
