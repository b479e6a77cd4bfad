extension Migration {
    /// Creating users is announced on the real-time channel too, once per statement (an import of many users is one
    /// announcement): a relay keeps an id it found unknown as such for a while (a deleted user's token repeated costs no
    /// lookup), and forgets those ids when users are created, so that a user made just after their token was refused
    /// is let in at once.
    static let userCreations = Migration(
        id: 48, name: "users: announce creations",
        sql: """
            CREATE FUNCTION notify_users_created() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('msgrelay_events', json_build_object('k', 'n')::text);
                RETURN NULL;
            END $$;
            CREATE TRIGGER trigger_notify_users_created AFTER INSERT ON users
                FOR EACH STATEMENT EXECUTE FUNCTION notify_users_created();
            """)
}
