import ArgumentParser
import Foundation
import HubAccounts
import HubCore
import HubWeb

/// `streamhub user …`: accounts, managed on the server's own database (run where the hub's
/// data directory is). The first account made on a hub is its admin.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage the hub's accounts.",
        subcommands: [Add.self, List.self, Password.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an account; the password is read from standard input.",
            discussion: "The first account of a hub is always an admin. Example: echo \"$PASSWORD\" | streamhub user add alice --admin")

        @Argument(help: "The account's name (letters, digits, '.', '_', '-').") var name: String
        @Flag(help: "Make the account an admin.") var admin = false
        @OptionGroup var options: HubOptions

        func run() async throws {
            try await options.withServices { hub in
                let accounts = hub.accounts
                let password = try PasswordInput.read(confirm: true)
                let user = try await Failure.report { try await accounts.createUser(name: name, password: password, role: admin ? .admin : .member) }
                print("created \(user.role.rawValue) '\(user.name)'")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the accounts.")
        @OptionGroup var options: HubOptions

        func run() async throws {
            try await options.withServices { hub in
                let accounts = hub.accounts
                for user in try await accounts.users() {
                    print([user.name, user.role.rawValue, user.isDisabled ? "disabled" : "active"].joined(separator: "\t"))
                }
            }
        }
    }

    struct Password: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set an account's password (read from standard input) and end its sessions.")
        @Argument(help: "The account's name.") var name: String
        @OptionGroup var options: HubOptions

        func run() async throws {
            try await options.withServices { hub in
                let accounts = hub.accounts
                guard let user = try await accounts.user(named: name) else { throw Failure.report("no account is named '\(name)'") }
                let password = try PasswordInput.read(confirm: true)
                try await Failure.report { try await accounts.resetPassword(of: user, to: password) }
                print("password of '\(user.name)' changed; its sessions have ended")
            }
        }
    }
}

/// Reads a password: from a terminal with echo off (asked twice), otherwise the first line of
/// standard input, so scripts can pipe it in without it showing in the process list.
enum PasswordInput {
    static func read(confirm: Bool) throws -> String {
        guard isatty(STDIN_FILENO) == 1 else {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw Failure.report("no password on standard input")
            }
            return line
        }
        let first = try prompt("Password: ")
        if confirm, try prompt("Again: ") != first { throw Failure.report("the passwords differ") }
        return first
    }

    private static func prompt(_ text: String) throws -> String {
        FileHandle.standardError.write(Data(text.utf8))
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        return readLine(strippingNewline: true) ?? ""
    }
}

/// A command's failure: one line on standard error and exit status 1, never a stack trace.
enum Failure {
    static func report(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("streamhub: \(message)\n".utf8))
        return ExitCode.failure
    }

    /// Runs `body`, turning a domain error (a taken name, a short password…) into one line.
    static func report<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as any DomainError {
            throw report(error.message)
        }
    }
}
