extension Migration {
    /// A change to a user row (its admin flag, names) or its deletion is announced on the real-time channel, so that
    /// every relay forgets the user it cached and closes the sockets that no longer match the user's rights. Users change
    /// rarely, so the NOTIFY inside the changing transaction costs nothing that matters.
    static let userChanges = Migration(
        id: 20, name: "users: announce changes",
        sql: """
            CREATE FUNCTION notify_user_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    PERFORM pg_notify('msgrelay_events', json_build_object('k', 'u', 'u', OLD.id)::text);
                    RETURN OLD;
                END IF;
                PERFORM pg_notify('msgrelay_events', json_build_object('k', 'u', 'u', NEW.id, 'admin', NEW.is_admin)::text);
                RETURN NEW;
            END $$;
            CREATE TRIGGER trigger_notify_user_deleted AFTER DELETE ON users FOR EACH ROW EXECUTE FUNCTION notify_user_changed();
            CREATE TRIGGER trigger_notify_user_updated AFTER UPDATE ON users
                FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION notify_user_changed();
            """)
}
