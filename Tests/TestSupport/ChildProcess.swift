import Foundation
import Synchronization

/// A child process started with posix_spawn, its stdout and stderr read on threads of their own.
///
/// Foundation's `Process.waitUntilExit` can miss a child's exit when many are started at once; this type
/// reaps its child itself with `waitpid`.
package final class ChildProcess: Sendable {
    package let pid: pid_t
    private let stdoutBuffer = OutputBuffer()
    private let stderrBuffer = OutputBuffer()
    private let readersDone = DispatchGroup()
    private let status = Mutex<Int32?>(nil)
    /// The write end of the child's stdin while it stays open (`keepInputOpen`), or -1.
    private let inputDescriptor: Int32

    /// Starts `executable` with `arguments`; `environment` is added to ours (nil values remove a variable).
    /// With `mergeOutput`, stderr goes to the stdout buffer too; with `keepInputOpen`, ``send(_:)`` writes to its
    /// stdin until ``closeInput()``. With `unblockSignals`, the child starts with no signal blocked (else it inherits the
    /// spawning thread's mask, which blocks most: a program that does not unblock them itself, as strace, would not stop).
    package init(
        _ executable: String, _ arguments: [String], environment: [String: String?] = [:], input: String? = nil, mergeOutput: Bool = false,
        keepInputOpen: Bool = false, unblockSignals: Bool = false
    ) throws {
        // A child that exits before reading its input must not kill the test process with SIGPIPE.
        Glibc.signal(SIGPIPE, SIG_IGN)
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        var inPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0, pipe(&inPipe) == 0 else { throw TestFailure("pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, mergeOutput ? outPipe[1] : errPipe[1], 2)
        // Every other descriptor of the test process (other tests' sockets and pipes) stays out of the child: one it
        // held open would keep a link another test closed open, or another child's input from reaching its end.
        guard Self.addCloseFrom(&actions, 3) == 0 else { throw TestFailure("posix_spawn_file_actions_addclosefrom_np failed") }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        if unblockSignals {
            var none = sigset_t()
            sigemptyset(&none)
            posix_spawnattr_setsigmask(&attributes, &none)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        }
        let rc = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        close(inPipe[0])
        close(outPipe[1])
        close(errPipe[1])
        guard rc == 0 else {
            [inPipe[1], outPipe[0], errPipe[0]].forEach { close($0) }
            throw TestFailure("cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        pid = child
        if let input { _ = input.withCString { write(inPipe[1], $0, strlen($0)) } }
        if keepInputOpen {
            inputDescriptor = inPipe[1]
        } else {
            close(inPipe[1])
            inputDescriptor = -1
        }
        for (fd, buffer) in [(outPipe[0], stdoutBuffer), (errPipe[0], stderrBuffer)] {
            readersDone.enter()
            Thread.detachNewThread { [readersDone] in
                var chunk = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = read(fd, &chunk, chunk.count)
                    if n > 0 {
                        buffer.append(String(decoding: chunk[0..<n], as: UTF8.self))
                    } else if n < 0 && errno == EINTR {
                        continue
                    } else {
                        break
                    }
                }
                close(fd)
                readersDone.leave()
            }
        }
    }

    /// Writes `text` to the child's stdin (started with `keepInputOpen`).
    package func send(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty, inputDescriptor >= 0 {
            let written = bytes.withUnsafeBytes { write(inputDescriptor, $0.baseAddress, $0.count) }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }

    /// Closes the child's stdin.
    package func closeInput() {
        if inputDescriptor >= 0 { close(inputDescriptor) }
    }

    package var stdout: String { stdoutBuffer.text }
    package var stderr: String { stderrBuffer.text }

    /// The exit status once the child has exited (128 + signal when killed), nil while it runs.
    package var exitStatus: Int32? {
        status.withLock { current in
            if let current { return current }
            var raw: Int32 = 0
            if waitpid(pid, &raw, WNOHANG) == pid {
                current = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
            }
            return current
        }
    }

    package var isRunning: Bool { exitStatus == nil }

    /// Sends `signal` to the child.
    package func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Blocks until the child exits and its output is read, or `timeout` passes (then kills it and throws).
    package func waitUntilExit(timeout: TimeInterval) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning {
            if Date() > deadline {
                signal(SIGKILL)
                throw TestFailure("process \(pid) did not exit within \(timeout) s")
            }
            usleep(5_000)
        }
        _ = readersDone.wait(timeout: .now() + 5)
        return exitStatus ?? -1
    }

    deinit {
        if isRunning {
            kill(pid, SIGKILL)
            _ = try? waitUntilExit(timeout: 5)
        }
    }
}

/// Text appended from one thread and read from others.
package final class OutputBuffer: Sendable {
    private let storage = Mutex("")
    package func append(_ text: String) { storage.withLock { $0 += text } }
    package var text: String { storage.withLock { $0 } }
}

extension ChildProcess {
    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc module does not declare.
    fileprivate static let addCloseFrom: @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32 = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") else {
            fatalError("glibc 2.34 or later is needed: no posix_spawn_file_actions_addclosefrom_np")
        }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()
}
