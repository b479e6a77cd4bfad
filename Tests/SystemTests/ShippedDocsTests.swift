import Foundation
import MsgLib
import TestSupport
import Testing

/// The man pages (man/) and shell completions (completions/) that ship with msgctl and msgrelay describe the
/// binaries as they are. Needs no database; the lint needs groff (Debian package groff-base).
@Suite(.needsProcesses, .processSlot) struct ShippedDocsTests {
    // MARK: man pages

    /// Every msgctl (sub)command has a subsection in COMMANDS whose heading starts with its path (`db migrate`),
    /// and every option, flag and argument of it is the tag (or one of the tags) of a `.TP` paragraph there.
    @Test func msgctlManPageCoversEveryCommandAndOption() async throws {
        let tool = try await ToolInfo.dump("msgctl")
        let page = try ManPage(file: "man/msgctl.1")
        let commands = page.subsections(of: "COMMANDS")
        var missing: [String] = []
        for (path, command) in tool.command.walk() where !path.isEmpty {
            guard let subsection = commands.first(where: { $0.heading == path || $0.heading.hasPrefix(path + " ") }) else {
                missing.append("no subsection `.SS \"\(path) ...\"` under COMMANDS")
                continue
            }
            let tags = ManPage.tags(in: subsection.text).joined(separator: "\n")
            for name in command.documentedNames where !ManPage.names(name, in: tags) {
                missing.append("`\(path)` has no `.TP` paragraph for \(name) in its subsection")
            }
        }
        // Options of msgctl itself (none yet besides --help and --version) may be described anywhere.
        for name in tool.command.documentedNames where !ManPage.names(name, in: page.text) {
            missing.append("msgctl's own \(name) is not named")
        }
        #expect(missing.isEmpty, "man/msgctl.1 is behind `msgctl --experimental-dump-help`:\n\(missing.joined(separator: "\n"))")
    }

    /// msgrelay's options are `.TP` tags in OPTIONS, and so is every variable of docs/deploy.md's msgrelay tables in
    /// ENVIRONMENT.
    @Test func msgrelayManPageCoversEveryOptionAndVariable() async throws {
        let tool = try await ToolInfo.dump("msgrelay")
        let page = try ManPage(file: "man/msgrelay.8")
        let options = ManPage.tags(in: page.section("OPTIONS")).joined(separator: "\n")
        var missing = tool.command.documentedNames.filter { !ManPage.names($0, in: options) }.map { "OPTIONS has no `.TP` for \($0)" }
        let variables = try DeployGuide.variables(inTablesUnder: "msgrelay")
        #expect(variables.contains("JWT_SECRET") && variables.contains("VAPID_PUBLIC_KEY"), "docs/deploy.md's msgrelay tables not found")
        let environment = ManPage.tags(in: page.section("ENVIRONMENT")).joined(separator: "\n")
        missing += variables.filter { !ManPage.names($0, in: environment) }.map { "ENVIRONMENT has no `.TP` for \($0) (docs/deploy.md)" }
        #expect(missing.isEmpty, "man/msgrelay.8 is incomplete:\n\(missing.joined(separator: "\n"))")
    }

    /// msgctl's ENVIRONMENT names the variables of docs/deploy.md's msgctl tables.
    @Test func msgctlManPageNamesTheDeployGuidesVariables() throws {
        let variables = try DeployGuide.variables(inTablesUnder: "msgctl")
        #expect(variables.contains("MSGRELAY_URL"), "docs/deploy.md's msgctl tables not found")
        let environment = try ManPage.tags(in: ManPage(file: "man/msgctl.1").section("ENVIRONMENT")).joined(separator: "\n")
        let missing = variables.filter { !ManPage.names($0, in: environment) }
        #expect(missing.isEmpty, "man/msgctl.1's ENVIRONMENT has no `.TP` for \(missing) (docs/deploy.md)")
    }

    /// EXIT STATUS has an entry for every status of ExitStatus.swift (msgctl) and of docs/deploy.md's table.
    /// An app installed through OAuth gets the scopes of the manifest in docs/slack.md (and the channel choice).
    @Test func theOAuthInstallAsksForTheManifestsScopes() throws {
        let guide = try String(contentsOf: Self.root.appendingPathComponent("docs/slack.md"), encoding: .utf8)
        let start = try #require(guide.range(of: "```json\n"))
        let end = try #require(guide.range(of: "\n```", range: start.upperBound..<guide.endIndex))
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(guide[start.upperBound..<end.lowerBound].utf8)) as? [String: Any])
        let bot = try #require(((manifest["oauth_config"] as? [String: Any])?["scopes"] as? [String: Any])?["bot"] as? [String])
        #expect(bot.contains("reactions:read"))
        #expect(Set(SlackOAuthConfiguration.botScopes) == Set(bot + ["incoming-webhook"]))
    }

    @Test func exitStatusesAreDocumented() throws {
        let source = try String(contentsOf: Self.root.appendingPathComponent("Sources/MsgLib/Support/ExitStatus.swift"), encoding: .utf8)
        let statuses = source.matches(of: /case\s+\w+\s*=\s*(\d+)/).map { String($0.output.1) }
        #expect(statuses.count >= 12, "cannot read the statuses of ExitStatus.swift")
        let (relay, ctl) = try DeployGuide.exitStatuses()
        let ctlTags = try ManPage.tags(in: ManPage(file: "man/msgctl.1").section("EXIT STATUS"))
        let relayTags = try ManPage.tags(in: ManPage(file: "man/msgrelay.8").section("EXIT STATUS"))
        let ctlMissing = Set(statuses + ctl).subtracting(ctlTags).sorted()
        let relayMissing = Set(relay).subtracting(relayTags).sorted()
        #expect(ctlMissing.isEmpty, "man/msgctl.1's EXIT STATUS has no entry for \(ctlMissing)")
        #expect(relayMissing.isEmpty, "man/msgrelay.8's EXIT STATUS has no entry for \(relayMissing) (docs/deploy.md)")
    }

    /// Both pages format without a single groff warning (`groff -man -Tutf8 -ww -z`).
    @Test(arguments: ["man/msgctl.1", "man/msgrelay.8"])
    func manPageIsLintClean(_ file: String) async throws {
        let groff = try #require(
            Self.executable("groff"), "groff is not installed: apt-get install groff-base (scripts/install-deps.sh should list it)")
        let path = Self.root.appendingPathComponent(file).path
        let lint = try await ProcessRunner.run(groff, ["-man", "-Tutf8", "-ww", "-z", path])
        #expect(lint.status == 0 && lint.stderr.isEmpty, "groff -man -Tutf8 -ww -z \(file):\n\(lint.stderr)")
        // Rendered, the page has its sections (and no stray request swallowed them).
        let rendered = try await ProcessRunner.run(groff, ["-man", "-Tutf8", "-P-cbou", path])
        for heading in ["NAME", "SYNOPSIS", "DESCRIPTION", "ENVIRONMENT", "FILES", "EXIT STATUS", "SEE ALSO"] {
            #expect(rendered.stdout.contains("\n\(heading)\n"), "\(file) renders without a \(heading) section")
        }
    }

    // MARK: settings file

    /// deploy/msgrelay.env (the Debian package's /etc/msgrelay/msgrelay.env) sets nothing, and has every variable of
    /// docs/deploy.md's msgrelay and msgctl tables once, commented out with its default under a line that explains it.
    @Test func settingsFileHasEveryVariableWithItsDefault() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("deploy/msgrelay.env"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var problems = lines.filter { !$0.isEmpty && !$0.hasPrefix("#") }.map { "sets something: \($0)" }
        var entries: [String: (value: String, explained: Bool)] = [:]
        for (index, line) in lines.enumerated() {
            guard let match = line.wholeMatch(of: /#([A-Z][A-Z0-9_]*)=(.*)/) else { continue }
            let name = String(match.output.1)
            if entries[name] != nil { problems.append("\(name) is there twice") }
            let above = index > 0 ? lines[index - 1] : ""
            entries[name] = (String(match.output.2), above.hasPrefix("# ") && above.count > 2)
        }
        let settings = try DeployGuide.settings(inTablesUnder: "msgrelay") + DeployGuide.settings(inTablesUnder: "msgctl")
        let names = Set(settings.map(\.name))
        #expect(
            names.contains("JWT_SECRET") && names.contains("WS_FRAME_BURST") && names.contains("MSGRELAY_URL"), "docs/deploy.md's tables not found")
        for setting in settings {
            guard let entry = entries[setting.name] else {
                problems.append("no #\(setting.name)= line")
                continue
            }
            if !entry.explained { problems.append("#\(setting.name)= has no explanation on the line above") }
            if let expected = setting.defaultValue(among: names), entry.value != expected {
                problems.append(
                    "#\(setting.name)=\(entry.value), but docs/deploy.md's default is \(expected.isEmpty ? "none (#\(setting.name)=)" : expected)")
            }
        }
        problems += entries.keys.filter { !names.contains($0) }.sorted().map { "#\($0)= is in none of docs/deploy.md's tables" }
        #expect(problems.isEmpty, "deploy/msgrelay.env:\n\(problems.joined(separator: "\n"))")
    }

    // MARK: completions

    /// completions/ holds exactly what the binaries generate.
    @Test(arguments: ["msgctl", "msgrelay"], ["bash", "zsh", "fish"])
    func completionScriptIsCurrent(_ program: String, _ shell: String) async throws {
        let file = ["bash": "\(program).bash", "zsh": "_\(program)", "fish": "\(program).fish"][shell]!
        let generated = try await Self.output(of: program, ["--generate-completion-script", shell])
        let committed = try? Data(contentsOf: Self.root.appendingPathComponent("completions/\(file)"))
        #expect(!generated.isEmpty)
        #expect(
            committed == generated,
            """
            completions/\(file) differs from `\(program) --generate-completion-script \(shell)`\
            \(Self.firstDifference(committed ?? Data(), generated)): run scripts/generate-completions.sh and commit completions/
            """)
    }

    // MARK: helpers

    /// The repository: this file is Tests/SystemTests/ShippedDocsTests.swift.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The exact bytes one of our binaries writes on stdout (through a file: a pipe read in chunks could split a
    /// UTF-8 sequence).
    static func output(of program: String, _ arguments: [String]) async throws -> Data {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("shipped-docs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        let binary = TestEnvironment.binary(program)
        let result = try await ProcessRunner.run("/bin/sh", ["-c", #"f=$1; shift; exec "$@" > "$f""#, "sh", file.path, binary] + arguments)
        guard result.status == 0 else {
            throw TestFailure("\(program) \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        }
        return try Data(contentsOf: file)
    }

    static func executable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Where `old` and `new` first differ, by line, for the failure message.
    static func firstDifference(_ old: Data, _ new: Data) -> String {
        let oldLines = String(decoding: old, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let newLines = String(decoding: new, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        var line = 0
        while line < oldLines.count, line < newLines.count, oldLines[line] == newLines[line] { line += 1 }
        guard line < max(oldLines.count, newLines.count) else { return "" }
        let was = line < oldLines.count ? String(oldLines[line]) : "(end of file)"
        let now = line < newLines.count ? String(newLines[line]) : "(end of output)"
        return " (first at line \(line + 1): the file has `\(was)`, the binary prints `\(now)`)"
    }
}

/// The part of swift-argument-parser's `--experimental-dump-help` JSON (ToolInfoV0) the tests read.
private struct ToolInfo: Decodable {
    var command: Command

    struct Command: Decodable {
        var commandName: String
        var shouldDisplay: Bool?
        var subcommands: [Command]?
        var arguments: [Argument]?

        /// Every command below this one with its path (`db migrate`), this one first with the empty path; the
        /// generated `help` command and hidden commands left out.
        func walk(_ path: String = "") -> [(String, Command)] {
            [(path, self)]
                + (subcommands ?? []).filter { $0.commandName != "help" && $0.shouldDisplay != false }.flatMap {
                    $0.walk(path.isEmpty ? $0.commandName : path + " " + $0.commandName)
                }
        }

        /// What a reader must find: `--long` names of options and flags (not --help, --version), and the
        /// names of positional arguments.
        var documentedNames: [String] {
            (arguments ?? []).filter { $0.shouldDisplay }.compactMap { argument -> String? in
                if argument.kind == "positional" { return argument.valueName }
                let long = (argument.names ?? []).first { $0.kind == "long" }?.name
                guard let long, long != "help", long != "version" else { return nil }
                return "--" + long
            }
        }
    }

    struct Argument: Decodable {
        var kind: String
        var shouldDisplay: Bool
        var names: [Name]?
        var valueName: String?
    }

    struct Name: Decodable {
        var kind: String
        var name: String
    }

    static func dump(_ program: String) async throws -> ToolInfo {
        try JSONDecoder().decode(ToolInfo.self, from: await ShippedDocsTests.output(of: program, ["--experimental-dump-help"]))
    }
}

/// A man(7) page read as plain text: font escapes dropped, `\-` as `-`, split at `.SH` and `.SS`.
private struct ManPage {
    struct Part {
        var section: String
        var heading: String
        var text: String
    }

    let parts: [Part]
    var text: String { parts.map(\.text).joined(separator: "\n") }

    init(file: String) throws {
        let source = try String(contentsOf: ShippedDocsTests.root.appendingPathComponent(file), encoding: .utf8)
        var parts = [Part(section: "", heading: "", text: "")]
        for rawLine in source.split(separator: "\n", omittingEmptySubsequences: false) {
            if rawLine.hasPrefix(".\\\"") { continue }
            let line = Self.plain(String(rawLine))
            if line.hasPrefix(".SH ") {
                let name = Self.argument(of: line)
                parts.append(Part(section: name, heading: "", text: ""))
            } else if line.hasPrefix(".SS ") {
                let heading = Self.argument(of: line)
                parts.append(Part(section: parts.last!.section, heading: heading, text: heading + "\n"))
            } else {
                parts[parts.count - 1].text += line + "\n"
            }
        }
        self.parts = parts
    }

    /// The text of section `name`, its subsections included.
    func section(_ name: String) -> String {
        parts.filter { $0.section == name }.map(\.text).joined(separator: "\n")
    }

    /// The subsections (`.SS`) of section `name`.
    func subsections(of name: String) -> [Part] {
        parts.filter { $0.section == name && !$0.heading.isEmpty }
    }

    /// The tags of the `.TP` paragraphs in `text` (the line after each `.TP`), as plain words: `.B 65` gives
    /// "65", `.BR \-\-json ", " \-\-csv` gives "--json ,  --csv".
    static func tags(in text: String) -> [String] {
        let lines = text.split(separator: "\n").map(String.init)
        return zip(lines, lines.dropFirst()).filter { $0.0.hasPrefix(".TP") }.map { pair in
            (pair.1.hasPrefix(".") ? String(pair.1.drop { $0 != " " }) : pair.1).replacingOccurrences(of: "\"", with: "")
                .trimmingCharacters(in: .whitespaces)
        }
    }

    /// Whether `name` (`--since`, `JWT_SECRET`, `conversation`) occurs in `text` as a whole word.
    static func names(_ name: String, in text: String) -> Bool {
        let word: (Character) -> Bool = { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
        var rest = text[...]
        while let range = rest.range(of: name) {
            let before = range.lowerBound == text.startIndex ? nil : text[text.index(before: range.lowerBound)]
            let after = range.upperBound == text.endIndex ? nil : text[range.upperBound]
            if !(before.map(word) ?? false) && !(after.map(word) ?? false) { return true }
            rest = text[range.upperBound...]
        }
        return false
    }

    /// `\fB--since\fP` as `--since`: font changes, zero-width and hyphenation escapes removed, `\-` and the
    /// common character names written as what they print.
    static func plain(_ line: String) -> String {
        var text = line.replacing(/\\f(\[[A-Z]*\]|\(..|[A-Z])/, with: "")
        for (escape, character) in [
            ("\\-", "-"), ("\\&", ""), ("\\%", ""), ("\\(dq", "\""), ("\\(rs", "\\"), ("\\e", "\\"), ("\\(ti", "~"), ("\\~", " "),
        ] {
            text = text.replacingOccurrences(of: escape, with: character)
        }
        return text
    }

    /// The words after a request (`.SS "db migrate"` gives `db migrate`), quotes removed.
    static func argument(of line: String) -> String {
        let words = line.drop { $0 != " " }.trimmingCharacters(in: .whitespaces)
        return words.hasPrefix("\"") ? String(words.dropFirst().prefix { $0 != "\"" }) : words
    }
}

/// docs/deploy.md's environment and exit status tables.
private enum DeployGuide {
    static func lines() throws -> [Substring] {
        try String(contentsOf: ShippedDocsTests.root.appendingPathComponent("docs/deploy.md"), encoding: .utf8).split(separator: "\n")
    }

    /// One variable of a table, with its Default cell (nil in a table without that column).
    struct Setting {
        var name: String
        var defaultCell: String?

        /// What a settings file shows as the default: the literal of a `` `value` `` cell; empty for none (unset,
        /// required, or made from other settings, `names`); nil when the table does not say.
        func defaultValue(among names: Set<String>) -> String? {
            guard let cell = defaultCell?.trimmingCharacters(in: .whitespaces) else { return nil }
            guard let literal = cell.wholeMatch(of: /`([^`]*)`/)?.output.1 else { return "" }
            return names.contains { literal.contains($0) } ? "" : String(literal)
        }
    }

    /// The first-column names (`` `JWT_SECRET` ``, `` `A` / `B` `` gives both) of the tables under every
    /// `### <program>...` heading.
    static func variables(inTablesUnder program: String) throws -> [String] {
        try settings(inTablesUnder: program).map(\.name)
    }

    /// The rows of the tables under every `### <program>...` heading, one per name of the first column.
    static func settings(inTablesUnder program: String) throws -> [Setting] {
        var inside = false
        var hasDefaults = false
        var settings: [Setting] = []
        for line in try lines() {
            if line.hasPrefix("#") { inside = line.hasPrefix("### \(program)") }
            guard inside, line.hasPrefix("|") else { continue }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }
            if cells.first == "Variable" { hasDefaults = cells.dropFirst().first == "Default" }
            guard let first = cells.first, first.hasPrefix("`"), first.wholeMatch(of: /`[A-Z][A-Z0-9_]*`( \/ `[A-Z][A-Z0-9_]*`)*/) != nil else {
                continue
            }
            let names = first.matches(of: /`([A-Z][A-Z0-9_]*)`/).map { String($0.output.1) }
            // `A` / `B` | `20` / `40`: one default each.
            let defaults = hasDefaults ? cells[1].components(separatedBy: " / ") : []
            for (index, name) in names.enumerated() {
                let cell = !hasDefaults ? nil : defaults.count == names.count ? defaults[index] : cells[1]
                settings.append(Setting(name: name, defaultCell: cell))
            }
        }
        return settings
    }

    /// The codes of the exit status table with an entry (not "—") for msgrelay and for msgctl.
    static func exitStatuses() throws -> (relay: [String], ctl: [String]) {
        var inside = false
        var relay: [String] = []
        var ctl: [String] = []
        for line in try lines() {
            if line.hasPrefix("#") { inside = line.hasPrefix("## Exit status") }
            guard inside else { continue }
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 3, Int(cells[0]) != nil else { continue }
            if cells[1] != "—" { relay.append(cells[0]) }
            if cells[2] != "—" { ctl.append(cells[0]) }
        }
        return (relay, ctl)
    }
}
