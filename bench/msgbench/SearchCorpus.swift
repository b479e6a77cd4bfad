import Foundation
import MsgLib

/// A seeded, repeatable corpus of English-like support-chat messages for the search benchmark.
///
/// Words follow a Zipf–Mandelbrot law (rank r drawn with weight 1/(r+30)) over a vocabulary of real words
/// followed by a long tail of pronounceable made-up words, mixed with English stop words, fixed two-word
/// phrases, order numbers, punctuation and the odd HTML-special character. With the defaults (1,000,000
/// messages of about 20 words), the most common content word is in about 5% of messages, rank 50 in about
/// 2% (the "common word" the benchmark queries), and the tail words in a few dozen.
struct SearchCorpus: Sendable {
    let seed: UInt64
    let messages: Int
    let conversations: Int
    /// The time of the first message: ``start`` unless the corpus is made to end now.
    let origin: Timestamp
    /// 2025-01-01T00:00:00Z: messages are spread evenly over the 365 days that follow.
    static let start = Timestamp(microsecondsSinceEpoch: 1_735_689_600_000_000)
    static let span: Int64 = 365 * 86_400 * 1_000_000
    static var end: Timestamp { Timestamp(microsecondsSinceEpoch: start.microsecondsSinceEpoch + span) }

    static let stopWords = [
        "the", "to", "i", "a", "and", "you", "is", "it", "my", "for", "of", "in", "on", "that", "this", "have", "be", "can",
        "with", "we", "your", "me", "was", "not", "but", "are", "just", "so", "at", "do", "if", "what", "there", "an", "or",
        "will", "all", "would", "about", "when", "from", "they", "been", "has", "had", "our", "any", "how", "again", "still",
    ]

    /// Real words in rough order of frequency in a shop's support chat; ranks 1...300 of the vocabulary.
    static let realWords = [
        "order", "thanks", "please", "help", "account", "hello", "package", "delivery", "payment", "refund", "email",
        "today", "question", "problem", "card", "address", "product", "shipping", "price", "time", "week", "update",
        "check", "received", "sent", "number", "working", "change", "need", "know", "like", "get", "see", "want", "sorry",
        "tomorrow", "issue", "item", "return", "invoice", "password", "login", "website", "page", "link", "phone", "call",
        "message", "reply", "customer", "service", "support", "team", "store", "size", "color", "box", "label", "tracking",
        "courier", "warehouse", "stock", "discount", "coupon", "code", "gift", "subscription", "plan", "monthly", "annual",
        "cancel", "renew", "charge", "charged", "twice", "bank", "transfer", "receipt", "tax", "vat", "company", "name",
        "billing", "details", "profile", "settings", "notification", "app", "browser", "error", "screen", "button",
        "click", "download", "upload", "file", "photo", "picture", "broken", "damaged", "missing", "wrong", "late",
        "early", "fast", "slow", "great", "good", "bad", "happy", "unhappy", "quick", "exchange", "replacement",
        "warranty", "repair", "manual", "instructions", "battery", "charger", "cable", "screenshot", "version", "morning",
        "evening", "night", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
        "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
        "holiday", "weekend", "office", "home", "work", "door", "neighbour", "building", "street", "city", "country",
        "post", "parcel", "letter", "signature", "confirm", "confirmation", "verify", "verification", "security",
        "privacy", "data", "delete", "remove", "add", "cart", "basket", "checkout", "pay", "paid", "cash", "paypal",
        "visa", "mastercard", "credit", "debit", "balance", "points", "reward", "loyalty", "member", "membership",
        "newsletter", "unsubscribe", "spam", "offer", "sale", "black", "white", "blue", "red", "green", "small", "medium",
        "large", "extra", "fit", "shoes", "shirt", "jacket", "dress", "trousers", "bag", "watch", "ring", "necklace",
        "lamp", "chair", "table", "sofa", "bed", "mattress", "pillow", "kitchen", "garden", "tool", "toy", "book", "game",
        "ticket", "event", "booking", "reservation", "appointment", "schedule", "available", "availability", "restock",
        "preorder", "estimate", "eta", "status", "pending", "processing", "shipped", "delivered", "returned", "refunded",
        "approved", "declined", "failed", "expired", "valid", "invalid", "reset", "locked", "unlock", "username", "mobile",
        "tablet", "laptop", "computer", "printer", "speaker", "headphones", "camera", "lens", "adapter", "plug",
        "voltage", "europe", "abroad", "international", "customs", "duty", "fee", "cost", "expensive", "cheap", "free",
        "total", "amount", "quantity", "piece", "pair", "set", "bundle", "sample", "review", "rating", "feedback",
        "complaint", "manager", "colleague", "weather", "rain", "snow", "storm", "strike", "delay", "apology",
    ]

    /// Two-word phrases that people write together; queried as `"w1 w2"`.
    static let phrases = [
        "tracking number", "credit card", "password reset", "delivery address", "order number", "bank transfer",
        "gift card", "customer service", "phone number", "email address", "return label", "next week", "wrong size",
        "money back", "out of stock", "same day", "confirmation email", "payment failed", "damaged box", "late delivery",
        "discount code", "express shipping", "opening hours", "user account", "store credit",
    ]

    static let syllables = [
        "ba", "be", "bi", "bo", "bu", "da", "de", "di", "do", "du", "fa", "fe", "fi", "fo", "ga", "ge", "go", "gu", "ka",
        "ke", "ki", "ko", "la", "le", "li", "lo", "lu", "ma", "me", "mi", "mo", "mu", "na", "ne", "ni", "no", "nu", "pa",
        "pe", "pi", "po", "ra", "re", "ri", "ro", "ru", "ta", "te", "ti", "to", "tu", "va", "ve", "vi", "vo", "za", "ze",
        "zo", "bra", "dre", "gri", "klo", "pru", "stra", "tro", "vel", "mor", "tan", "ril", "dun", "sen", "kar", "lom",
    ]
    static let endings = ["n", "r", "l", "m", "x", "t", "k", "d", "nd", "rk", "lt", "sh"]

    /// Size of the content vocabulary: the real words, then made-up ones.
    static let vocabularySize = 50_000

    /// The content word of rank `rank` (1-based).
    static func word(rank: Int) -> String {
        if rank <= realWords.count { return realWords[rank - 1] }
        var i = rank - realWords.count - 1
        var out = ""
        let s = syllables.count
        out += syllables[i % s]
        i /= s
        out += syllables[i % s]
        i /= s
        out += syllables[i % s] + endings[(rank * 7) % endings.count]
        return out
    }

    /// Cumulative Zipf–Mandelbrot weights over the vocabulary, for sampling by binary search.
    private let cumulative: [Double]
    private let phraseCumulative: [Double]

    init(seed: UInt64 = 42, messages: Int = 1_000_000, conversations: Int = 1000, origin: Timestamp = Self.start) {
        self.seed = seed
        self.origin = origin
        self.messages = messages
        self.conversations = conversations
        var sum = 0.0
        cumulative = (1...Self.vocabularySize).map { rank in
            sum += 1 / (Double(rank) + 30)
            return sum
        }
        var phraseSum = 0.0
        phraseCumulative = Self.phrases.indices.map { i in
            phraseSum += 1 / (Double(i) + 3)
            return phraseSum
        }
    }

    /// The deterministic id of bench user `n` (1-based) and of its conversation; the admin is user 0.
    static func userId(_ n: Int) -> UUID { fixedUUID(kind: 0xA, n) }
    static func conversationId(_ n: Int) -> UUID { fixedUUID(kind: 0xC, n) }
    static func username(_ n: Int) -> String { n == 0 ? "searchadmin" : "searcher\(n)" }

    private static func fixedUUID(kind: UInt8, _ n: Int) -> UUID {
        var b = [UInt8](repeating: 0, count: 16)
        b[0] = 0x01
        b[1] = 0x93  // a 2024 UUIDv7 time prefix, so the ids sort before every message
        b[6] = 0x70
        b[8] = 0x80
        b[9] = kind
        for i in 0..<4 { b[15 - i] = UInt8((n >> (8 * i)) & 0xFF) }
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }

    /// One generated message.
    struct Row {
        var id: UUID
        var conversation: Int
        var fromAdmin: Bool
        var content: String
        var createdAt: Timestamp
        var readAt: Timestamp?
        var deletedAt: Timestamp?
    }

    /// Calls `body` with every message in creation order.
    func forEach(_ body: (Row) throws -> Void) rethrows {
        var rng = SplitMix64(seed: seed)
        let step = Self.span / Int64(messages)
        // Conversations are not equally busy: weight 1/sqrt(n).
        var conversationSum = 0.0
        let conversationCumulative = (1...conversations).map { n in
            conversationSum += 1 / Double(n).squareRoot()
            return conversationSum
        }
        for i in 0..<messages {
            let micros = origin.microsecondsSinceEpoch + Int64(i) * step + Int64(rng.next() % UInt64(max(step, 1)))
            let createdAt = Timestamp(microsecondsSinceEpoch: micros)
            let conversation = Self.pick(conversationCumulative, rng.unit()) + 1
            let fromAdmin = rng.unit() < 0.4
            let content = makeContent(&rng)
            let unread = i >= messages - messages / 1000
            let deleted = rng.unit() < 0.005
            var bytes = [UInt8](repeating: 0, count: 16)
            let ms = UInt64(micros / 1000)
            for k in 0..<6 { bytes[k] = UInt8((ms >> (8 * (5 - k))) & 0xFF) }
            let random = rng.next()
            let random2 = rng.next()
            bytes[6] = 0x70 | UInt8(random & 0x0F)
            bytes[7] = UInt8((random >> 8) & 0xFF)
            bytes[8] = 0x80 | UInt8((random >> 16) & 0x3F)
            for k in 9..<16 { bytes[k] = UInt8((random2 >> (8 * (k - 9))) & 0xFF) }
            let id = UUID(
                uuid: (
                    bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10],
                    bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
                ))
            try body(
                Row(
                    id: id, conversation: conversation, fromAdmin: fromAdmin, content: content, createdAt: createdAt,
                    readAt: unread ? nil : createdAt.adding(seconds: 300), deletedAt: deleted ? createdAt.adding(seconds: 3600) : nil))
        }
    }

    private func makeContent(_ rng: inout SplitMix64) -> String {
        // About 11 content words and 9 stop words on average, at least one content word.
        let contentWords = 1 + Int(-log(1 - rng.unit() * 0.9999) * 10)
        var words: [String] = []
        words.reserveCapacity(contentWords * 2 + 4)
        var phraseAt = rng.unit() < 0.15 ? Int(rng.next() % UInt64(contentWords + 1)) : -1
        for k in 0...contentWords {
            if k == phraseAt {
                words.append(Self.phrases[Self.pick(phraseCumulative, rng.unit())])
                phraseAt = -1
            }
            if k == contentWords { break }
            while rng.unit() < 0.45 { words.append(Self.stopWords[Int(rng.next() % UInt64(Self.stopWords.count))]) }
            words.append(Self.word(rank: Self.pick(cumulative, rng.unit()) + 1))
        }
        if rng.unit() < 0.03 { words.insert("#\(100_000 + rng.next() % 900_000)", at: Int(rng.next() % UInt64(words.count))) }
        if rng.unit() < 0.01 {
            words.insert(["<b>", "&", "A&B", "<3", "\"quoted\""][Int(rng.next() % 5)], at: Int(rng.next() % UInt64(words.count)))
        }
        var text = ""
        var capitalize = true
        for (k, word) in words.enumerated() {
            if k > 0 { text += " " }
            text += capitalize ? word.prefix(1).uppercased() + word.dropFirst() : word
            capitalize = false
            let r = rng.unit()
            if r < 0.07 {
                text += [".", ".", "?", "!"][Int(rng.next() % 4)]
                capitalize = true
            } else if r < 0.12 {
                text += ","
            }
        }
        return text + (rng.unit() < 0.5 ? "." : "")
    }

    private static func pick(_ cumulative: [Double], _ u: Double) -> Int {
        let target = u * cumulative[cumulative.count - 1]
        var lo = 0
        var hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] < target { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

/// SplitMix64: a small, fast, seedable generator, so the corpus is the same on every machine.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
