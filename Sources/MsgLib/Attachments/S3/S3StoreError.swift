/// Why an S3 request of the relay failed. `description` is meant for logs and operators: it names the operation,
/// the status and S3's error code and message, never a credential, a signature or a presigned URL.
package struct S3StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Kind: String, Sendable {
        /// The credentials or the bucket policy refused the request (403, a bad key or secret, an expired token).
        case denied
        /// The bucket does not exist (or the endpoint or addressing style is wrong).
        case noSuchBucket
        /// A key, content type or expiry the store cannot sign (the relay makes them: a bug if this happens).
        case invalidRequest
        /// No answer: timeout, connection refused, TLS failure.
        case unavailable
        /// An answer the relay cannot use: unexpected status, missing or malformed headers, a changed object.
        case badAnswer
    }

    package let kind: Kind
    package let message: String

    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    package var description: String { message }
}
