import ArgumentParser

/// The search benchmark: a seeded corpus loaded with COPY, then ranked searches through the relay
/// beside the straightforward query through psql.
struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search", abstract: "Search benchmark: load a corpus, then measure GET /api/messages/search.",
        subcommands: [SearchLoadCommand.self, SearchMigrateCommand.self, SearchRunCommand.self, SearchExplainCommand.self])
}
