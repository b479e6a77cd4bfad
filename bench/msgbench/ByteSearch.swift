import Glibc

extension [UInt8] {
    /// Where `needle` first starts in these bytes, or nil: a load generator's search, without allocating.
    func offset(of needle: [UInt8]) -> Int? {
        guard let first = needle.first, count >= needle.count else { return nil }
        return withUnsafeBufferPointer { haystack in
            needle.withUnsafeBufferPointer { needle in
                for i in 0...(haystack.count - needle.count) where haystack[i] == first {
                    if memcmp(haystack.baseAddress! + i, needle.baseAddress!, needle.count) == 0 { return i }
                }
                return nil
            }
        }
    }
}
