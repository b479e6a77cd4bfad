import Testing

@testable import TestSupport

@Suite struct PromQLNamesTests {
    @Test func namesAreFoundAndEverythingElseLeftOut() {
        #expect(
            PromQLNames.metricNames(
                in:
                    #"histogram_quantile(0.95, sum by (route, le) (rate(msgrelay_http_request_duration_seconds_bucket{instance=~"$instance"}[$__rate_interval])))"#
            ) == ["msgrelay_http_request_duration_seconds_bucket"])
        #expect(
            PromQLNames.metricNames(
                in: #"sum by (instance) (rate(a_total{status=~"5.."}[5m])) / sum by (instance) (rate(a_total[5m])) > 0.05"#) == ["a_total"])
        #expect(PromQLNames.metricNames(in: "x_in_use >= x_size and x_waiting > 0") == ["x_in_use", "x_size", "x_waiting"])
        #expect(
            PromQLNames.metricNames(in: #"sum by (status) (label_replace(rate(r_total[1m]), "status", "${1}xx", "status", "(.).."))"#)
                == ["r_total"])
        #expect(PromQLNames.metricNames(in: "up{job=\"msgrelay\"} == 0") == ["up"])
        #expect(PromQLNames.metricNames(in: "rate(c_total[5m] offset 1h) * 60 > 0.2 * sum(g) + 10") == ["c_total", "g"])
        #expect(PromQLNames.metricNames(in: "max(a) by (kind)") == ["a"])
    }
}
