import ArgumentParser
import MsgLib

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Add and list users.", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user and print its id.")

        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Unique login name.") var username: String
        @Option(help: "Name shown to others.") var displayName: String
        @Option(help: "URL slug (default: derived from the username, numbered when taken).") var slug: String?
        @Flag(help: "Make the user an admin.") var admin = false
        @Flag(help: "Print the id of the existing user instead of failing when the username is taken.")
        var ifNotExists = false

        func validate() throws {
            if username.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--username must not be empty") }
            if displayName.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--display-name must not be empty") }
        }

        func run() async throws {
            let (username, displayName, slug, admin, ifNotExists) = (username, displayName, slug, admin, ifNotExists)
            let user = try await connection.withService { service in
                do {
                    return try await service.addUser(
                        username: username, displayName: displayName, slug: slug, isAdmin: admin, ifNotExists: ifNotExists)
                } catch let error as ServiceError where error.kind == .conflict {
                    throw UserFacingError(error.message, exitStatus: .dataError)
                }
            }
            FileOutput.standardOutput.write(user.id.lowercasedString + "\n")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users, admins first.")

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: TableOutputOptions

        func run() async throws {
            let users = try await connection.withService { service in try await service.users() }
            if output.json {
                try JSONOutput.print(users.map(UserRecord.init))
                return
            }
            var table = TextTable("ID", "USERNAME", "DISPLAY NAME", "ADMIN", "CREATED")
            for user in users {
                table.append([
                    TableCell(user.id.lowercasedString), TableCell(user.username), TableCell(user.displayName),
                    TableCell(human: user.isAdmin ? "yes" : "no", machine: user.isAdmin ? "true" : "false"), .time(user.createdAt),
                ])
            }
            output.print(table)
        }
    }
}
