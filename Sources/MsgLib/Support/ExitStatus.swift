@preconcurrency import Glibc

/// Process exit codes of msgctl and msgrelay (sysexits.h values where one fits).
package enum ExitStatus: Int32, Sendable {
    case success = 0
    /// Anything not listed below.
    case failure = 1
    /// Bad command line: unknown option, missing argument.
    case usage = 2
    /// Input that breaks a rule: a message too long, a username taken, a malformed id.
    case dataError = 65
    /// An input file cannot be read.
    case noInput = 66
    /// The user or conversation named does not exist.
    case noUser = 67
    /// The database (or relay) cannot be reached.
    case unavailable = 69
    /// A bug: an error that should not happen.
    case software = 70
    /// An output file cannot be created or written.
    case cantCreate = 73
    /// Try again later: another run holds the lock, or a rate limit.
    case tempFail = 75
    /// Not allowed.
    case noPermission = 77
    /// Configuration missing or wrong: JWT_SECRET unset, schema not migrated, a bad environment value.
    case config = 78
}

/// Prints `program: message` as one line on stderr (its first line, names and values in it through
/// ``TerminalText``) and exits with the status that fits `error`.
package func exitWithError(_ program: String, _ error: any Error) -> Never {
    let text = "\(error)".split(separator: "\n").first.map { TerminalText.escaped(String($0)) } ?? "unknown error"
    fputs("\(program): \(text)\n", stderr)
    exit(ExitStatus.forError(error).rawValue)
}
