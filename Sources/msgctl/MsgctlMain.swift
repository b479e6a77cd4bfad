import MsgctlKit

/// msgctl's entry point; the commands live in MsgctlKit.
@main
enum MsgctlMain {
    static func main() async { await Msgctl.main() }
}
