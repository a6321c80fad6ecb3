import Foundation
import HubCore
import HubTestSupport
import Testing

/// `AccountRepository`, the same on every database.
@Suite struct AccountRepositoryTests {
    static func user(_ name: String, role: Role = .member) -> User {
        User(name: name, role: role, passwordHash: "$2b$04$hash", createdAt: Date(timeIntervalSince1970: 100))
    }

    @Test(arguments: TestDatabase.allCases)
    func onlyOneFirstAccountAndItAdoptsOwnerlessVideos(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let accounts = repositories.accounts
            let legacy = VideoRepositoryTests.video("from before accounts", at: 1)
            try await repositories.videos.insert(legacy)
            let alice = Self.user("alice", role: .admin)
            #expect(try await accounts.insert(alice, asFirstAccount: true))
            #expect(try await !accounts.insert(Self.user("bob", role: .admin), asFirstAccount: true))
            #expect(try await accounts.userCount() == 1)
            #expect(try await repositories.videos.find(legacy.id)?.ownerID == alice.id)
            #expect(try await accounts.user(alice.id) == alice)
            #expect(try await accounts.user(named: "alice") == alice)
            #expect(try await accounts.user(named: "Alice") == nil)
        }
    }

    /// Several sign-ups at once, each wanting to be the first account: exactly one is.
    @Test(arguments: TestDatabase.allCases)
    func simultaneousFirstSignUpsMakeOneAdmin(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let accounts = repositories.accounts
            let firsts = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<6 { group.addTask { try await accounts.insert(Self.user("user\(index)", role: .admin), asFirstAccount: true) } }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(firsts == 1)
            #expect(try await accounts.userCount() == 1)
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func namesAreUniqueAndUpdatesAreKept(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let accounts = repositories.accounts
            var alice = Self.user("alice")
            #expect(try await accounts.insert(alice, asFirstAccount: false))
            await #expect(throws: AccountError.nameTaken("alice")) { try await accounts.insert(Self.user("alice"), asFirstAccount: false) }
            alice.role = .admin
            alice.isDisabled = true
            alice.sessionGeneration = 3
            alice.passwordHash = "$2b$04$other"
            try await accounts.update(alice)
            #expect(try await accounts.user(alice.id) == alice)
            _ = try await accounts.insert(Self.user("bob"), asFirstAccount: false)
            #expect(try await accounts.users().map(\.name) == ["alice", "bob"])
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func deletingAUserRemovesTheirTokensAndOrphansTheirVideos(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let accounts = repositories.accounts
            let alice = Self.user("alice")
            _ = try await accounts.insert(alice, asFirstAccount: false)
            let token = APIToken(id: "t1", userID: alice.id, label: "cli", secretHash: "abc", createdAt: Date(timeIntervalSince1970: 5))
            try await accounts.insert(token)
            let video = VideoRepositoryTests.video("hers", at: 1, owner: alice.id)
            try await repositories.videos.insert(video)
            #expect(try await accounts.token(secretHash: "abc") == token)
            try await accounts.touchToken(id: "t1", at: Date(timeIntervalSince1970: 50))
            #expect(try await accounts.tokens(of: alice.id).map(\.lastUsedAt) == [Date(timeIntervalSince1970: 50)])
            #expect(try await accounts.delete(alice.id))
            #expect(try await accounts.token(secretHash: "abc") == nil)
            #expect(try await repositories.videos.find(video.id)?.ownerID == nil)
            #expect(try await !accounts.delete(alice.id))
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func tokensAreRevokedOnlyByTheirOwnerOrAnAdmin(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let accounts = repositories.accounts
            let alice = Self.user("alice"), bob = Self.user("bob")
            _ = try await accounts.insert(alice, asFirstAccount: false)
            _ = try await accounts.insert(bob, asFirstAccount: false)
            try await accounts.insert(APIToken(id: "t1", userID: alice.id, label: "cli", secretHash: "abc", createdAt: Date()))
            try await accounts.insert(APIToken(id: "t2", userID: alice.id, label: "ci", secretHash: "def", createdAt: Date()))
            #expect(try await !accounts.deleteToken(id: "t1", of: bob.id))
            #expect(try await accounts.deleteToken(id: "t1", of: alice.id))
            #expect(try await accounts.deleteToken(id: "t2", of: nil))
            #expect(try await !accounts.deleteToken(id: "t2", of: nil))
            try await accounts.insert(APIToken(id: "t3", userID: bob.id, label: "x", secretHash: "ghi", createdAt: Date()))
            #expect(try await accounts.deleteToken(secretHash: "ghi"))
            #expect(try await accounts.tokens(of: bob.id).isEmpty)
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func invitationsAreRedeemedOnceAndNotAfterExpiry(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let accounts = repositories.accounts
            let alice = Self.user("alice")
            _ = try await accounts.insert(alice, asFirstAccount: false)
            try await accounts.insert(Invitation(codeHash: "live", role: .admin, createdBy: alice.id, expiresAt: Date(timeIntervalSince1970: 1_000)))
            try await accounts.insert(Invitation(codeHash: "old", role: .member, createdBy: alice.id, expiresAt: Date(timeIntervalSince1970: 10)))
            #expect(try await accounts.redeemInvitation(codeHash: "old", at: Date(timeIntervalSince1970: 500)) == nil)
            #expect(try await accounts.redeemInvitation(codeHash: "live", at: Date(timeIntervalSince1970: 500))?.role == .admin)
            #expect(try await accounts.redeemInvitation(codeHash: "live", at: Date(timeIntervalSince1970: 500)) == nil)
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func signupIsClosedUntilOpened(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let accounts = repositories.accounts
            #expect(try await !accounts.isSignupOpen())
            try await accounts.setSignupOpen(true)
            #expect(try await accounts.isSignupOpen())
            try await accounts.setSignupOpen(false)
            #expect(try await !accounts.isSignupOpen())
        }
    }
}
