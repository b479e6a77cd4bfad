import Foundation
import MsgLib

/// Prints values as JSON on stdout: sorted keys, so output is stable for scripts (escaped for a terminal).
enum JSONOutput {
    static func print(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        FileOutput.standardOutput.writeData(String(decoding: data, as: UTF8.self) + "\n")
    }
}
