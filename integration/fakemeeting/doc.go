// Package fakemeeting is an importable, faithful fake of Huawei Cloud
// Meeting's meeting-control service: the two HTTP token endpoints, the
// REST control actions and the meeting-control WebSocket push channel.
// Use it the way net/http/httptest
// is used: start one per test with New, point the client under test at
// URL(), script the meeting, and Close it.
//
//	srv, err := fakemeeting.New(fakemeeting.Config{Clock: fakeClock})
//	defer srv.Close()
//	// client logs in at srv.URL() with srv.ConferenceID()/srv.HostPassword()
//	srv.WaitSubscribed(ctx, 1)
//	pid, _ := srv.Meeting().JoinOne(fakemeeting.Person{Name: "Zhang Min"})
//	srv.Meeting().RaiseHand(pid, true)
//	srv.Faults().DropAll() // the client must reconnect and resync
//	srv.Meeting().End(ctx) // returns once every socket was told
//
// The API comes in three parts, by what a test does with it:
//
//   - Server is the fake itself: its URL and credentials, CertPool,
//     TLSConfig and Client to trust it, Stats (counters, including each
//     meeting's live sockets and their high-water mark) and the waits on
//     them (WaitFor, WaitSubscribed, WaitLive), and Close.
//   - Meeting, from Server.Meeting, is the meeting's script.
//   - Faults, from Server.Faults, are the failures to inject.
//
// # Protocol served
//
//   - GET /v1/mmc/control/conferences/token?conferenceID= with
//     X-Login-Type: 1 and X-Password (host password) logs in and returns a
//     51-char control token (3 lowercase letters + 48 hex) valid
//     ControlTokenTTL, the fake's ws(s) base as data.wsURL, and the other
//     documented fields (data.tmpWsToken is filled in but, like the
//     vendor's documented flow, is not accepted for dialing). With a live X-Conference-Authorization (raw token
//     or "Basic " + base64(token)) the call is a keep-alive: same token,
//     expireTime extended, password not checked. An expired token plus a
//     correct password is a fresh login; without a password it is 400
//     MMC.111070004.
//   - GET (or PUT, as the vendor's raw-request sample shows it)
//     /v1/mmc/control/conferences/wsToken?conferenceID= with
//     X-Conference-Authorization returns {"webSocketToken": …}: fresh,
//     valid WSTokenTTL, single use. Config.WSTokenMethods can refuse one
//     of the two methods with 405. Missing header: 401 MMC.111070111;
//     bad or expired: 401 MMC.111070004; ended meeting: 400 MMC.111072006.
//   - WebSocket /cms/open/websocket/confctl/increment/conn?confID=&tmpToken=.
//     A token is consumed by the first upgrade attempt that presents it;
//     unknown, reused (counted in Stats.TokenReuse), expired tokens and a
//     wrong confID are refused per Config.RejectMode.
//
// Errors are HTTP 400 (or 401 where the vendor lists it) with body
// {"error_code":"MMC.…","error_msg":"…"}; wrong ID or password is
// MMC.111072065 CONF_NOT_FOUND_OR_AUTH_FAILED, not started MMC.111072005,
// ended MMC.111072006. The error_msg strings are the fake's own. Every
// response carries an X-Request-Id header.
//
// On the socket: Subscribe's data may be a JSON string (as the vendor
// samples send it) or an object; confToken may be raw or Basic-encoded.
// The reply echoes the request's sequence. A bad confToken gets returnCode
// 111070004 and the socket is closed. A successful Subscribe is followed by
// a full snapshot (msgMode 0, version = createTime = now in ms on the
// injected clock) of each subscribed type in NotifyTypes order;
// RealTimeSubtitleNotify (last caption) and InterpreterGroupNotify are sent
// only when there is something. Then deltas (msgMode 1) carry a
// per-meeting, per-type version counter starting at 1 and shared by every
// socket of the meeting. ConfBasicInfoNotify, ConfDynamicInfoNotify and
// SpeakerChangeNotify are pushed as full state (msgMode 0, ms version)
// each time they change; SpeakerChangeNotify has no data key when nobody
// speaks. A second Subscribe on one socket replaces the type set and
// yields fresh snapshots.
//
// HeartBeat is echoed with the same sequence. A socket that sends no
// HeartBeat for IdleTimeout (on the injected clock, so tests advance
// time) is closed with a close frame. ConfControl REALTIMESUBTITLE
// (isSubtitle 1 or absent = on, 0 = off) is recorded in
// Meeting.View().CaptionRequests and toggles realTimeSubtitle in
// ConfDynamicInfoNotify; no reply frame is sent, since none is documented.
// Unknown actions, malformed JSON and binary client frames are ignored.
//
// Each open socket arms one timer on Config.Clock (its idle window), so a
// test using a fake clock can wait for n sockets with BlockUntil(ctx, n)
// before advancing time.
//
// Close codes are not documented by the vendor; the fake uses 1000 for
// meeting end and idle timeout and 1008 for authentication failures.
//
// # Control actions
//
// Under PathControl the fake serves the meeting-control REST actions of
// the REST reference (§1): ShowRealTimeInfoOfMeeting (GET realTimeInfo),
// InviteParticipant (POST participants), HangUp (POST
// participants/delete), and PUT SetRole, MuteParticipant, MuteMeeting,
// Hand, BatchHand, LockMeeting, ProlongMeeting, StopMeeting, Record,
// RenameParticipant, SetCohost, AllowWaitingParticipant,
// MoveToWaitingRoom and BatchMoveToWaitingRoom, each with the vendor's
// method, path, query and body shape. A wrong method is 405, an unknown
// path 404, a missing or mistyped key or an undocumented one 400
// MMC.111070001, a switch other than 0/1 400 MMC.111072045, an empty body
// 400 MMC.111072057, an unknown pid 400 MMC.111072008, all in the vendor's
// error body. X-Conference-Authorization must be a live control token the
// fake issued (raw or Basic): missing is 400 MMC.111070111, unknown or
// expired 401 MMC.111070004; an ended meeting answers 400 MMC.111072006.
// A success is 200 {"returnCode":0,"returnDesc":"SUCCESS"} (realTimeInfo:
// its object), and the change is applied to the meeting and pushed as the
// real service would: a mute or a hand as a ParticipantsNotify delta,
// lock, record, all-mute and extensions as ConfDynamicInfoNotify, an
// admission as WaitingListNotify WAITINGSTATE "1", a ParticipantsNotify
// join and the waiting entry's removal, and so on (control_apply.go and
// control_people.go say which). A "set" that changes nothing pushes
// nothing; batch actions are all-or-nothing.
//
// Server.Control returns the kit for tests: Requests (every request with
// its answer, the token not kept), Refuse and Delay per action, SetCaller
// (host, co-host, guest: REST reference §3's role table) and SetDenyStatus
// (400 or 403 for refusals by role).
//
// # Scripting
//
// Meeting's methods (Join, Leave, Rename, RaiseHand, Mute, Share, SetRole,
// Update, Speakers, Lock, Record, SetMode, WaitingRoom, Pause,
// SetCallInRestriction, InviteResult, WaitingRoomJoin,
// WaitingRoomAdmit, WaitingRoomRemove, AddAttendee, NetCondition, Caption,
// Start, End, Flood) change the fake's own view of the meeting
// (Meeting.View) and push the matching frames to every subscribed socket,
// in call order.
//
// End returns once every socket open at the call has been sent the
// Destroyed ConfDynamicInfoNotify and a close frame (1000) and has
// closed, so Close after End drops nobody mid-ending; if End's ctx ends
// first, Close still gives those sockets a moment to finish. Close
// otherwise drops sockets without a close frame, as a crashed server
// would.
//
// # Faults
//
// Faults' methods (RefuseLogin, RefuseWSToken, RefuseUpgrades,
// SubscribeReturnCode, DropAll, Stall, SkipVersion, DuplicateNext,
// ReorderNext, SendMalformed, SendOversize, SendBinary, SetDelay) inject
// the failures a client must survive. Stats counts what happened; WaitFor,
// WaitSubscribed and WaitLive let a test wait for it.
//
// # Performance
//
// Each socket costs a reader and a writer goroutine, a 1 KiB read buffer,
// a pooled write buffer and a bounded queue (Config.SendQueue). A frame is
// encoded once and shared by every recipient. Meeting.Flood pushes
// frames as fast as the sockets take them, for benchmarks.
//
// The fake encodes frames with its own types and does not import the
// client's events package, so that a misreading of the protocol shared by
// both sides' encoders cannot hide.
package fakemeeting
