import Testing

@testable import MsgLib

@Suite struct BearerTokenTests {
    @Test(arguments: [
        ("Bearer abc.def.ghi", "abc.def.ghi"),
        ("bearer abc", "abc"),
        ("BEARER   abc", "abc"),
        ("Bearer abc \t", "abc"),
        ("Bearer \tabc", "abc"),
    ])
    func theTokenIsTakenWithoutTheSpaceAroundIt(header: String, token: String) {
        #expect(BearerToken.parse(header) == token)
    }

    @Test(arguments: [nil, "", "Bearer", "Bearer ", "Bearer \t ", "Basic abc", "Bearerabc", "Token abc"] as [String?])
    func anythingElseIsNoBearerToken(header: String?) {
        #expect(BearerToken.parse(header) == nil)
    }
}
