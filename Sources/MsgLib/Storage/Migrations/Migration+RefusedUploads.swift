extension Migration {
    /// Why a send with an upload was refused once its file was found unlike its declaration: a store never replaces an
    /// uploaded file, so later sends with it are refused from the database, without asking the store again (each ask
    /// is a request, and a ranged read of an image's first bytes). Nullable, without a default: adding it rewrites
    /// nothing.
    static let refusedUploads = Migration(
        id: 45, name: "attachments.refused",
        sql: """
            ALTER TABLE attachments ADD COLUMN refused TEXT;
            """)
}
