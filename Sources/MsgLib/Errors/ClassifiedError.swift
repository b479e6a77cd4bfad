/// An error a client or an admin may see: it states its ``Failure`` once, and every transport maps that.
public protocol ClassifiedError: Error {
    /// This error's classification.
    var failure: Failure { get }
}
