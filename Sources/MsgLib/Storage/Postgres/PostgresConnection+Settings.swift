extension PostgresConnection {
    /// Sets each run-time parameter (`work_mem`, `jit`, a custom `msglib.*` value ...) for the rest of the current
    /// transaction only (`set_config(name, value, true)`), names and values passed as statement parameters. Outside a
    /// transaction a setting would end with this statement.
    package func setLocal(_ settings: [(name: String, value: String)]) throws(DatabaseError) {
        guard !settings.isEmpty else { return }
        let calls = settings.indices.map { "set_config($\(2 * $0 + 1), $\(2 * $0 + 2), true)" }.joined(separator: ", ")
        try query("SELECT \(calls)", settings.flatMap { [$0.name, $0.value] as [(any PostgresBindable)?] })
    }
}
