import Foundation

/// Attachments as the service uses them: the settings and the store they name.
package struct AttachmentSupport: Sendable {
    package let configuration: AttachmentConfiguration
    package let store: any AttachmentStore

    package init(configuration: AttachmentConfiguration, store: any AttachmentStore) {
        self.configuration = configuration
        self.store = store
    }

    /// The store `configuration` names; nil when attachments are off.
    /// - Throws: ``ConfigurationError`` for a store that cannot be opened, or one this build does not have.
    /// - Parameter createLocal: whether a local store's folder is made when it does not exist (the relay; msgctl only
    ///   opens a store that exists, see ``LocalAttachmentStore/init(root:signingKey:publicBaseURL:create:)``).
    package static func open(_ configuration: AttachmentConfiguration, createLocal: Bool = true) throws(ConfigurationError) -> AttachmentSupport? {
        switch configuration.store {
        case nil:
            return nil
        case .local(let path):
            guard !configuration.signingKey.isEmpty else {
                throw ConfigurationError("the local attachment store needs ATTACHMENT_SIGNING_KEY or JWT_SECRET to sign its URLs")
            }
            let store = try LocalAttachmentStore(
                root: path, signingKey: configuration.signingKey, publicBaseURL: configuration.publicBaseURL, create: createLocal)
            return AttachmentSupport(configuration: configuration, store: store)
        case .s3:
            guard let s3 = configuration.s3 else { throw ConfigurationError("ATTACHMENT_STORE: the S3 settings were not read") }
            return AttachmentSupport(configuration: configuration, store: S3AttachmentStore(configuration: s3))
        }
    }

    /// The local store, when that is the store.
    package var local: LocalAttachmentStore? { store as? LocalAttachmentStore }

    package var policy: AttachmentPolicy { AttachmentPolicy(maxBytes: configuration.maxBytes, types: configuration.types) }
}
