import ArgumentParser

@main
struct MsgBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "msgbench",
        abstract: "Load generator for msgrelay: bench users, HTTP message posting at a fixed or maximum rate.",
        subcommands: [
            ChaosCommand.self,
            SetupCommand.self, PostCommand.self, SocketLatencyCommand.self, IdleSocketsCommand.self, SocketStormCommand.self, SearchCommand.self,
            PushEncryptCommand.self,
            PushEndToEndCommand.self, ExportBenchCommand.self, StatsBenchCommand.self,
        ])
}
