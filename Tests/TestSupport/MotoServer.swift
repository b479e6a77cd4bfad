import Foundation
import MsgLib

/// moto (a Python S3 emulator, in the test venv) in server mode on a free 127.0.0.1 port, stopped by ``stop()`` or when
/// released; and Tests/SystemTests/Interop/s3_interop.py, which drives it (and botocore) with boto3.
///
/// moto checks the `Authorization` header of signed requests only after ``enableAuthentication()``, against the IAM
/// users it knows; it never checks the signature or the expiry of a presigned URL (``PresignGate`` does).
package final class MotoServer: Sendable {
    package static let region = "us-east-1"
    /// The credentials the tests sign with while moto does not check them.
    package static let credentials = SigV4Signer.Credentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret")
    private let server: PythonServer

    package var port: Int { server.port }
    package var endpoint: String { server.endpoint }

    /// Starts moto and waits (up to 60 s) until it answers.
    package static func start() async throws -> MotoServer {
        MotoServer(server: try await PythonServer.start("moto") { port in [S3Interop.script, "moto", "{\"port\": \(port)}"] })
    }

    /// Runs `body` with a moto that has `bucket`, and stops it afterwards.
    package static func with<T>(bucket: String, _ body: (MotoServer) async throws -> T) async throws -> T {
        let moto = try await start()
        defer { moto.stop() }
        try await moto.createBucket(bucket)
        return try await body(moto)
    }

    private init(server: PythonServer) { self.server = server }

    package func stop() { server.stop() }

    /// The settings of an `s3://bucket/relay` store on this moto (or on `endpoint`, a gate in front of it), path-style,
    /// signed with `credentials`.
    package func storeEnvironment(bucket: String, endpoint: String? = nil, credentials: SigV4Signer.Credentials = MotoServer.credentials)
        -> [String: String]
    {
        [
            "ATTACHMENT_STORE": "s3://\(bucket)/relay", "AWS_REGION": Self.region, "AWS_ENDPOINT_URL": endpoint ?? self.endpoint,
            "AWS_S3_FORCE_PATH_STYLE": "true", "AWS_ACCESS_KEY_ID": credentials.accessKeyId, "AWS_SECRET_ACCESS_KEY": credentials.secretAccessKey,
        ]
    }

    /// Creates `bucket` (unauthenticated, before ``enableAuthentication()``).
    package func createBucket(_ bucket: String) async throws {
        _ = try await S3Interop.run("create-bucket", base.merging(["bucket": bucket]) { $1 })
    }

    /// Creates an IAM user allowed every S3 action and returns its access key and secret.
    package func createUser() async throws -> SigV4Signer.Credentials {
        let output = try await S3Interop.run("create-user", base)
        guard let key = output["access_key"] as? String, let secret = output["secret_key"] as? String else {
            throw TestFailure("create-user printed \(output)")
        }
        return SigV4Signer.Credentials(accessKeyId: key, secretAccessKey: secret)
    }

    /// From now on moto checks the signature of each request with an `Authorization` header.
    package func enableAuthentication() async throws {
        let response = try await PythonServer.client.send(
            HTTPClient.Request(url: "\(endpoint)/moto-api/reset-auth", method: .post, body: Array("0".utf8), timeout: .seconds(10)))
        guard response.status == 200 else { throw TestFailure("reset-auth answered \(response.status): \(response.bodyText)") }
    }

    private var base: [String: Any] {
        [
            "endpoint_url": endpoint, "region": Self.region, "access_key": Self.credentials.accessKeyId,
            "secret_key": Self.credentials.secretAccessKey,
        ]
    }
}

/// s3_interop.py's `gate` in front of a ``MotoServer``: presigned URLs are checked as S3 checks them (signature
/// recomputed by botocore from the request received, expiry) before the request goes on to moto.
package final class PresignGate: Sendable {
    private let server: PythonServer

    package var endpoint: String { server.endpoint }

    /// Starts the gate for requests signed with `credentials` and waits (up to 60 s) until it passes requests on.
    package static func start(before moto: MotoServer, credentials: SigV4Signer.Credentials = MotoServer.credentials) async throws
        -> PresignGate
    {
        PresignGate(
            server: try await PythonServer.start("the presign gate") { port in
                let input: [String: Any] = [
                    "port": port, "upstream": moto.endpoint, "access_key": credentials.accessKeyId, "secret_key": credentials.secretAccessKey,
                ]
                let arguments = String(decoding: try JSONSerialization.data(withJSONObject: input), as: UTF8.self)
                return [S3Interop.script, "gate", arguments]
            })
    }

    private init(server: PythonServer) { self.server = server }

    package func stop() { server.stop() }
}

/// A Python HTTP server of the tests (moto, the gate) on a free port, killed when stopped or released.
private final class PythonServer: Sendable {
    static let client = HTTPClient(configuration: .init(allowInsecure: true))
    let port: Int
    private let process: ChildProcess

    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Starts the venv's Python with `arguments(port)` and waits until `/moto-api/data.json` answers 200 (moto's, also
    /// through the gate).
    /// The port, free when chosen, may be taken by another test before the server binds it: then another port.
    static func start(_ name: String, arguments: (Int) throws -> [String]) async throws -> PythonServer {
        for attempt in 1...3 {
            let port = try RecordingHTTPServer.unusedPort()
            let process = try ChildProcess(try S3Interop.python(), try arguments(port), mergeOutput: true)
            let server = PythonServer(port: port, process: process)
            do {
                try await waitFor("\(name) on port \(port)", timeout: 60) {
                    guard process.isRunning else { throw TestFailure("\(name) exited: \(process.stdout.suffix(2000))") }
                    let response = try? await client.send(
                        HTTPClient.Request(url: "\(server.endpoint)/moto-api/data.json", method: .get, timeout: .seconds(2)))
                    return response?.status == 200
                }
                return server
            } catch  where attempt < 3 && !process.isRunning && process.stdout.contains("Address already in use") {
                continue
            }
        }
        throw TestFailure("\(name) could not start")
    }

    private init(port: Int, process: ChildProcess) {
        self.port = port
        self.process = process
    }

    deinit { stop() }

    func stop() {
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
