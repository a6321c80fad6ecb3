import Foundation
import HubCore
import HubMedia
import Testing

@Suite struct ScratchSpaceTests {
    static func space(budget: Int64) -> ScratchSpace {
        ScratchSpace(directory: NSTemporaryDirectory() + "scratch-" + UUID().uuidString, budget: budget)
    }

    @Test func jobsWaitForRoomInArrivalOrderAndAJobLargerThanTheBudgetRunsAlone() async throws {
        let space = Self.space(budget: 100)
        let first = try await space.reserve(60, for: "first")
        #expect(FileManager.default.fileExists(atPath: first.directory))
        try Data("x".utf8).write(to: URL(fileURLWithPath: first.path("source")))
        let order = Order()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let large = try await space.reserve(500, for: "large")  // more than the whole budget
                await order.append("large")
                try await Task.sleep(for: .milliseconds(50))
                await space.release(large)
            }
            try await Task.sleep(for: .milliseconds(50))
            group.addTask {
                let small = try await space.reserve(10, for: "small")  // would fit, but comes after the large one
                await order.append("small")
                await space.release(small)
            }
            try await Task.sleep(for: .milliseconds(50))
            #expect(await order.names.isEmpty, "nothing runs beside a job holding 60 of 100 that it does not fit with")
            await space.release(first)
            try await group.waitForAll()
        }
        #expect(await order.names == ["large", "small"])
        #expect(!FileManager.default.fileExists(atPath: first.directory), "a job's directory goes with its reservation")
    }

    @Test func aWaitingJobIsCancelledWithoutTakingRoom() async throws {
        let space = Self.space(budget: 100)
        let held = try await space.reserve(100, for: "held")
        let waiter = Task { try await space.reserve(50, for: "waiter") }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        await space.release(held)
        let next = try await space.reserve(100, for: "next")
        await space.release(next)
    }

    @Test func leftoversOfAKilledJobAreRemovedAtStart() async throws {
        let space = Self.space(budget: 100)
        let abandoned = try await space.reserve(10, for: "abandoned")
        try Data("x".utf8).write(to: URL(fileURLWithPath: abandoned.path("source")))
        await space.removeLeftovers(everything: false)
        #expect(FileManager.default.fileExists(atPath: abandoned.directory), "recently written: another instance's running job")
        await space.removeLeftovers(everything: true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: space.directory).isEmpty)
    }
}

private actor Order {
    var names: [String] = []
    func append(_ name: String) { names.append(name) }
}
