import Foundation
import MsgLib

/// moto (a Python S3 emulator, in the test venv) in server mode on a free 127.0.0.1 port, stopped by ``stop()`` or when
/// released; and Tests/SystemTests/Interop/s3_interop.py, which drives it (and botocore) with boto3.
///
/// moto checks the `Authorization` header of signed requests only after ``enableAuthentication()``, against the IAM
/// users it knows; it never checks the signature or the expiry of a presigned URL.
package final class MotoServer: Sendable {
    package static let region = "us-east-1"
    package let port: Int
    private let process: ChildProcess

    package var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Starts moto and waits (up to 60 s) until it answers.
    package static func start() async throws -> MotoServer {
        let python = try S3Interop.python()
        let port = try RecordingHTTPServer.unusedPort()
        let process = try ChildProcess(python, ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], mergeOutput: true)
        let server = MotoServer(port: port, process: process)
        let client = HTTPClient(configuration: .init(allowInsecure: true))
        try await waitFor("moto on port \(port) (output: \(process.stdout.suffix(500)))", timeout: 60) {
            guard process.isRunning else { throw TestFailure("moto exited: \(process.stdout.suffix(2000))") }
            let response = try? await client.send(
                HTTPClient.Request(url: "\(server.endpoint)/moto-api/data.json", method: .get, timeout: .seconds(2)))
            return response?.status == 200
        }
        return server
    }

    private init(port: Int, process: ChildProcess) {
        self.port = port
        self.process = process
    }

    deinit { stop() }

    package func stop() {
        guard process.isRunning else { return }
        process.signal(SIGTERM)
        if (try? process.waitUntilExit(timeout: 10)) == nil { process.signal(SIGKILL) }
    }

    /// Creates `bucket` (unauthenticated, before ``enableAuthentication()``).
    package func createBucket(_ bucket: String) async throws {
        _ = try await S3Interop.run("create-bucket", base(accessKey: "AKIDEXAMPLE", secret: "secret").merging(["bucket": bucket]) { $1 })
    }

    /// Creates an IAM user allowed every S3 action and returns its access key and secret.
    package func createUser() async throws -> SigV4Signer.Credentials {
        let output = try await S3Interop.run("create-user", base(accessKey: "AKIDEXAMPLE", secret: "secret"))
        guard let key = output["access_key"] as? String, let secret = output["secret_key"] as? String else {
            throw TestFailure("create-user printed \(output)")
        }
        return SigV4Signer.Credentials(accessKeyId: key, secretAccessKey: secret)
    }

    /// From now on moto checks the signature of each request with an `Authorization` header.
    package func enableAuthentication() async throws {
        let client = HTTPClient(configuration: .init(allowInsecure: true))
        let response = try await client.send(
            HTTPClient.Request(url: "\(endpoint)/moto-api/reset-auth", method: .post, body: Array("0".utf8), timeout: .seconds(10)))
        guard response.status == 200 else { throw TestFailure("reset-auth answered \(response.status): \(response.bodyText)") }
    }

    private func base(accessKey: String, secret: String) -> [String: Any] {
        ["endpoint_url": endpoint, "region": Self.region, "access_key": accessKey, "secret_key": secret]
    }
}

/// s3_interop.py's `gate` in front of a ``MotoServer``: presigned URLs are checked as S3 checks them (signature
/// recomputed by botocore from the request received, expiry) before the request goes on to moto.
package final class PresignGate: Sendable {
    package let port: Int
    private let process: ChildProcess

    package var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Starts the gate for requests signed with `credentials` and waits (up to 60 s) until it passes requests on.
    package static func start(before moto: MotoServer, credentials: SigV4Signer.Credentials) async throws -> PresignGate {
        let port = try RecordingHTTPServer.unusedPort()
        let input: [String: Any] = [
            "port": port, "upstream": moto.endpoint, "access_key": credentials.accessKeyId, "secret_key": credentials.secretAccessKey,
        ]
        let arguments = String(decoding: try JSONSerialization.data(withJSONObject: input), as: UTF8.self)
        let process = try ChildProcess(try S3Interop.python(), [S3Interop.script, "gate", arguments], mergeOutput: true)
        let gate = PresignGate(port: port, process: process)
        let client = HTTPClient(configuration: .init(allowInsecure: true))
        try await waitFor("the presign gate on port \(port)", timeout: 60) {
            guard process.isRunning else { throw TestFailure("the gate exited: \(process.stdout.suffix(2000))") }
            let response = try? await client.send(HTTPClient.Request(url: "\(gate.endpoint)/moto-api/data.json", method: .get, timeout: .seconds(2)))
            return response?.status == 200
        }
        return gate
    }

    private init(port: Int, process: ChildProcess) {
        self.port = port
        self.process = process
    }

    deinit { stop() }

    package func stop() {
        guard process.isRunning else { return }
        process.signal(SIGKILL)
        _ = try? process.waitUntilExit(timeout: 5)
    }
}

/// Runs Tests/SystemTests/Interop/s3_interop.py with the Python in `MSGTEST_PYTHON`.
package enum S3Interop {
    package static func python() throws -> String {
        guard let python = ProcessInfo.processInfo.environment["MSGTEST_PYTHON"], !python.isEmpty else {
            throw TestFailure(
                "MSGTEST_PYTHON is not set: run the tests through scripts/test.sh, or point it at a Python with boto3 and moto[server]")
        }
        return python
    }

    static var script: String { TestEnvironment.packageRoot.appendingPathComponent("Tests/SystemTests/Interop/s3_interop.py").path }

    /// `s3_interop.py command input`: what it printed, as a JSON object.
    package static func run(_ command: String, _ input: [String: Any]) async throws -> [String: Any] {
        let arguments = String(decoding: try JSONSerialization.data(withJSONObject: input), as: UTF8.self)
        let result = try await ProcessRunner.runDetached(try python(), [script, command, arguments], timeout: 60)
        guard result.status == 0 else { throw TestFailure("s3_interop.py \(command) exited with \(result.status): \(result.stderr)") }
        guard let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw TestFailure("s3_interop.py \(command) printed \(result.stdout)")
        }
        return object
    }
}
