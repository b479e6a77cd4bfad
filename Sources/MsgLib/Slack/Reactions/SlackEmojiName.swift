/// Slack's short names (`thumbsup`, `tada`) for the emoji whose reactions are mirrored between the product and Slack.
///
/// Only the emoji of ``table`` are mirrored: Slack names emoji with short names, and a workspace may add its own, so
/// there is no complete mapping; a reaction outside the table stays on its side. A skin tone is the name's suffix
/// `::skin-tone-2` to `::skin-tone-6` in Slack and a modifier (U+1F3FB to U+1F3FF) after the emoji in the product, for
/// the emoji that take one.
package enum SlackEmojiName {
    /// Short name and emoji; the first name of an emoji is the one sent to Slack, later ones are aliases Slack may send.
    package static let table: [(name: String, emoji: String)] = [
        ("+1", "👍"), ("thumbsup", "👍"), ("-1", "👎"), ("thumbsdown", "👎"), ("heart", "❤️"), ("tada", "🎉"), ("joy", "😂"),
        ("eyes", "👀"), ("white_check_mark", "✅"), ("heavy_check_mark", "✔️"), ("x", "❌"), ("pray", "🙏"), ("fire", "🔥"),
        ("rocket", "🚀"), ("100", "💯"), ("ok_hand", "👌"), ("smile", "😄"), ("smiley", "😃"), ("grinning", "😀"),
        ("laughing", "😆"), ("satisfied", "😆"), ("rolling_on_the_floor_laughing", "🤣"), ("wink", "😉"), ("blush", "😊"),
        ("slightly_smiling_face", "🙂"), ("upside_down_face", "🙃"), ("heart_eyes", "😍"), ("sunglasses", "😎"),
        ("thinking_face", "🤔"), ("grimacing", "😬"), ("sweat_smile", "😅"), ("confused", "😕"), ("slightly_frowning_face", "🙁"),
        ("cry", "😢"), ("sob", "😭"), ("open_mouth", "😮"), ("scream", "😱"), ("rage", "😡"), ("partying_face", "🥳"),
        ("hugging_face", "🤗"), ("see_no_evil", "🙈"), ("clap", "👏"), ("raised_hands", "🙌"), ("muscle", "💪"), ("wave", "👋"),
        ("handshake", "🤝"), ("face_palm", "🤦"), ("shrug", "🤷"), ("star", "⭐"), ("sparkles", "✨"), ("zap", "⚡"),
        ("warning", "⚠️"), ("question", "❓"), ("exclamation", "❗"), ("heavy_exclamation_mark", "❗"), ("bulb", "💡"),
        ("memo", "📝"), ("pushpin", "📌"), ("hourglass_flowing_sand", "⏳"), ("coffee", "☕"), ("trophy", "🏆"),
        ("broken_heart", "💔"), ("yellow_heart", "💛"), ("green_heart", "💚"), ("blue_heart", "💙"), ("purple_heart", "💜"),
    ]

    /// The skin-tone modifiers, U+1F3FB (`skin-tone-2`) to U+1F3FF (`skin-tone-6`).
    static let skinTones: [Unicode.Scalar] = ["\u{1F3FB}", "\u{1F3FC}", "\u{1F3FD}", "\u{1F3FE}", "\u{1F3FF}"]
    static let skinToneSuffix = "::skin-tone-"
    static let emojiPresentation: Unicode.Scalar = "\u{FE0F}"

    private static let emojiByName: [String: String] = Dictionary(table.map { ($0.name, $0.emoji) }) { first, _ in first }
    /// Keyed by the emoji without U+FE0F, so that `❤` and `❤️` name the same.
    private static let nameByEmoji: [String: String] = Dictionary(table.map { (bare($0.emoji), $0.name) }) { first, _ in first }

    /// The emoji Slack's short name `name` stands for (`+1::skin-tone-3` → 👍🏼), nil outside the table or for a skin
    /// tone on an emoji that takes none.
    package static func emoji(forName name: String) -> String? {
        guard name.utf8.count <= 100 else { return nil }
        var base = Substring(name)
        var tone: Unicode.Scalar?
        if let range = name.range(of: skinToneSuffix) {
            base = name[..<range.lowerBound]
            guard let digit = Int(name[range.upperBound...]), (2...6).contains(digit) else { return nil }
            tone = skinTones[digit - 2]
        }
        guard let emoji = emojiByName[String(base)] else { return nil }
        guard let tone else { return emoji }
        let scalars = emoji.unicodeScalars.filter { $0 != emojiPresentation }
        guard scalars.count == 1, let first = scalars.first, first.properties.isEmojiModifierBase else { return nil }
        var toned = String.UnicodeScalarView()
        toned.append(first)
        toned.append(tone)
        return String(toned)
    }

    /// Slack's short name for `emoji` (👍🏽 → `+1::skin-tone-4`), nil for one outside the table.
    package static func name(forEmoji emoji: String) -> String? {
        let scalars = Array(emoji.unicodeScalars)
        if scalars.count == 2, let index = skinTones.firstIndex(of: scalars[1]), scalars[0].properties.isEmojiModifierBase {
            guard let name = nameByEmoji[String(scalars[0])] else { return nil }
            return name + skinToneSuffix + "\(index + 2)"
        }
        return nameByEmoji[bare(emoji)]
    }

    /// `emoji` without U+FE0F.
    private static func bare(_ emoji: String) -> String {
        String(String.UnicodeScalarView(emoji.unicodeScalars.filter { $0 != emojiPresentation }))
    }
}
