/// The row offset of `page` (from 1) at `limit` rows a page, saturating instead of overflowing.
func pageOffset(page: Int, limit: Int) -> Int {
    let (offset, overflow) = (max(page, 1) - 1).multipliedReportingOverflow(by: max(limit, 0))
    return overflow ? Int.max / 2 : offset
}
