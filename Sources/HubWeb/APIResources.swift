import HubAPI
import HubCore
import Hummingbird

// The API's bodies are defined once, in HubAPI, and shared with the command line, the client
// and the tests; here they learn to be Hummingbird responses.
extension VideoResource: ResponseEncodable {}
extension VideoListResource: ResponseEncodable {}
extension CaptionResource: ResponseEncodable {}
extension UserResource: ResponseEncodable {}
extension UserListResource: ResponseEncodable {}
extension StorageReport: ResponseEncodable {}
extension TokenResource: ResponseEncodable {}
extension TokenListResource: ResponseEncodable {}
extension InvitationResource: ResponseEncodable {}
extension SignupSetting: ResponseEncodable {}
extension NoteResource: ResponseEncodable {}
extension NoteListResource: ResponseEncodable {}
extension NoteVersionListResource: ResponseEncodable {}
extension NoteDiffResource: ResponseEncodable {}
extension RenderedMarkdown: ResponseEncodable {}
extension PeersResource: ResponseEncodable {}
extension SyncLogResource: ResponseEncodable {}
extension PeerStatus: ResponseEncodable {}
extension NoteAnalyticsReport: ResponseEncodable {}
