/// A passage of a message with the words a search matched marked, in no particular output format: REST renders it
/// as escaped HTML with `<mark>`, msgctl in bold on a terminal.
public struct Snippet: Sendable, Equatable {
    /// A run of text, highlighted (a match) or not.
    public struct Segment: Sendable, Equatable {
        public var text: String
        public var highlighted: Bool

        public init(_ text: String, highlighted: Bool = false) {
            self.text = text
            self.highlighted = highlighted
        }
    }

    public var segments: [Segment]

    public init(_ segments: [Segment] = []) {
        self.segments = segments
    }

    /// The text without any highlighting.
    public var plainText: String { segments.map(\.text).joined() }
}
