import MsgLib

/// An error whose message is meant for the person at the terminal, with the exit status that goes with it.
package struct UserFacingError: Error, Sendable, CustomStringConvertible {
    package let message: String
    package let exitStatus: ExitStatus

    package init(_ message: String, exitStatus: ExitStatus = .failure) {
        self.message = message
        self.exitStatus = exitStatus
    }

    package var description: String { message }
}
