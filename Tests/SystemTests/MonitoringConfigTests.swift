import Foundation
import TestSupport
import Testing

/// deploy/prometheus/alerts.yml passes promtool's check and its own unit tests, and the alerts and the Grafana
/// dashboard (deploy/grafana/msgrelay.json) read only metrics a live relay exports.
@Suite(.needsProcesses, .processSlot) struct MonitoringConfigTests {
    static let prometheus = TestEnvironment.packageRoot.appendingPathComponent("deploy/prometheus")
    static let dashboard = TestEnvironment.packageRoot.appendingPathComponent("deploy/grafana/msgrelay.json")
    /// Series Prometheus makes itself, not the relay.
    static let prometheusOwn: Set<String> = ["up"]

    /// promtool, from Debian's `prometheus` package (scripts/install-deps.sh installs it for the tests).
    static var promtool: String {
        get throws {
            for folder in ["/usr/bin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: folder + "/promtool") {
                return folder + "/promtool"
            }
            throw TestFailure("promtool is missing: scripts/install-deps.sh test installs Debian's prometheus package")
        }
    }

    @Test func alertRulesPassPromtoolCheckAndTheirTests() async throws {
        let promtool = try Self.promtool
        let check = try await ProcessRunner.run(promtool, ["check", "rules", Self.prometheus.appendingPathComponent("alerts.yml").path])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("SUCCESS: 6 rules found"))
        let test = try await ProcessRunner.run(promtool, ["test", "rules", Self.prometheus.appendingPathComponent("alerts.test.yml").path])
        #expect(test.status == 0, "\(test.stdout)\(test.stderr)")
        #expect(test.stdout.contains("SUCCESS"))
    }

    /// Every alert has a `for:`, a severity and both annotations, and its own promtool tests that expect it to fire and
    /// not to fire.
    @Test func everyAlertIsCompleteAndTestedBothWays() throws {
        let rules = try String(contentsOf: Self.prometheus.appendingPathComponent("alerts.yml"), encoding: .utf8)
        let tests = try String(contentsOf: Self.prometheus.appendingPathComponent("alerts.test.yml"), encoding: .utf8)
        let blocks = rules.components(separatedBy: "- alert: ").dropFirst()
        #expect(blocks.count == 6)
        for block in blocks {
            let name = String(block.prefix { !$0.isNewline })
            for field in ["expr:", "for:", "severity:", "summary:", "description:"] {
                #expect(block.contains(field), "\(name) has no \(field)")
            }
            let cases = tests.components(separatedBy: "alertname: \(name)\n").dropFirst()
            #expect(cases.contains { $0.drop { $0 == " " }.hasPrefix("exp_alerts: []") }, "\(name) is never tested quiet")
            #expect(cases.contains { $0.drop { $0 == " " }.hasPrefix("exp_alerts:\n") }, "\(name) is never tested firing")
        }
    }

    @Test func theDashboardAndTheAlertsReadOnlyExportedMetrics() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database)
        // Requests make the labelled HTTP series; everything else is exported from the start.
        #expect(try await relay.request("GET", "/api/conversations", token: relay.token(f.alice)).status == 200)
        let exported = try await relay.metrics()
        try await relay.stop()

        let data = try Data(contentsOf: Self.dashboard)
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var expressions: [String] = []
        func collect(_ panels: [[String: Any]]) {
            for panel in panels {
                for target in panel["targets"] as? [[String: Any]] ?? [] {
                    if let expr = target["expr"] as? String { expressions.append(expr) }
                }
                collect(panel["panels"] as? [[String: Any]] ?? [])
            }
        }
        let panels = dashboard["panels"] as? [[String: Any]] ?? []
        collect(panels)
        let titles = panels.compactMap { $0["title"] as? String }
        for section in ["Traffic", "Latency", "WebSockets", "Database pool", "Outbox and notifications", "Rate limits"] {
            #expect(titles.contains(section), "no \(section) row")
        }
        #expect(expressions.count >= 20)
        // The data source is a variable, and every panel uses it.
        let variables = (dashboard[path: "templating.list"] as? [[String: Any]]) ?? []
        #expect(variables.contains { $0["type"] as? String == "datasource" && $0["query"] as? String == "prometheus" })
        for panel in panels where panel["type"] as? String != "row" {
            #expect((panel["datasource"] as? [String: Any])?["uid"] as? String == "${datasource}", "\(panel["title"] ?? "")")
        }
        var names: [String: Set<String>] = [:]
        for expr in expressions { names["dashboard", default: []].formUnion(PromQLNames.metricNames(in: expr)) }
        // Variables' queries: label_values(metric, label).
        for variable in variables {
            guard let query = variable["definition"] as? String,
                let match = query.range(of: #"(?<=label_values\()\s*[a-zA-Z_:][a-zA-Z0-9_:]*"#, options: .regularExpression)
            else { continue }
            names["dashboard variables", default: []].insert(query[match].trimmingCharacters(in: .whitespaces))
        }
        let rules = try String(contentsOf: Self.prometheus.appendingPathComponent("alerts.yml"), encoding: .utf8)
        for expr in Self.expressions(inRules: rules) { names["alerts.yml", default: []].formUnion(PromQLNames.metricNames(in: expr)) }
        #expect((names["dashboard"] ?? []).count >= 15)
        #expect((names["alerts.yml"] ?? []).count >= 6)
        for (source, used) in names {
            let unknown = used.filter { !exported.exports($0) && !Self.prometheusOwn.contains($0) }
            #expect(unknown.isEmpty, "\(source) names metrics the relay does not export: \(unknown.sorted())")
        }
        // Every family the relay exports is on the dashboard.
        let shown = Set(
            (names["dashboard"] ?? []).map { name in
                ["_bucket", "_sum", "_count"].first { name.hasSuffix($0) && exported.types[String(name.dropLast($0.count))] == "histogram" }
                    .map { String(name.dropLast($0.count)) } ?? name
            })
        let missing = Set(exported.types.keys).subtracting(shown).subtracting(["msgrelay_outbox_backlog_read_timestamp_seconds"])
        #expect(missing.isEmpty, "exported but on no panel: \(missing.sorted())")
    }

    /// The `expr:` of each rule, single-line or a `|` block.
    static func expressions(inRules text: String) -> [String] {
        var expressions: [String] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var index = 0
        while index < lines.count {
            let line = lines[index]
            guard let range = line.range(of: "expr: ") else {
                index += 1
                continue
            }
            let value = line[range.upperBound...].trimmingCharacters(in: .whitespaces)
            if value == "|" {
                let indent = line.prefix { $0 == " " }.count
                var block: [String] = []
                index += 1
                while index < lines.count, lines[index].prefix(while: { $0 == " " }).count > indent || lines[index].isEmpty {
                    block.append(lines[index])
                    index += 1
                }
                expressions.append(block.joined(separator: "\n"))
            } else {
                expressions.append(value)
                index += 1
            }
        }
        return expressions
    }
}
