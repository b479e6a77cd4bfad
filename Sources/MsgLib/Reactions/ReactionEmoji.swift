/// The text of one reaction: a single emoji, as one extended grapheme cluster made only of emoji.
///
/// Accepted: an emoji shown as emoji by default (👍), a text-default one asked for as emoji with U+FE0F (❤️), with a
/// skin tone (👍🏽), ZWJ sequences (👩‍💻, 🏳️‍🌈), flags (two regional indicators 🇫🇷, or a tag sequence 🏴󠁧󠁢󠁳󠁣󠁴󠁿), keycaps
/// (1️⃣). Refused: text, a digit or `#` alone, two emoji, control characters, text-default symbols without U+FE0F (©),
/// an emoji with two skin tones, and more than ``maximumScalars`` scalars or ``maximumBytes`` bytes of UTF-8.
///
/// Kept in one form whatever form it came in (``canonical(_:)``): 👍 and 👍 followed by U+FE0F (which changes nothing
/// on an emoji shown as one by default) are one reaction, not two that look alike.
public struct ReactionEmoji: Sendable, Hashable, CustomStringConvertible {
    public let text: String

    /// The most UTF-8 bytes one reaction may take (the longest emoji sequences take about 35).
    public static let maximumBytes = 64
    /// The most Unicode scalars one reaction may hold (the longest emoji sequences hold 10).
    public static let maximumScalars = 16

    /// The reason every refusal gives.
    public static let invalidMessage = "A reaction must be a single emoji"

    /// Checks `text`; nil unless it is one emoji.
    public init?(_ text: String) {
        guard Self.isValid(text) else { return nil }
        self.text = Self.canonical(text)
    }

    public var description: String { text }

    static let zeroWidthJoiner: Unicode.Scalar = "\u{200D}"
    static let emojiPresentation: Unicode.Scalar = "\u{FE0F}"
    static let keycap: Unicode.Scalar = "\u{20E3}"
    static let blackFlag: Unicode.Scalar = "\u{1F3F4}"
    static let cancelTag: Unicode.Scalar = "\u{E007F}"

    /// True when `text` is exactly one emoji (see the type's rules).
    public static func isValid(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= maximumBytes, text.unicodeScalars.count <= maximumScalars, text.count == 1 else {
            return false
        }
        let scalars = Array(text.unicodeScalars)
        if scalars[0].isASCII { return isKeycap(scalars) }
        if scalars.contains(where: { $0.isASCII || $0 == keycap }) { return false }
        if scalars.contains(where: isTag) { return isTagFlag(scalars) }
        let indicators = scalars.filter(isRegionalIndicator).count
        if indicators > 0 { return indicators == 2 && scalars.count == 2 }
        // Each part of a ZWJ sequence is an emoji; the first is shown as one.
        let parts = scalars.split(separator: zeroWidthJoiner, omittingEmptySubsequences: false)
        guard parts.allSatisfy(isEmojiPart) else { return false }
        return isPresentedAsEmoji(parts[0])
    }

    /// `#️⃣`, `1⃣`: an ASCII digit, `#` or `*`, an optional U+FE0F, then U+20E3.
    static func isKeycap(_ scalars: [Unicode.Scalar]) -> Bool {
        guard let base = scalars.first, "0123456789#*".unicodeScalars.contains(base) else { return false }
        return scalars.dropFirst() == [emojiPresentation, keycap] || scalars.dropFirst() == [keycap]
    }

    /// 🏴 followed by tag letters and the cancel tag (the flags of England, Scotland and Wales).
    static func isTagFlag(_ scalars: [Unicode.Scalar]) -> Bool {
        guard scalars.count >= 3, scalars.first == blackFlag, scalars.last == cancelTag else { return false }
        return scalars.dropFirst().dropLast().allSatisfy { isTag($0) && $0 != cancelTag }
    }

    static func isTag(_ scalar: Unicode.Scalar) -> Bool { (0xE0020...0xE007F).contains(scalar.value) }

    static func isRegionalIndicator(_ scalar: Unicode.Scalar) -> Bool { (0x1F1E6...0x1F1FF).contains(scalar.value) }

    /// One emoji with its modifiers: an emoji scalar, then at most one skin tone, and any U+FE0F.
    static func isEmojiPart(_ part: ArraySlice<Unicode.Scalar>) -> Bool {
        guard let first = part.first, first.properties.isEmoji else { return false }
        let rest = part.dropFirst()
        return rest.allSatisfy { $0 == emojiPresentation || $0.properties.isEmojiModifier } && rest.count { $0.properties.isEmojiModifier } <= 1
    }

    /// The form a valid reaction is kept in, Unicode's fully-qualified one: in each part of the emoji (between
    /// zero-width joiners), U+FE0F follows the emoji exactly when it is shown as text by default and has no skin tone;
    /// a keycap always has it. Flags stay as they are.
    /// - Precondition: ``isValid(_:)``.
    static func canonical(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        if scalars[0].isASCII { return String(String.UnicodeScalarView([scalars[0], emojiPresentation, keycap])) }
        if scalars.contains(where: { isTag($0) || isRegionalIndicator($0) }) { return text }
        var out = String.UnicodeScalarView()
        for (index, part) in scalars.split(separator: zeroWidthJoiner, omittingEmptySubsequences: false).enumerated() {
            if index > 0 { out.append(zeroWidthJoiner) }
            guard let base = part.first else { continue }
            out.append(base)
            if let tone = part.dropFirst().first(where: { $0.properties.isEmojiModifier }) {
                out.append(tone)
            } else if !base.properties.isEmojiPresentation && !base.properties.isEmojiModifier {
                out.append(emojiPresentation)
            }
        }
        return String(out)
    }

    /// Shown as an emoji, not as text: emoji by default, or followed by U+FE0F or a skin tone.
    static func isPresentedAsEmoji(_ part: ArraySlice<Unicode.Scalar>) -> Bool {
        guard let first = part.first else { return false }
        return first.properties.isEmojiPresentation || part.dropFirst().contains { $0 == emojiPresentation || $0.properties.isEmojiModifier }
    }
}
