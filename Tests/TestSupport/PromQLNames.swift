import Foundation

/// The metric names a PromQL expression reads: what is left once strings, label matchers, ranges, grouping clauses,
/// functions, keywords and Grafana variables are taken out.
package enum PromQLNames {
    static let keywords: Set<String> = [
        "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan", "atan2",
    ]

    package static func metricNames(in expression: String) -> Set<String> {
        var text = expression
        for pattern in [
            #""(?:[^"\\]|\\.)*""#, #"'(?:[^'\\]|\\.)*'"#, "`[^`]*`",  // strings
            #"\{[^}]*\}"#,  // label matchers
            #"\[[^\]]*\]"#,  // ranges and subqueries
            #"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)"#,  // grouping and matching clauses
        ] {
            text = text.replacingOccurrences(of: pattern, with: " ", options: .regularExpression)
        }
        let token = try! NSRegularExpression(pattern: #"(?<![\w:$.])[a-zA-Z_:][a-zA-Z0-9_:]*(?!\s*\()"#)
        var names: Set<String> = []
        for match in token.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            let name = String(text[Range(match.range, in: text)!])
            // A function name before its parenthesis is skipped by the pattern; the lookahead can also stop a
            // function name short (`rat` before `e(`): a name followed by a word character is no name.
            let end = Range(match.range, in: text)!.upperBound
            if end < text.endIndex, text[end].isLetter || text[end].isNumber || text[end] == "_" { continue }
            if !keywords.contains(name.lowercased()) { names.insert(name) }
        }
        return names
    }
}
