import HubAPI
import HubCore
import Hummingbird

/// What the store holds and costs, for admins: `GET /api/v1/admin/storage`.
struct StorageAdminController: Sendable {
    /// `HubServices.storageReport`: a walk over the whole store, so admins only.
    let report: @Sendable () async throws -> StorageReport

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get("admin/storage", use: storage)
    }

    @Sendable func storage(_ request: Request, context: SignedInContext) async throws -> StorageReport {
        try UserAdminController.requireAdmin(context)
        return try await report()
    }
}
