import ArgumentParser
import Foundation
import MsgLib

/// Where the relay and its database are, shared by the load commands.
struct BenchOptions: ParsableArguments {
    @Option(help: "Relay port on 127.0.0.1.") var port = 8080
    @Option(help: "JWT_SECRET of the relay (default: JWT_SECRET).") var secret: String?
    @Option(help: "libpq connection string (default: DATABASE_URL).") var databaseURL: String?
    @Flag(help: "Print one JSON object.") var json = false

    var signer: JWTSigner { JWTSigner(secret: secret ?? ProcessInfo.processInfo.environment["JWT_SECRET"] ?? "") }
    var conninfo: String { databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "" }
}
