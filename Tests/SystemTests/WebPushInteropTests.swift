import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// Our output checked by independent implementations from PyPI (http_ece, PyJWT, py_vapid), through
/// Interop/push_interop.py run by the Python in `MSGTEST_PYTHON` (scripts/test.sh points it at its venv).
@Suite(.needsProcesses, .processSlot) struct WebPushInteropTests {
    @Test func httpEceDecryptsOurBodies() async throws {
        let receiver = LibCrypto.P256PrivateKey.generate()
        let auth = LibCrypto.randomBytes(16)
        let keys = try PushSubscriptionKeys(p256dh: receiver.publicKey, auth: auth)
        for (message, padding) in [("When I grow up, I want to be a watermelon", 0), ("zoë: Привет 👋", 32), (String(repeating: "z", count: 3993), 0)]
        {
            let body = try WebPushEncryption.encrypt(Array(message.utf8), for: keys, padding: padding)
            struct Output: Decodable { var plaintext: String }
            let input = ["body": Base64URL.encode(body), "ua_private": Base64URL.encode(receiver.rawScalar), "auth": Base64URL.encode(auth)]
            guard let output = try await Self.python("decrypt", input, as: Output.self) else { return }
            #expect(b64url(output.plaintext) == Array(message.utf8))
        }
    }

    @Test func pyJWTVerifiesOurVAPIDToken() async throws {
        let keys = VAPIDKeys.generate()
        let signer = try VAPIDSigner(keys: keys, subject: "mailto:ops@example.com")
        let now = Timestamp.now()
        let token = try signer.token(for: "https://fcm.googleapis.com/fcm/send/abc?x=1", now: now)
        struct Output: Decodable {
            struct Header: Decodable { var typ: String, alg: String }
            var header: Header
            var claims: VAPIDClaims
        }
        let input = ["token": token, "public_key": keys.publicKeyBase64URL, "audience": "https://fcm.googleapis.com"]
        guard let output = try await Self.python("verify-jwt", input, as: Output.self) else { return }
        #expect(output.header.typ == "JWT" && output.header.alg == "ES256")
        #expect(output.claims == VAPIDClaims(aud: "https://fcm.googleapis.com", exp: now.secondsSinceEpoch + 43_200, sub: "mailto:ops@example.com"))
    }

    @Test func pyVapidDerivesOurPublicKey() async throws {
        for _ in 0..<3 {
            let keys = VAPIDKeys.generate()
            struct Output: Decodable {
                var publicKey: String
                enum CodingKeys: String, CodingKey { case publicKey = "public_key" }
            }
            guard let output = try await Self.python("vapid-public", ["private_key": keys.privateKeyBase64URL], as: Output.self) else { return }
            #expect(output.publicKey == keys.publicKeyBase64URL)
        }
    }

    @Test func pyVapidTokensVerifyWithOurCode() async throws {
        let keys = VAPIDKeys.generate()
        struct Output: Decodable { var authorization: String }
        let input = ["private_key": keys.privateKeyBase64URL, "audience": "https://push.example.net", "subject": "mailto:ops@example.com"]
        guard let output = try await Self.python("vapid-sign", input, as: Output.self) else { return }
        // py_vapid writes `vapid t=<jwt>,k=<key>`.
        var parameters: [String: String] = [:]
        for item in output.authorization.dropFirst("vapid ".count).split(separator: ",") {
            let pair = item.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
            if pair.count == 2 { parameters[pair[0]] = pair[1] }
        }
        #expect(output.authorization.hasPrefix("vapid "))
        #expect(parameters["k"] == keys.publicKeyBase64URL)
        let parts = (parameters["t"] ?? "").split(separator: ".").map(String.init)
        try #require(parts.count == 3)
        #expect(keys.privateKey.publicKey.isValidES256Signature(b64url(parts[2]), for: Array("\(parts[0]).\(parts[1])".utf8)))
        let claims = try JSONDecoder().decode(VAPIDClaims.self, from: Data(b64url(parts[1])))
        #expect(claims.aud == "https://push.example.net" && claims.sub == "mailto:ops@example.com")
    }

    /// Runs `push_interop.py command input` (see ``InteropScript``).
    static func python<Output: Decodable>(_ command: String, _ input: [String: String], as _: Output.Type) async throws -> Output? {
        try await InteropScript.run("push_interop.py", command, input, as: Output.self, needs: "http-ece pyjwt cryptography py-vapid")
    }
}
