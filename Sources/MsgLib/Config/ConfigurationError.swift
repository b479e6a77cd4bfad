/// A setting (environment variable or flag) has a value we cannot use; the message says which and why.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
