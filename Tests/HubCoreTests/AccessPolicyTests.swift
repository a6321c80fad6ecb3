import Foundation
import HubCore
import Testing

@Suite struct AccessPolicyTests {
    struct Item: OwnedItem {
        var ownerID: UserID?
        var isShared: Bool
    }

    let owner = User(name: "owner", role: .member, passwordHash: "", createdAt: Date())
    let other = User(name: "other", role: .member, passwordHash: "", createdAt: Date())
    let admin = User(name: "admin", role: .admin, passwordHash: "", createdAt: Date())

    @Test func privateSharedAndOrphanedItems() {
        let mine = Item(ownerID: owner.id, isShared: false)
        let shared = Item(ownerID: owner.id, isShared: true)
        let orphan = Item(ownerID: nil, isShared: false)
        let table: [(User, Item, view: Bool, modify: Bool)] = [
            (owner, mine, true, true), (other, mine, false, false), (admin, mine, true, true),
            (owner, shared, true, true), (other, shared, true, false), (admin, shared, true, true),
            (owner, orphan, false, false), (admin, orphan, true, true),
        ]
        for (user, item, view, modify) in table {
            #expect(AccessPolicy.allows(user, to: .view, item) == view, "\(user.name) view")
            #expect(AccessPolicy.allows(user, to: .modify, item) == modify, "\(user.name) modify")
        }
    }

    @Test func refusalsHideWhatCannotBeSeen() {
        let mine = Item(ownerID: owner.id, isShared: false)
        let shared = Item(ownerID: owner.id, isShared: true)
        #expect(throws: AccessError.notFound("it")) { try AccessPolicy.check(other, may: .view, mine, describedAs: "it") }
        #expect(throws: AccessError.notFound("it")) { try AccessPolicy.check(other, may: .modify, mine, describedAs: "it") }
        #expect { try AccessPolicy.check(other, may: .modify, shared, describedAs: "it") } throws: { ($0 as? AccessError) == .forbidden("only the owner or an admin can change it") }
        #expect(AccessPolicy.visibility(for: admin) == .everything)
        #expect(AccessPolicy.visibility(for: other) == .ownedOrShared(by: other.id))
    }

    @Test func namesAndPasswords() throws {
        #expect(try AccountRules.canonicalName("  Alice.B_1-x ") == "alice.b_1-x")
        for bad in ["", ".hidden", "a b", "ünïcode", String(repeating: "a", count: 33), "a/b", "<x>"] {
            #expect(throws: InvalidInput.self, "\(bad)") { try AccountRules.canonicalName(bad) }
        }
        #expect(throws: InvalidInput.self) { try AccountRules.checkPassword("1234567") }
        try AccountRules.checkPassword("12345678")
    }
}
