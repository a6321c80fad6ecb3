import Foundation
import HubCore
import Testing

@testable import HubDatabase

@Suite struct AccountRepositoryTests {
    let database: HubDatabase
    var accounts: SQLiteAccountRepository { database.accounts }

    init() throws { database = try HubDatabase.inMemory() }

    func user(_ name: String, role: Role = .member) -> User {
        User(name: name, role: role, passwordHash: "$2b$04$hash", createdAt: Date(timeIntervalSince1970: 100))
    }

    @Test func onlyOneFirstAccountAndItAdoptsOwnerlessVideos() async throws {
        let legacy = try VideoRepositoryTests().video("from before accounts", at: 1)
        try await database.videos.insert(legacy)
        let alice = user("alice", role: .admin)
        #expect(try await accounts.insert(alice, asFirstAccount: true))
        #expect(try await !accounts.insert(user("bob", role: .admin), asFirstAccount: true))
        #expect(try await accounts.userCount() == 1)
        #expect(try await database.videos.find(legacy.id)?.ownerID == alice.id)
    }

    @Test func namesAreUnique() async throws {
        #expect(try await accounts.insert(user("alice"), asFirstAccount: false))
        await #expect(throws: AccountError.nameTaken("alice")) { try await accounts.insert(user("alice"), asFirstAccount: false) }
    }

    @Test func deletingAUserRemovesTheirTokensAndOrphansTheirVideos() async throws {
        let alice = user("alice")
        _ = try await accounts.insert(alice, asFirstAccount: false)
        try await accounts.insert(APIToken(id: "t1", userID: alice.id, label: "cli", secretHash: "abc", createdAt: Date()))
        let video = try VideoRepositoryTests().video("hers", at: 1, owner: alice.id)
        try await database.videos.insert(video)
        #expect(try await accounts.token(secretHash: "abc")?.id == "t1")
        #expect(try await accounts.delete(alice.id))
        #expect(try await accounts.token(secretHash: "abc") == nil)
        #expect(try await database.videos.find(video.id)?.ownerID == nil)
        #expect(try await !accounts.delete(alice.id))
    }

    @Test func tokensAreRevokedOnlyByTheirOwnerOrAnAdmin() async throws {
        let alice = user("alice"), bob = user("bob")
        _ = try await accounts.insert(alice, asFirstAccount: false)
        _ = try await accounts.insert(bob, asFirstAccount: false)
        try await accounts.insert(APIToken(id: "t1", userID: alice.id, label: "cli", secretHash: "abc", createdAt: Date()))
        #expect(try await !accounts.deleteToken(id: "t1", of: bob.id))
        #expect(try await accounts.deleteToken(id: "t1", of: alice.id))
    }

    @Test func invitationsAreRedeemedOnceAndNotAfterExpiry() async throws {
        let alice = user("alice")
        _ = try await accounts.insert(alice, asFirstAccount: false)
        try await accounts.insert(Invitation(codeHash: "live", role: .admin, createdBy: alice.id, expiresAt: Date(timeIntervalSince1970: 1_000)))
        try await accounts.insert(Invitation(codeHash: "old", role: .member, createdBy: alice.id, expiresAt: Date(timeIntervalSince1970: 10)))
        #expect(try await accounts.redeemInvitation(codeHash: "old", at: Date(timeIntervalSince1970: 500)) == nil)
        #expect(try await accounts.redeemInvitation(codeHash: "live", at: Date(timeIntervalSince1970: 500))?.role == .admin)
        #expect(try await accounts.redeemInvitation(codeHash: "live", at: Date(timeIntervalSince1970: 500)) == nil)
    }

    @Test func signupIsClosedUntilOpened() async throws {
        #expect(try await !accounts.isSignupOpen())
        try await accounts.setSignupOpen(true)
        #expect(try await accounts.isSignupOpen())
        try await accounts.setSignupOpen(false)
        #expect(try await !accounts.isSignupOpen())
    }

    @Test func listingsHonourVisibility() async throws {
        let alice = UserID(), bob = UserID()
        let repository = database.videos
        try await repository.insert(try VideoRepositoryTests().video("alice private", at: 1, owner: alice))
        try await repository.insert(try VideoRepositoryTests().video("alice shared", at: 2, owner: alice, shared: true))
        try await repository.insert(try VideoRepositoryTests().video("bob private", at: 3, owner: bob))
        func titles(_ visibility: Visibility, _ query: String? = nil) async throws -> [String] {
            try await repository.list(query: query, visibility: visibility, offset: 0, limit: 10).items.map(\.title)
        }
        #expect(try await titles(.ownedOrShared(by: bob)) == ["bob private", "alice shared"])
        #expect(try await titles(.ownedOrShared(by: bob), "alice") == ["alice shared"])
        #expect(try await titles(.everything, "private") == ["bob private", "alice private"])
        #expect(try await repository.list(query: nil, visibility: .ownedOrShared(by: bob), offset: 0, limit: 1).total == 2)
    }
}
