import HubCore
import Testing

/// The notes' text CRDT: local edits, and replicas that receive the same operations in different
/// orders (each in causal order) ending with the same text.
@Suite struct TextCRDTTests {
    func scalars(_ text: String) -> [Unicode.Scalar] { Array(text.unicodeScalars) }

    @Test func localEditsLikeSplice() {
        var document = TextCRDT(replica: 1)
        document.insert(scalars("hello world"), at: 0)
        document.delete(at: 5, length: 6)
        document.insert(scalars(", there"), at: 5)
        document.insert(scalars("Oh "), at: 0)
        #expect(document.text == "Oh hello, there")
        #expect(document.count == 15)
        document.delete(at: 0, length: 15)
        #expect(document.text.isEmpty)
        document.insert(scalars("é👍🏽x"), at: 0)
        #expect(document.count == 4, "positions count Unicode scalars")
        document.delete(at: 1, length: 2)
        #expect(document.text == "éx")
    }

    @Test func concurrentInsertsAtOnePlaceKeepBothInTheSameOrderEverywhere() {
        var base = TextCRDT(replica: 1)
        let start = base.insert(scalars("ac"), at: 0)!
        var alice = TextCRDT(replica: 2)
        var bob = TextCRDT(replica: 3)
        alice.apply(start)
        bob.apply(start)
        let fromAlice = alice.insert(scalars("XX"), at: 1)!
        let fromBob = bob.insert(scalars("YY"), at: 1)!
        alice.apply(fromBob)
        bob.apply(fromAlice)
        #expect(alice.text == bob.text)
        #expect(alice.text == "aXXYYc", "ties go by replica id, never interleaved")
        // A repeat changes nothing.
        alice.apply(fromBob)
        alice.apply(start)
        #expect(alice.text == "aXXYYc")
    }

    @Test func concurrentDeleteAndInsertBothHappen() {
        var alice = TextCRDT(replica: 1)
        let start = alice.insert(scalars("the quick fox"), at: 0)!
        var bob = TextCRDT(replica: 2)
        bob.apply(start)
        let deletion = alice.delete(at: 4, length: 6)  // "quick "
        let insertion = bob.insert(scalars("brown "), at: 10)  // before "fox"
        for operation in deletion { bob.apply(operation) }
        alice.apply(insertion!)
        #expect(alice.text == "the brown fox")
        #expect(bob.text == alice.text)
    }

    /// Random histories: three replicas editing at random and exchanging operations at random
    /// moments; at the end everyone has everything, delivered in different orders, and all agree.
    @Test(arguments: 1...20)
    func randomHistoriesConverge(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var replicas = (1...3).map { TextCRDT(replica: ReplicaID($0)) }
        var log: [(origin: Int, operation: TextOperation)] = []
        var delivered = [Int](repeating: 0, count: 3)
        let alphabet = scalars("abcdefgh é👍")
        for _ in 0..<300 {
            let who = Int.random(in: 0..<3, using: &random)
            if Int.random(in: 0..<5, using: &random) == 0 {
                // Catch up on everything sent so far (other replicas' operations, in log order).
                for entry in log[delivered[who]...] where entry.origin != who { replicas[who].apply(entry.operation) }
                delivered[who] = log.count
                continue
            }
            let count = replicas[who].count
            if count > 0 && Bool.random(using: &random) {
                let position = Int.random(in: 0..<count, using: &random)
                let length = Int.random(in: 1...min(4, count - position), using: &random)
                for operation in replicas[who].delete(at: position, length: length) { log.append((who, operation)) }
            } else {
                let text = (0..<Int.random(in: 1...3, using: &random)).map { _ in alphabet.randomElement(using: &random)! }
                if let operation = replicas[who].insert(text, at: Int.random(in: 0...count, using: &random)) { log.append((who, operation)) }
            }
            // Own operations count as delivered only when the replica is fully caught up.
            if delivered[who] == log.count - 1 { delivered[who] = log.count }
        }
        for who in 0..<3 {
            for entry in log[delivered[who]...] where entry.origin != who { replicas[who].apply(entry.operation) }
        }
        #expect(replicas[0].text == replicas[1].text)
        #expect(replicas[1].text == replicas[2].text)
        #expect(replicas[0].count == replicas[0].text.unicodeScalars.count)
    }
}
