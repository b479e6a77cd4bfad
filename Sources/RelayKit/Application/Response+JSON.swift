import Foundation
import Hummingbird
import MsgLib

extension Response {
    /// A JSON response holding `value`, encoded with the API's conventions (snake_case keys set by the types).
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        if let direct = (value as? any DirectJSONBody)?.directJSON {
            return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: direct)))
        }
        let body = (try? JSONEncoder().encode(value)) ?? Data(#"{"error":"Internal server error"}"#.utf8)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
