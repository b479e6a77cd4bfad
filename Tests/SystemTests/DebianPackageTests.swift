import Foundation
import TestSupport
import Testing

/// scripts/package-deb.sh makes a package that lintian finds no error in, that installs on this Debian machine (man
/// finds the pages, bash-completion, zsh and fish the completions, systemd-analyze accepts the unit, the programs run
/// from /usr/bin, postinst creates the msgrelay user and guards the conffile), and that `dpkg --purge` removes without
/// a trace. The package holds the test run's debug binaries (a release build takes minutes more); `MSGTEST_DEB`
/// names a package to check instead, e.g. a release one (scripts/package-deb.sh), held to the release rules: no Swift
/// runtime outside the binaries, no lintian error at all. Installs and purges a package: needs root, and a machine
/// where msgrelay is not installed (it leaves the machine as it found it).
@Suite(.needsProcesses, .processSlot, .serialized) struct DebianPackageTests {
    /// lintian reports no error (a package of debug binaries: none but their RUNPATH to the toolchain's libraries).
    @Test func lintianFindsNoError() async throws {
        let package = try await DebianPackage.shared.value
        let lintian = try await Self.run("lintian", ["--display-info", package.file], timeout: 300)
        let hints = lintian.stdout.split(separator: "\n").compactMap { line -> (level: String, tag: String, line: String)? in
            guard let match = line.firstMatch(of: /^([EWIXPO]): msgrelay[^:]*: (\S+)/) else { return nil }
            return (String(match.output.1), String(match.output.2), String(line))
        }
        let tolerated: Set<String> = package.usesToolchainLibraries ? ["custom-library-search-path"] : []
        let errors = hints.filter { $0.level == "E" && !tolerated.contains($0.tag) }
        #expect(errors.isEmpty, "lintian \(package.file):\n\(errors.map(\.line).joined(separator: "\n"))")
        // lintian exits 2 when it reports errors, 0 when it does not; anything else means it did not run through.
        let reportedErrors = hints.contains { $0.level == "E" }
        #expect(lintian.status == (reportedErrors ? 2 : 0), "lintian exited \(lintian.status): \(lintian.stderr)")
        // Warnings do not fail the test, but docs/deploy.md lists every one that remains.
        let warnings = Set(hints.filter { $0.level == "W" }.map(\.tag))
        let undocumented = warnings.subtracting(Self.documentedWarnings)
        if !undocumented.isEmpty {
            Issue.record("lintian warnings not listed in docs/deploy.md: \(undocumented.sorted())", severity: .warning)
        }
    }

    /// dpkg installs the package and everything it holds works where Debian's tools look for it; then a purge removes
    /// every file, the msgrelay user and group, /etc/msgrelay and systemd's record of the unit.
    @Test func installsWorksAndPurgesWithoutATrace() async throws {
        guard await Self.mayRun() else { return }
        let package = try await DebianPackage.shared.value
        let install = try await Self.dpkg(["-i", package.file])
        // Whatever happens from here, the package is purged before the test ends.
        var listed: [String] = []
        var failure: (any Error)?
        do {
            #expect(install.status == 0, "dpkg -i: \(install.stderr)")
            listed = try await Self.run("dpkg-query", ["-L", "msgrelay"]).stdout.split(separator: "\n").map(String.init)
            try await checkInstalled(package)
        } catch {
            failure = error
        }
        let purge = try await Self.dpkg(["--purge", "msgrelay"])
        #expect(purge.status == 0, "dpkg --purge msgrelay: \(purge.stderr)")
        if let failure { throw failure }
        try await checkPurged(listed)
    }

    // MARK: installed

    func checkInstalled(_ package: DebianPackage) async throws {
        let version = try await Self.run("dpkg-deb", ["-f", package.file, "Version"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let status = try await Self.run("dpkg-query", ["-W", "-f", "${Status}|${Version}|${Conffiles}", "msgrelay"]).stdout
        let fields = status.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(fields.first == "install ok installed", "dpkg-query: \(status)")
        #expect(fields.dropFirst().first == version)
        #expect(fields.last?.hasPrefix("/etc/msgrelay/msgrelay.env ") == true, "the settings are not a conffile: \(status)")

        // The programs, stripped, from /usr/bin; the version is the package's without its Debian revision.
        let upstream = String(version[..<(version.lastIndex(of: "-") ?? version.endIndex)])
        let ctl = try await ProcessRunner.run("/usr/bin/msgctl", ["--version"])
        #expect(ctl.status == 0 && ctl.stdout == "msgctl \(upstream)\n", "msgctl --version: \(ctl.stdout)\(ctl.stderr)")
        let relay = try await ProcessRunner.run("/usr/bin/msgrelay", ["--help"])
        #expect(relay.status == 0 && relay.stdout.contains("JWT_SECRET"), "msgrelay --help: \(relay.stderr)")
        for program in ["/usr/bin/msgctl", "/usr/bin/msgrelay"] {
            let sections = try await Self.run("readelf", ["-S", "-W", program]).stdout
            #expect(!sections.contains(".symtab") && !sections.contains(".debug_info"), "\(program) is not stripped")
            if !package.usesToolchainLibraries {
                let libraries = try await Self.run("ldd", [program]).stdout
                let foreign = libraries.split(separator: "\n").filter { line in
                    line.contains("not found") || line.contains("swift")
                        || (line.contains("=>") && !line.contains("=> /lib/") && !line.contains("=> /usr/lib/"))
                }
                #expect(foreign.isEmpty, "\(program) loads libraries from outside Debian:\n\(foreign.joined(separator: "\n"))")
            }
        }

        // Until configured, the service refuses to start, with the status its unit does not restart on.
        let unconfigured = try await Self.run(
            "runuser", ["-u", "msgrelay", "--", "env", "-i", "sh", "-c", "set -a; . /etc/msgrelay/msgrelay.env; set +a; exec /usr/bin/msgrelay"])
        #expect(unconfigured.status == 78 && unconfigured.stderr.contains("JWT_SECRET"), "msgrelay without settings: \(unconfigured.stderr)")

        // Man pages.
        #expect(try await Self.run("man", ["-w", "msgctl"]).stdout == "/usr/share/man/man1/msgctl.1.gz\n")
        #expect(try await Self.run("man", ["-w", "8", "msgrelay"]).stdout == "/usr/share/man/man8/msgrelay.8.gz\n")

        // Completions, found by each shell's own loader.
        let bash = try await Self.run(
            "bash", ["-c", "source /usr/share/bash-completion/bash_completion && __load_completion msgctl && complete -p msgctl"])
        #expect(bash.stdout.contains("-F _msgctl msgctl"), "bash-completion does not load msgctl's: \(bash.stdout)\(bash.stderr)")
        let zsh = try await Self.run("zsh", ["-fc", "autoload -Uz compinit && compinit -D -u && print -r -- ${_comps[msgctl]}"])
        #expect(zsh.stdout == "_msgctl\n", "zsh's compinit does not find _msgctl: \(zsh.stdout)\(zsh.stderr)")
        let home = try TestEnvironment.scratchFolder("fish-home").path
        let fish = try await Self.run(
            "fish", ["-c", "complete -C 'msgctl '"],
            environment: ["HOME": home, "XDG_CONFIG_HOME": home + "/config", "XDG_DATA_HOME": home + "/data", "XDG_CACHE_HOME": home + "/cache"])
        let suggestions = fish.stdout.split(separator: "\n").map { $0.prefix { $0 != "\t" } }
        #expect(suggestions.contains("db") && suggestions.contains("list"), "fish does not complete msgctl's commands: \(fish.stdout)\(fish.stderr)")

        // The unit: pointed at the packaged files, accepted by systemd, not enabled.
        let unit = try String(contentsOfFile: "/lib/systemd/system/msgrelay.service", encoding: .utf8)
        #expect(unit.contains("\nExecStart=/usr/bin/msgrelay\n") && unit.contains("\nEnvironmentFile=/etc/msgrelay/msgrelay.env\n"))
        // ProtectSystem=strict leaves the state directory writable, for a local attachment store.
        #expect(unit.contains("\nProtectSystem=strict\n") && unit.contains("\nStateDirectory=msgrelay\n"))
        let verify = try await Self.run("systemd-analyze", ["verify", "/lib/systemd/system/msgrelay.service"])
        #expect(verify.status == 0 && verify.stderr.isEmpty, "systemd-analyze verify: \(verify.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/etc/systemd/system/multi-user.target.wants/msgrelay.service"))

        // The system user and group, and the settings only they and root may read.
        let user = try await Self.run("getent", ["passwd", "msgrelay"]).stdout.trimmingCharacters(in: .newlines)
            .split(separator: ":", omittingEmptySubsequences: false)
        #expect(user.count == 7 && (Int(user[2]) ?? 1000) < 1000, "no msgrelay system user: \(user)")
        #expect(user.count == 7 && user[5] == "/nonexistent" && user[6] == "/usr/sbin/nologin", "\(user)")
        let group = try #require(getgrnam("msgrelay"), "no msgrelay group").pointee.gr_gid
        var settings = stat()
        #expect(stat("/etc/msgrelay/msgrelay.env", &settings) == 0)
        #expect(settings.st_mode & 0o7777 == 0o640 && settings.st_uid == 0 && settings.st_gid == group, "settings not 0640 root:msgrelay")
        let shipped = try Data(contentsOf: TestEnvironment.packageRoot.appendingPathComponent("deploy/msgrelay.env"))
        #expect(FileManager.default.contents(atPath: "/etc/msgrelay/msgrelay.env") == shipped)
        for file in ["copyright", "changelog.Debian.gz", "README.Debian"] {
            #expect(FileManager.default.fileExists(atPath: "/usr/share/doc/msgrelay/\(file)"), "no /usr/share/doc/msgrelay/\(file)")
        }
    }

    // MARK: purged

    /// `listed`: what `dpkg-query -L` said the package had installed.
    func checkPurged(_ listed: [String]) async throws {
        let status = try await Self.run("dpkg-query", ["-W", "-f", "${Status}", "msgrelay"])
        #expect(status.status != 0 || status.stdout.hasSuffix("not-installed"), "dpkg still knows msgrelay: \(status.stdout)")
        #expect(listed.contains("/usr/bin/msgrelay"), "dpkg-query -L msgrelay listed no files")
        var isFolder: ObjCBool = false
        let left = listed.filter { FileManager.default.fileExists(atPath: $0, isDirectory: &isFolder) && !isFolder.boolValue }
        #expect(left.isEmpty, "left after purge: \(left)")
        for path in [
            "/etc/msgrelay", "/usr/share/doc/msgrelay", "/etc/systemd/system/msgrelay.service",
            "/var/lib/systemd/deb-systemd-helper-enabled/msgrelay.service.dsh-also", "/var/lib/systemd/deb-systemd-helper-masked/msgrelay.service",
        ] {
            #expect(!FileManager.default.fileExists(atPath: path), "left after purge: \(path)")
        }
        #expect(try await Self.run("getent", ["passwd", "msgrelay"]).status != 0, "the msgrelay user is left after purge")
        #expect(try await Self.run("getent", ["group", "msgrelay"]).status != 0, "the msgrelay group is left after purge")
    }

    // MARK: helpers

    /// The lintian warnings docs/deploy.md explains ("Debian package").
    static let documentedWarnings: Set<String> = ["initial-upload-closes-no-bugs"]

    /// Whether this machine may get the package for a while: as root, where msgrelay is neither installed nor
    /// installed by hand (its user, group or /etc/msgrelay would not survive the purge). Otherwise says why, as a
    /// warning.
    static func mayRun() async -> Bool {
        let reason: String
        if getuid() != 0 {
            reason = "installs and purges a Debian package: needs root"
        } else {
            let known = try? await ProcessRunner.run("/usr/bin/dpkg-query", ["-W", "-f", "${Status}", "msgrelay"])
            let installed = known.map { $0.status == 0 && !$0.stdout.hasSuffix("not-installed") } ?? false
            let byHand = FileManager.default.fileExists(atPath: "/etc/msgrelay") || getpwnam("msgrelay") != nil || getgrnam("msgrelay") != nil
            guard installed || byHand else { return true }
            reason = "msgrelay is on this machine already (package, user, group or /etc/msgrelay): not replaced, not purged"
        }
        Issue.record("not run: \(reason)", severity: .warning)
        return false
    }

    /// Runs a tool found on PATH; fails with the Debian package to install when it is missing.
    /// dpkg with `arguments`; while another process holds dpkg's lock (a package tool of the machine's own), tried
    /// again for up to a minute instead of failing at once, as dpkg does.
    static func dpkg(_ arguments: [String]) async throws -> ProcessResult {
        let deadline = Date().addingTimeInterval(60)
        while true {
            let result = try await run("dpkg", arguments, timeout: 300)
            guard result.status != 0, result.stderr.contains("lock"), Date() < deadline else { return result }
            try await Task.sleep(for: .seconds(1))
        }
    }

    static func run(
        _ tool: String, _ arguments: [String], environment: [String: String?] = [:], timeout: TimeInterval = 60
    ) async throws -> ProcessResult {
        let path = try #require(
            ShippedDocsTests.executable(tool), "\(tool) is not installed (scripts/install-deps.sh test installs what these tests need)")
        return try await ProcessRunner.run(path, arguments, environment: environment, timeout: timeout)
    }
}

/// The package under test: `MSGTEST_DEB`, or one scripts/package-deb.sh makes of the test run's binaries, once a run.
struct DebianPackage: Sendable {
    var file: String
    /// Made of binaries linked against the Swift toolchain's shared libraries (the test run's debug build).
    var usesToolchainLibraries: Bool

    static let shared = Task { try await make() }

    static func make() async throws -> DebianPackage {
        if let given = TestEnvironment.environment["MSGTEST_DEB"], !given.isEmpty {
            return DebianPackage(file: given, usesToolchainLibraries: false)
        }
        let folder = try TestEnvironment.scratchFolder("deb")
        let script = TestEnvironment.packageRoot.appendingPathComponent("scripts/package-deb.sh").path
        let made = try await ProcessRunner.run(
            script, ["--bin-dir", TestEnvironment.binDirectory.path, "--allow-toolchain-libraries", folder.path], timeout: 600)
        let file = made.stdout.split(separator: "\n").last.map(String.init) ?? ""
        guard made.status == 0, file.hasSuffix(".deb"), FileManager.default.fileExists(atPath: file) else {
            throw TestFailure("scripts/package-deb.sh exited \(made.status): \(made.stderr)")
        }
        return DebianPackage(file: file, usesToolchainLibraries: true)
    }
}
