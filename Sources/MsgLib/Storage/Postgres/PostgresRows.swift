/// A column of a result: its name and PostgreSQL type OID.
package struct PostgresColumn: Sendable, Equatable {
    package var name: String
    package var type: UInt32
}

/// The rows of one result, copied out of libpq into one Swift-owned buffer (binary format).
package struct PostgresRows: Sendable, RandomAccessCollection {
    struct Cell: Sendable {
        var start: Int32
        /// -1 for NULL.
        var count: Int32
    }

    package let columns: [PostgresColumn]
    let bytes: [UInt8]
    let cells: [Cell]
    /// Rows returned, or rows affected by INSERT/UPDATE/DELETE.
    package let affectedRows: Int

    init(columns: [PostgresColumn], bytes: [UInt8], cells: [Cell], affectedRows: Int) {
        self.columns = columns
        self.bytes = bytes
        self.cells = cells
        self.affectedRows = affectedRows
    }

    package var startIndex: Int { 0 }
    package var endIndex: Int { columns.isEmpty ? 0 : cells.count / columns.count }
    package subscript(position: Int) -> PostgresRow { PostgresRow(rows: self, index: position) }

    /// The index of the column named `name`, if any.
    package func columnIndex(_ name: String) -> Int? {
        columns.firstIndex { $0.name == name }
    }
}

/// One row of ``PostgresRows``; decode its columns by position or by name.
package struct PostgresRow: Sendable {
    let rows: PostgresRows
    let index: Int

    /// Decodes column `column` as `T` (use an Optional type for nullable columns).
    package func decode<T: PostgresDecodable>(_ column: Int, as type: T.Type = T.self) throws(DatabaseError) -> T {
        guard column >= 0, column < rows.columns.count else {
            throw DatabaseError(.decoding, message: "no column \(column) in the result")
        }
        let cell = rows.cells[index * rows.columns.count + column]
        let info = rows.columns[column]
        do {
            if cell.count < 0 { return try T.decodeNull() }
            let start = Int(cell.start)
            return try T.decode(rows.bytes[start..<start + Int(cell.count)], type: info.type)
        } catch {
            throw DatabaseError(.decoding, message: "column \"\(info.name)\": \(error.reason)")
        }
    }

    /// Decodes the column named `name` as `T`.
    package func decode<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws(DatabaseError) -> T {
        guard let column = rows.columnIndex(name) else {
            throw DatabaseError(.decoding, message: "no column \"\(name)\" in the result")
        }
        return try decode(column, as: type)
    }
}
