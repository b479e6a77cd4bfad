/// Facts about this build of the library.
public enum MsgLibInfo {
    /// The version of msgrelay, msgctl and MsgLib.
    public static let version = "0.1.0"
}
