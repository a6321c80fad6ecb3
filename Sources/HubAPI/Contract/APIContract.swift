import HubCore

/// The API contract: every route under `/api/v1` with what it takes and answers. Its schemas are
/// the wire types' own (`DocumentedSchema`, declared beside each type); `APIContractTests`
/// holds both to the router and to the types, and schemathesis holds the running hub to it.
public enum APIContract {
    public static let title = "Stream & Upload Hub API"
    public static let version = "1.0.0"

    /// The reference's sections, in its order.
    public enum Tag: String, Sendable, CaseIterable {
        case session = "Session", tokens = "Tokens", users = "Users", videos = "Videos", streaming = "Streaming", captions = "Captions"
        case uploads = "Uploads", notes = "Notes", peers = "Peers", admin = "Administration", contract = "Contract"

        public var summary: String {
            switch self {
            case .session: "Signing up, in and out, and the signed-in account."
            case .tokens: "API tokens for scripts and the command line: `Authorization: Bearer TOKEN`."
            case .users: "Accounts, invitations and open sign-up (admins)."
            case .videos: "The library: listing, searching, changing and deleting videos, one-request uploads, and pins."
            case .streaming: "Video bytes with HTTP ranges and validators, renditions, the adaptive ladder's playlists, thumbnails and seek previews."
            case .captions: "WebVTT or SRT captions per language."
            case .uploads: "Resumable uploads: tus 1.0.0 with creation, creation-with-upload, termination, checksum (sha256) and expiration."
            case .notes: "The community notepad: versioned markdown notes whose concurrent edits merge."
            case .peers: "The peer network and its sync log."
            case .admin: "What the store holds and costs."
            case .contract: "This document."
            }
        }
    }

    /// Every schema under `#/components/schemas`.
    public static var components: [any DocumentedSchema.Type] {
        [
        APIErrorBody.self, UserResource.self, UserListResource.self, Credentials.self, SignUpRequest.self, PasswordChange.self,
        NewTokenRequest.self, TokenResource.self, TokenListResource.self, UserChanges.self, NewInvitationRequest.self,
        InvitationResource.self, SignupSetting.self, VideoResource.self, CaptionResource.self, CaptionMatchResource.self,
        RenditionResource.self, OriginResource.self, VideoListResource.self, VideoPinResource.self, VideoChanges.self,
        NoteResource.self, NoteSummaryResource.self, NoteListResource.self, NoteVersionResource.self, NoteVersionListResource.self,
        NoteDiffResource.Line.self, NoteDiffResource.self, RenderedMarkdown.self, NoteRequest.self, ShareRequest.self,
        PreviewRequest.self, NoteAnalyticsReport.self, PeersResource.self, AddPeerRequest.self, SyncLogResource.self,
        PeerStatus.self, SyncMetricsSnapshot.self, SyncLogEntry.self, StorageReport.self,
        ]
    }

    public static var operations: [APIOperation] {
        session + tokens + users + videos + streaming + captions + uploads + notes + peers + admin + contract
    }
}

// MARK: - Parameters

extension JSONSchema {
    /// A byte count or offset in a header: at most 18 digits, which any 64-bit integer holds.
    static let headerInteger = JSONSchema.integer(minimum: 0, maximum: 999_999_999_999_999_999)
    /// tus's checksum extension, with the one algorithm the hub speaks: a SHA-256 digest is 32
    /// bytes, 44 characters of base64.
    static let checksum = JSONSchema.string(pattern: "^sha256 [A-Za-z0-9+/]{43}=$")
    /// tus's metadata: comma-separated pairs of a key (printable ASCII but a comma) and an
    /// optional base64 value, at most 16 KiB.
    static let uploadMetadata: JSONSchema = {
        let base64 = "(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?"
        let pair = "[ \\t]*[!-+\\--~]+(?: +\(base64))?[ \\t]*"
        // Empty pairs (",,") are skipped; a pair of only spaces is not a pair.
        return .string(maxLength: 16 * 1024, pattern: "^(?:\(pair))?(?:,(?:\(pair))?)*$").example("filename Y2xpcC5tcDQ=,title SG9saWRheQ==")
    }()
}

extension APIOperation.Parameter {
    static func id(of thing: String) -> Self { Self("id", in: .path, "The \(thing)'s id.", .uuid()) }
    static let uploadID = Self("id", in: .path, "The upload's id (from `Location`).", .string(pattern: "^[0-9a-f]{32}$").example("5f0c3e1a9b7d4c2e8f6a1b3d5c7e9f01"))
    static func limit(default value: Int, max: Int) -> Self {
        Self("limit", in: .query, "How many to answer (default \(value)).", .integer(minimum: 1, maximum: Int64(max)))
    }
    static let offset = Self("offset", in: .query, "How many to skip.", .integer(minimum: 0, maximum: Int64(Int32.max)))
    static let search = Self(
        "q", in: .query, "Words to search for, each also as a prefix: at most 16 words and 512 bytes.", .string(maxLength: 512))
    static let version = Self("version", in: .path, "A version number.", .integer(minimum: 1, maximum: Int64(Int32.max)))
    static let language = Self(
        "language", in: .path, "A BCP 47 language tag: `en`, `pt-BR`.",
        .string(maxLength: 35, pattern: "^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$").example("en"))
    static let tusResumable = Self("Tus-Resumable", in: .header, "The tus version: `1.0.0`; 412 otherwise.", .oneOf(["1.0.0"]), required: true)
    static let range = Self(
        "Range", in: .header, "`bytes=FIRST-LAST`, `bytes=FIRST-` or `bytes=-SUFFIX`, up to 16 ranges (a multipart/byteranges answer).",
        .string())
    static let ifNoneMatch = Self("If-None-Match", in: .header, "An ETag: 304 when it still matches.", .string())
    static let ifRange = Self("If-Range", in: .header, "An ETag or a date: the range only if the bytes have not changed.", .string())
    static let ifMatch = Self("If-Match", in: .header, "An ETag: 412 when the bytes changed.", .string())
}

// MARK: - Responses

extension APIOperation.Response {
    static func ok<Type: DocumentedSchema>(_ type: Type.Type, _ description: String = "OK.") -> Self { Self(200, description, .json(.ref(type))) }
    static func created<Type: DocumentedSchema>(_ type: Type.Type, _ description: String) -> Self {
        Self(201, description, .json(.ref(type)), headers: [.init("Location", "Where the new resource is.")])
    }
    static func noContent(_ description: String, headers: [APIOperation.Header] = []) -> Self { Self(204, description, headers: headers) }

    /// The answers of a byte route: the whole, a range or several, not modified, or a range
    /// outside the bytes.
    static func bytes(_ mediaType: String, _ what: String, redirects: Bool = false) -> [Self] {
        let validators: [APIOperation.Header] = [
            .init("ETag", "Changes when the bytes do."), .init("Last-Modified", "When the bytes were stored."),
            .init("Accept-Ranges", "`bytes`."),
        ]
        var answers: [Self] = [
            Self(200, "The whole of \(what).", .bytes(mediaType: mediaType), headers: validators),
            Self(
                206, "The range asked for (or a multipart/byteranges body for several).", .bytes(mediaType: mediaType),
                headers: validators + [.init("Content-Range", "`bytes FIRST-LAST/SIZE` for one range.")]),
            Self(304, "`If-None-Match` or `If-Modified-Since` still matches.", headers: validators),
        ]
        if redirects {
            answers.append(Self(302, "With `STREAM_REDIRECT` on S3: a presigned URL of the bytes.", headers: [.init("Location", "The presigned URL.")]))
        }
        return answers
    }
}

// MARK: - The operations

extension APIContract {
    static let byteErrors = [
        404: "No such video visible to you, or it has no such part.", 412: "`If-Match` or `If-Unmodified-Since` no longer matches.",
        416: "The range is outside the bytes.", 503: "A peer's video, and no peer holding it answered.",
    ]

    static let session: [APIOperation] = [
        APIOperation(
            .post, "/session", id: "signIn", tag: .session, access: .anyone, "Signs in: sets the session cookie and answers the account.",
            body: .json(.ref(Credentials.self)),
            responses: [.init(200, "Signed in.", .json(.ref(UserResource.self)), headers: [.init("Set-Cookie", "The session.")])],
            errors: [401: "Wrong name or password (`invalid_credentials`).", 429: "Too many failed sign-ins; wait (`Retry-After`)."]),
        APIOperation(
            .post, "/signup", id: "signUp", tag: .session, access: .anyone,
            "Makes an account and signs it in: the first account (the admin), open sign-up, or an invitation's code.",
            body: .json(.ref(SignUpRequest.self)),
            responses: [.init(201, "The account, signed in.", .json(.ref(UserResource.self)), headers: [.init("Set-Cookie", "The session.")])],
            errors: [403: "Sign-up is closed and there is no valid invitation.", 409: "The name is taken."]),
        APIOperation(
            .delete, "/session", id: "signOut", tag: .session, "Signs out: ends every session of the account (API tokens stay).",
            responses: [.noContent("Signed out.")]),
        APIOperation(.get, "/me", id: "me", tag: .session, "The signed-in account.", responses: [.ok(UserResource.self)]),
        APIOperation(
            .post, "/me/password", id: "changePassword", tag: .session, "Changes the password; every other session ends.",
            body: .json(.ref(PasswordChange.self)), responses: [.noContent("Changed.")],
            errors: [403: "The current password is wrong.", 429: "Too many wrong passwords; wait (`Retry-After`)."]),
    ]

    static let tokens: [APIOperation] = [
        APIOperation(.get, "/tokens", id: "listTokens", tag: .tokens, "Your API tokens (never their secrets).", responses: [.ok(TokenListResource.self)]),
        APIOperation(
            .post, "/tokens", id: "createToken", tag: .tokens, "Makes an API token; its secret is in this answer only.",
            body: .json(.ref(NewTokenRequest.self)), responses: [.created(TokenResource.self, "The token, with its secret.")]),
        APIOperation(
            .delete, "/tokens/{id}", id: "revokeToken", tag: .tokens, "Revokes a token (yours; an admin, anyone's).",
            parameters: [.init("id", in: .path, "The token's id.", .string(maxLength: 64))], responses: [.noContent("Revoked.")],
            errors: [404: "No such token of yours."]),
    ]

    static let users: [APIOperation] = [
        APIOperation(.get, "/users", id: "listUsers", tag: .users, access: .admin, "Every account.", responses: [.ok(UserListResource.self)]),
        APIOperation(
            .patch, "/users/{id}", id: "updateUser", tag: .users, access: .admin, "Disables or enables an account.",
            parameters: [.id(of: "account")], body: .json(.ref(UserChanges.self)), responses: [.ok(UserResource.self)],
            errors: [404: "No such account.", 409: "The change would leave the hub without an enabled admin."]),
        APIOperation(
            .delete, "/users/{id}", id: "deleteUser", tag: .users, access: .admin,
            "Deletes an account; its videos and notes stay, without an owner.", parameters: [.id(of: "account")],
            responses: [.noContent("Deleted.")], errors: [404: "No such account.", 409: "The hub's last admin."]),
        APIOperation(
            .post, "/invitations", id: "invite", tag: .users, access: .admin, "A one-time sign-up link, shown once.",
            body: .json(.ref(NewInvitationRequest.self)), responses: [.created(InvitationResource.self, "The invitation.")]),
        APIOperation(
            .get, "/settings/signup", id: "signupSetting", tag: .users, access: .admin, "Whether anyone may sign up.",
            responses: [.ok(SignupSetting.self)]),
        APIOperation(
            .put, "/settings/signup", id: "setSignup", tag: .users, access: .admin, "Opens or closes sign-up.",
            body: .json(.ref(SignupSetting.self)), responses: [.ok(SignupSetting.self)]),
    ]

    static let videos: [APIOperation] = [
        APIOperation(
            .get, "/videos", id: "listVideos", tag: .videos,
            "The videos you may see, newest first, with peers' shared videos; `q` searches titles, descriptions, tags and captions.",
            parameters: [.search, .limit(default: 24, max: 100), .offset], responses: [.ok(VideoListResource.self)]),
        APIOperation(
            .post, "/videos", id: "uploadVideo", tag: .videos,
            "Uploads a video in one request (multipart/form-data: `file`, and optionally `title`, `description`). It is stored, then processed.",
            body: .bytes(
                mediaType: "multipart/form-data",
                schema: .object(
                    open: true,
                    ["file": .binary, "title": JSONSchema.string().optional, "description": JSONSchema.string().optional])),
            responses: [.created(VideoResource.self, "The video, `processing` until it is `ready`.")],
            errors: [415: "Not multipart/form-data.", 507: "The server's disk is full."]),
        APIOperation(
            .get, "/videos/{id}", id: "getVideo", tag: .videos, "One video, with the processing still to come on it.",
            parameters: [.id(of: "video")], responses: [.ok(VideoResource.self)], errors: [404: "No such video visible to you."]),
        APIOperation(
            .patch, "/videos/{id}", id: "updateVideo", tag: .videos, "Changes a video's title, description, tags or sharing (its owner or an admin).",
            parameters: [.id(of: "video")], body: .json(.ref(VideoChanges.self)), responses: [.ok(VideoResource.self)],
            errors: [403: "Not yours.", 404: "No such video visible to you."]),
        APIOperation(
            .delete, "/videos/{id}", id: "deleteVideo", tag: .videos, "Deletes a video and everything made from it (its owner or an admin).",
            parameters: [.id(of: "video")], responses: [.noContent("Deleted.")], errors: [403: "Not yours.", 404: "No such video visible to you."]),
        APIOperation(
            .post, "/videos/{id}/retry", id: "retryVideo", tag: .videos, "Runs a failed video's processing again (its owner or an admin).",
            parameters: [.id(of: "video")], responses: [.ok(VideoResource.self, "The video, processing again.")],
            errors: [403: "Not yours.", 404: "No such video visible to you.", 409: "It has not failed (`not_failed`)."]),
        APIOperation(
            .post, "/videos/{id}/pin", id: "pinVideo", tag: .videos, "Keeps a whole copy of a peer's video here (admins).",
            parameters: [.id(of: "video")], responses: [.ok(VideoPinResource.self)],
            errors: [403: "Only admins pin.", 404: "No such video visible to you.", 409: "This hub's own video (`not_a_peer_video`)."]),
        APIOperation(
            .delete, "/videos/{id}/pin", id: "unpinVideo", tag: .videos, "Lets the replica placement decide again (admins).",
            parameters: [.id(of: "video")], responses: [.ok(VideoPinResource.self)],
            errors: [403: "Only admins pin.", 404: "No such video visible to you.", 409: "This hub's own video (`not_a_peer_video`)."]),
    ]

    static let streaming: [APIOperation] = {
        let byteHeaders: [APIOperation.Parameter] = [.range, .ifRange, .ifNoneMatch, .ifMatch]
        let rendition = APIOperation.Parameter("name", in: .path, "`playable`, or a ladder rung such as `720p`.", .string(maxLength: 64))
        let playlist = APIOperation.Parameter("playlist", in: .path, "`master.m3u8`, or a rung's `720p.m3u8`.", .string(maxLength: 64))
        let sheet = APIOperation.Parameter("sheet", in: .path, "A sheet's file name from the previews track: `sheet-0.jpg`…", .string(maxLength: 64))
        var operations: [APIOperation] = []
        for method in [APIOperation.Method.get, .head] {
            let verb = method == .get ? "" : " (headers only)"
            let suffix = method == .get ? "" : "Head"
            operations += [
                APIOperation(
                    method, "/videos/{id}/stream", id: "streamVideo" + suffix, tag: .streaming,
                    "The original's bytes\(verb): ranges, validators; a peer's video is fetched from its holders as it is read.",
                    parameters: [.id(of: "video")] + byteHeaders, responses: APIOperation.Response.bytes("*/*", "the original", redirects: true),
                    errors: byteErrors),
                APIOperation(
                    method, "/videos/{id}/thumbnail", id: "videoThumbnail" + suffix, tag: .streaming, "The poster frame, as JPEG\(verb).",
                    parameters: [.id(of: "video")] + byteHeaders, responses: APIOperation.Response.bytes("image/jpeg", "the thumbnail"),
                    errors: byteErrors),
                APIOperation(
                    method, "/videos/{id}/renditions/{name}", id: "videoRendition" + suffix, tag: .streaming,
                    "A rendition's bytes\(verb): the playable copy or a ladder rung (fragmented MP4).",
                    parameters: [.id(of: "video"), rendition] + byteHeaders,
                    responses: APIOperation.Response.bytes("video/mp4", "the rendition", redirects: true), errors: byteErrors),
                APIOperation(
                    method, "/videos/{id}/hls/{playlist}", id: "videoPlaylist" + suffix, tag: .streaming,
                    "The adaptive ladder's HLS master playlist, or a rung's media playlist (byte ranges of its rendition)\(verb).",
                    parameters: [.id(of: "video"), playlist] + byteHeaders,
                    responses: APIOperation.Response.bytes("application/vnd.apple.mpegurl", "the playlist"), errors: byteErrors),
                APIOperation(
                    method, "/videos/{id}/previews/{sheet}", id: "videoPreviewSheet" + suffix, tag: .streaming,
                    "A sheet of seek previews, as JPEG\(verb).", parameters: [.id(of: "video"), sheet] + byteHeaders,
                    responses: APIOperation.Response.bytes("image/jpeg", "the sheet"), errors: byteErrors),
            ]
        }
        operations.append(
            APIOperation(
                .get, "/videos/{id}/previews.vtt", id: "videoPreviewTrack", tag: .streaming,
                "The seek previews' WebVTT thumbnails track: for each interval, a sheet and the tile (`#xywh=`).",
                parameters: [.id(of: "video")], responses: [.init(200, "The track.", .bytes(mediaType: "text/vtt", schema: .string()))],
                errors: [404: "No such video visible to you, or it has no previews."]))
        return operations
    }()

    static let captions: [APIOperation] = [
        APIOperation(
            .put, "/videos/{id}/captions/{language}", id: "attachCaptions", tag: .captions,
            "Attaches or replaces a language's captions (its owner or an admin): the body is a WebVTT or SRT file of at most 2 MiB.",
            parameters: [.id(of: "video"), .language, .init("label", in: .query, "The track's name in the player's menu.", .string(maxLength: 64))],
            body: .bytes(mediaType: "text/vtt", schema: .string()), responses: [.created(CaptionResource.self, "The track.")],
            errors: [
                400: "The file is not WebVTT or SRT (`invalid_captions`, naming the line), or the language is not a tag (`invalid_language`).",
                403: "Not yours.", 404: "No such video visible to you.", 413: "The file is over 2 MiB.",
            ]),
        APIOperation(
            .get, "/videos/{id}/captions/{language}", id: "getCaptions", tag: .captions, "A language's captions, as WebVTT.",
            parameters: [.id(of: "video"), .language], responses: [.init(200, "The track.", .bytes(mediaType: "text/vtt", schema: .string()))],
            errors: [404: "No such video visible to you, or no captions in that language."]),
        APIOperation(
            .delete, "/videos/{id}/captions/{language}", id: "removeCaptions", tag: .captions, "Removes a language's captions (its owner or an admin).",
            parameters: [.id(of: "video"), .language], responses: [.noContent("Removed.")],
            errors: [403: "Not yours.", 404: "No such video visible to you, or no captions in that language."]),
    ]

    static let uploads: [APIOperation] = {
        let tus = APIOperation.Header("Tus-Resumable", "`1.0.0`, on every answer.")
        let offset = APIOperation.Header("Upload-Offset", "How many bytes the hub holds.", .integer(minimum: 0))
        let video = APIOperation.Header("Stream-Hub-Video-Id", "Once the last byte is in: the video it became.", .uuid())
        let tusErrors = [412: "`Tus-Resumable` is missing or not `1.0.0`.", 404: "No such upload of yours, or it expired."]
        let patchHeaders: [APIOperation.Parameter] = [
            .tusResumable,
            .init("Upload-Offset", in: .header, "Where these bytes start: the offset the hub holds.", .headerInteger, required: true),
            .init("Upload-Checksum", in: .header, "`sha256 BASE64`: the chunk is refused (460) when it does not match.", .checksum),
        ]
        let capabilities = APIOperation.Response.noContent(
            "The server's tus capabilities.",
            headers: [
                .init("Tus-Version", "`1.0.0`."), .init("Tus-Extension", "The extensions."),
                .init("Tus-Max-Size", "`MAX_UPLOAD_BYTES`.", .integer(minimum: 0)), .init("Tus-Checksum-Algorithm", "`sha256`."),
            ])
        return [
            APIOperation(
                .options, "/uploads", id: "uploadCapabilities", tag: .uploads, "The tus version, extensions, maximum size and checksum algorithms.",
                responses: [capabilities]),
            APIOperation(
                .options, "/uploads/{id}", id: "uploadCapabilitiesAtUpload", tag: .uploads,
                "The same capabilities, asked at an upload's URL: they are the server's, whatever the id.",
                parameters: [.init("id", in: .path, "Any upload id.", .string())], responses: [capabilities]),
            APIOperation(
                .post, "/uploads", id: "createUpload", tag: .uploads,
                "Starts an upload of `Upload-Length` bytes; a body (`application/offset+octet-stream`) sends the first bytes at once.",
                parameters: [
                    .tusResumable,
                    .init("Upload-Length", in: .header, "The whole file's size in bytes.", .headerInteger, required: true),
                    .init("Upload-Metadata", in: .header, "`key base64,key base64`: `filename`, `title`, `description`, `filetype`.", .uploadMetadata),
                    .init("Upload-Checksum", in: .header, "`sha256 BASE64` of the bytes in this request's body.", .checksum),
                ],
                body: .bytes(mediaType: "application/offset+octet-stream"), bodyRequired: false,
                responses: [.init(201, "Started.", headers: [tus, offset, video, .init("Location", "The upload's URL.")])],
                errors: [
                    412: tusErrors[412]!, 413: "`Upload-Length` is above `MAX_UPLOAD_BYTES`.",
                    415: "All the bytes arrived with the creation and they are not a video container the hub knows.",
                    460: "The first bytes do not match `Upload-Checksum`.", 507: "The server's disk is full.",
                ]),
            APIOperation(
                .head, "/uploads/{id}", id: "uploadOffset", tag: .uploads, "How much of an upload the hub holds: where to resume.",
                parameters: [.uploadID, .tusResumable],
                responses: [
                    .init(
                        200, "The upload's state.",
                        headers: [tus, offset, .init("Upload-Length", "The whole size.", .integer(minimum: 0)), .init("Upload-Metadata", "As sent.")])
                ], errors: tusErrors),
            APIOperation(
                .patch, "/uploads/{id}", id: "uploadBytes", tag: .uploads,
                "Appends bytes at `Upload-Offset`. With the last byte the upload becomes a video (`Stream-Hub-Video-Id`).",
                parameters: [.uploadID] + patchHeaders, body: .bytes(mediaType: "application/offset+octet-stream"),
                responses: [.noContent("Stored.", headers: [tus, offset, video, .init("Upload-Expires", "When an unfinished upload is removed.")])],
                errors: tusErrors.merging([
                    409: "`Upload-Offset` is not the offset the hub holds (`offset_mismatch`).",
                    415: "Not `application/offset+octet-stream`, or the finished file is not a video container the hub knows.",
                    460: "The bytes do not match `Upload-Checksum`.", 507: "The server's disk is full.",
                ]) { first, _ in first }),
            APIOperation(
                .delete, "/uploads/{id}", id: "terminateUpload", tag: .uploads, "Abandons an upload and frees what it stored.",
                parameters: [.uploadID, .tusResumable], responses: [.noContent("Removed.", headers: [tus])], errors: tusErrors),
            APIOperation(
                .post, "/uploads/{id}", id: "uploadMethodOverride", tag: .uploads,
                "PATCH, DELETE or HEAD for clients that can only POST: `X-HTTP-Method-Override` says which.",
                parameters: [.uploadID] + patchHeaders.map { header in
                    var optional = header
                    optional.required = header.name == "Tus-Resumable"
                    return optional
                } + [.init("X-HTTP-Method-Override", in: .header, "`PATCH`, `DELETE` or `HEAD`.", .oneOf(["PATCH", "DELETE", "HEAD"]), required: true)],
                body: .bytes(mediaType: "application/offset+octet-stream"), bodyRequired: false,
                responses: [.noContent("Done, as the method it stands for.", headers: [tus, offset, video])],
                errors: tusErrors.merging([
                    400: "`X-HTTP-Method-Override` is missing.", 405: "`X-HTTP-Method-Override` names another method.", 409: "`Upload-Offset` is not the offset the hub holds.",
                    415: "Not `application/offset+octet-stream`.", 460: "The bytes do not match `Upload-Checksum`.", 507: "The server's disk is full.",
                ]) { first, _ in first }),
        ]
    }()

    static let notes: [APIOperation] = {
        let id = APIOperation.Parameter.id(of: "note")
        let missing = [404: "No such note visible to you."]
        return [
            APIOperation(
                .get, "/notes", id: "listNotes", tag: .notes,
                "The notes you may see, most recently changed first; `q` searches titles and content (matches highlighted).",
                parameters: [
                    .search, .init("tag", in: .query, "Only notes with this tag.", .string()),
                    .init("shared", in: .query, "Only shared (`true`) or private (`false`) notes.", .boolean()),
                    .init("deleted", in: .query, "The trash instead.", .boolean()),
                    .init("mine", in: .query, "Only your own notes.", .boolean()),
                    .init("video", in: .query, "Only the notes about this video.", .uuid()), .offset, .limit(default: 50, max: 200),
                ], responses: [.ok(NoteListResource.self)]),
            APIOperation(
                .post, "/notes", id: "createNote", tag: .notes, "Writes a note.",
                body: .json(.ref(NoteRequest.self)), responses: [.created(NoteResource.self, "The note.")],
                errors: [404: "`videoId` names no video visible to you."]),
            APIOperation(
                .post, "/notes/preview", id: "previewNote", tag: .notes, "Renders markdown as a saved note shows it.",
                body: .json(.ref(PreviewRequest.self)), responses: [.ok(RenderedMarkdown.self)]),
            APIOperation(.get, "/notes/{id}", id: "getNote", tag: .notes, "One note, rendered.", parameters: [id], responses: [.ok(NoteResource.self)], errors: missing),
            APIOperation(
                .patch, "/notes/{id}", id: "updateNote", tag: .notes,
                "Changes a note. With `baseVersion` older than the note's, the change is merged with what changed since (`merged`).",
                parameters: [id], body: .json(.ref(NoteRequest.self)), responses: [.ok(NoteResource.self)],
                errors: missing.merging([
                    403: "You may read it but not change it.",
                    409: "It is in the trash (`note_deleted`), or `baseVersion` is newer than the note (`invalid_base_version`).",
                ]) { first, _ in first }),
            APIOperation(
                .delete, "/notes/{id}", id: "deleteNote", tag: .notes, "Moves a note to the trash for 30 days (its owner or an admin).",
                parameters: [id], responses: [.noContent("In the trash.")], errors: missing.merging([403: "Not yours."]) { first, _ in first }),
            APIOperation(
                .post, "/notes/{id}/restore", id: "restoreNote", tag: .notes, "Takes a note out of the trash (its owner or an admin).",
                parameters: [id], responses: [.ok(NoteResource.self)],
                errors: missing.merging([403: "Not yours.", 409: "It is not in the trash."]) { first, _ in first }),
            APIOperation(
                .post, "/notes/{id}/share", id: "shareNote", tag: .notes,
                "Shares a note with every member and the peers (its owner or an admin); `history: none` shares a fresh copy instead.",
                parameters: [id], body: .json(.ref(ShareRequest.self)), bodyRequired: false,
                responses: [.ok(NoteResource.self, "Shared."), .created(NoteResource.self, "With `history: none`: the new, shared note.")],
                errors: missing.merging([403: "Not yours.", 409: "It is in the trash (`note_deleted`)."]) { first, _ in first }),
            APIOperation(
                .post, "/notes/{id}/unshare", id: "unshareNote", tag: .notes, "Makes a shared note private again (its owner or an admin).",
                parameters: [id], responses: [.ok(NoteResource.self)],
                errors: missing.merging([403: "Not yours, or a peer's note (`not_home_hub`).", 409: "It is in the trash (`note_deleted`)."]) {
                    first, _ in first
                }),
            APIOperation(
                .get, "/notes/{id}/versions", id: "noteVersions", tag: .notes, "A note's history, newest first.", parameters: [id],
                responses: [.ok(NoteVersionListResource.self)], errors: missing),
            APIOperation(
                .get, "/notes/{id}/versions/{version}", id: "noteVersion", tag: .notes, "A note as it was at a version.",
                parameters: [id, .version], responses: [.ok(NoteResource.self)], errors: [404: "No such note visible to you, or no such version."]),
            APIOperation(
                .post, "/notes/{id}/versions/{version}/restore", id: "restoreNoteVersion", tag: .notes,
                "Makes an old version's text the note's newest version.", parameters: [id, .version], responses: [.ok(NoteResource.self)],
                errors: [403: "You may read it but not change it.", 404: "No such note visible to you, or no such version.", 409: "It is in the trash."]),
            APIOperation(
                .get, "/notes/{id}/diff", id: "noteDiff", tag: .notes, "What changed between two versions, line by line.",
                parameters: [
                    id, .init("from", in: .query, "The older version (default 1).", .integer(minimum: 1, maximum: Int64(Int32.max))),
                    .init("to", in: .query, "The newer version (default the latest).", .integer(minimum: 1, maximum: Int64(Int32.max))),
                ], responses: [.ok(NoteDiffResource.self)], errors: [404: "No such note visible to you, or no such version."]),
            APIOperation(
                .get, "/analytics/notes", id: "noteAnalytics", tag: .notes, "The most viewed and edited notes, top tags and searches, by day.",
                parameters: [.init("days", in: .query, "How many days back (default 30).", .integer(minimum: 1, maximum: 366))],
                responses: [.ok(NoteAnalyticsReport.self)]),
        ]
    }()

    static let peers: [APIOperation] = [
        APIOperation(
            .get, "/peers", id: "listPeers", tag: .peers, "This hub, its peers with their failure detector's state, and the sync figures.",
            responses: [.ok(PeersResource.self)]),
        APIOperation(
            .post, "/peers", id: "addPeer", tag: .peers, access: .admin, "Adds a peer by address; kept across restarts.",
            body: .json(.ref(AddPeerRequest.self)), responses: [.init(201, "The peer.", .json(.ref(PeerStatus.self)))],
            errors: [409: "The peer network is off (`p2p_disabled`)."]),
        APIOperation(
            .get, "/sync/log", id: "syncLog", tag: .peers, "The sync log, newest first: changes, exchanges with peers, refusals, conflicts.",
            parameters: [
                .init("limit", in: .query, "How many entries (default 100).", .integer(minimum: 1, maximum: 1_000)),
                .init("before", in: .query, "An entry's id: the entries older than it.", .integer(minimum: 1)),
            ], responses: [.ok(SyncLogResource.self)]),
    ]

    static let admin: [APIOperation] = [
        APIOperation(
            .get, "/admin/storage", id: "storageReport", tag: .admin, access: .admin,
            "What the store holds by tier, owner and video, 30 days of traffic, and a month's cost at the `COST_*` rates.",
            responses: [.ok(StorageReport.self)], errors: [503: "The store could not be listed."]),
    ]

    static let contract: [APIOperation] = [
        APIOperation(
            .get, "/openapi.json", id: "openAPIDocument", tag: .contract, access: .anyone, "This contract, as OpenAPI 3.1.",
            responses: [.init(200, "The document.", .json(.object(open: true, [:])))]),
    ]
}
