/// What the account rules refuse: sign-up, sign-in, and an admin's changes to accounts.
public enum AccountError: DomainError, Equatable {
    case nameTaken(String)
    case invalidInvitation
    case signupClosed
    /// An admin may not disable or delete their own account (`action` names which).
    case ownAccount(action: String)
    case invalidCredentials
    case wrongPassword
    /// Sign-in is throttled for this account or address for this long.
    case tooManyAttempts(retryAfterSeconds: Int)

    public var code: String {
        switch self {
        case .nameTaken: "name_taken"
        case .invalidInvitation: "invalid_invitation"
        case .signupClosed: "signup_closed"
        case .ownAccount: "own_account"
        case .invalidCredentials: "invalid_credentials"
        case .wrongPassword: "wrong_password"
        case .tooManyAttempts: "too_many_attempts"
        }
    }

    public var message: String {
        switch self {
        case .nameTaken(let name): "the name '\(name)' is already taken"
        case .invalidInvitation: "this invitation is unknown, used or expired"
        case .signupClosed: "sign-up is closed; ask an admin for an invitation"
        case .ownAccount(let action): "an admin cannot \(action) their own account"
        case .invalidCredentials: "the name or password is wrong, or the account is disabled"
        case .wrongPassword: "the current password is wrong"
        case .tooManyAttempts(let seconds): "too many failed sign-ins; try again in \(seconds) seconds"
        }
    }
}
