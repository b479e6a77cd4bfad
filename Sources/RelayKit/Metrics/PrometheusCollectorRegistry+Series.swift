import Prometheus

extension PrometheusCollectorRegistry {
    /// One counter of family `name` per value of `label`, made now so that every series is exported (at 0) from the start.
    func counters<Key: Hashable>(_ name: String, label: String, _ keys: [Key], value: (Key) -> String, help: String) -> [Key: Counter] {
        Dictionary(uniqueKeysWithValues: keys.map { ($0, makeCounter(name: name, labels: [(label, value($0))], help: help)) })
    }

    /// ``counters(_:label:_:value:help:)`` for label values given as they are.
    func counters(_ name: String, label: String, _ values: [String], help: String) -> [String: Counter] {
        counters(name, label: label, values, value: { $0 }, help: help)
    }
}
