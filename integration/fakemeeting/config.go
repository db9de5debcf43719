package fakemeeting

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/confwatch/confwatch/clock"
)

// Defaults used for the zero fields of a Config.
const (
	DefaultConferenceID    = "986112045"
	DefaultHostPassword    = "604117"
	DefaultGuestPassword   = "283950"
	DefaultTitle           = "Platform team weekly sync"
	DefaultOwner           = "Li Wei"
	DefaultControlTokenTTL = 30 * time.Minute
	DefaultWSTokenTTL      = 60 * time.Second
	DefaultIdleTimeout     = 180 * time.Second
	DefaultMaxFrameSize    = 64 << 10
	DefaultSendQueue       = 256

	// minSendQueue leaves room for a Subscribe reply plus one snapshot of
	// every push type.
	minSendQueue = 16
)

// RejectMode says how the WebSocket endpoint refuses an upgrade whose
// tmpToken or confID is bad. The vendor documents only that "the server
// closes the channel itself"; clients must cope with both.
type RejectMode int

const (
	// RejectStatus answers the upgrade request with HTTP 401 and an error
	// body; no WebSocket is established. The default.
	RejectStatus RejectMode = iota
	// RejectClose completes the upgrade, then sends a close frame (1008,
	// "authentication failed") and closes the connection.
	RejectClose
)

func (m RejectMode) String() string {
	switch m {
	case RejectStatus:
		return "RejectStatus"
	case RejectClose:
		return "RejectClose"
	}
	return fmt.Sprintf("RejectMode(%d)", int(m))
}

// Config configures a Server. The zero value is usable: every zero field
// takes the default named in its comment.
type Config struct {
	// ConferenceID is the meeting ID (conferenceID / confID on the wire).
	// Default "986112045". Digits only.
	ConferenceID string
	// HostPassword is the chair password that logs in on the token
	// endpoint. Default "604117".
	HostPassword string
	// GuestPassword is the general password shown in ConfBasicInfoNotify.
	// It does not log in (the control API is for hosts). Default "283950".
	GuestPassword string

	// Clock drives every time the fake reads or waits on: token expiry,
	// idle timeouts, ADDTIME/createTime/version timestamps. Nil = real time.
	Clock clock.Clock

	// TLS serves HTTPS and WSS with net/http/httptest's certificate (for
	// 127.0.0.1 and ::1), as httptest.NewTLSServer does. Use CertPool,
	// Client or TLSConfig to trust it.
	TLS bool

	// ControlTokenTTL is the life of a control token from login or the last
	// keep-alive. Default 30 min.
	ControlTokenTTL time.Duration
	// WSTokenTTL is the life of a webSocketToken. Default 60 s.
	WSTokenTTL time.Duration
	// IdleTimeout: the server closes a socket that sent no HeartBeat for
	// this long, measured on Clock. Default 180 s.
	IdleTimeout time.Duration

	// RejectMode says how a bad tmpToken or confID is refused on upgrade.
	// Default RejectStatus.
	RejectMode RejectMode

	// WSTokenMethods are the HTTP methods the wsToken endpoint accepts;
	// any other is answered 405. Nil means GET and PUT: the vendor's page
	// documents GET but its raw-request sample shows PUT (protocol §2.2).
	// Each entry must be GET or PUT.
	WSTokenMethods []string

	// NotStarted makes the meeting "Schedule" until Start is called; the
	// token endpoint answers MMC.111072005 meanwhile.
	NotStarted bool

	// Title is the meeting subject. Default "Platform team weekly sync".
	Title string
	// Owner is the scheduler's name. Default "Li Wei".
	Owner string
	// StartTime is the meeting's start time. Zero = Clock's now at New (or
	// at Start for a NotStarted meeting).
	StartTime time.Time
	// Duration is the scheduled length, used for endTime. Default 2 h.
	Duration time.Duration

	// Participants is the initial roster (online participants). Zero PIDs
	// and other fields are generated as for Join.
	Participants []Person
	// Attendees is the scheduled attendee list (AttendeesNotify).
	Attendees []Attendee
	// InterpreterGroups, when non-empty, makes the fake push an
	// InterpreterGroupNotify snapshot to subscribers of that type.
	InterpreterGroups []InterpreterGroup

	// MaxFrameSize is the largest client frame the server reads; a larger
	// one closes the socket (1009). Default 64 KiB.
	MaxFrameSize int64
	// SendQueue is the number of frames queued per socket. A socket whose
	// queue overflows during a script push is dropped (as a real server drops
	// a slow consumer). Default 256, at least 16.
	SendQueue int

	// Logger receives the fake's debug logs. Nil = silent.
	Logger *slog.Logger

	// TokenCanary, when set, is embedded in every token the fake mints (see
	// tokens.go), so that a leak audit can search all output for it.
	TokenCanary string
}

// Validate reports whether c is usable. Zero fields are fine (they take
// defaults); negative durations and sizes, unknown RejectModes, a
// non-numeric ConferenceID and duplicate PIDs in the roster are not.
func (c Config) Validate() error {
	var errs []error
	if c.ConferenceID != "" {
		for _, r := range c.ConferenceID {
			if r < '0' || r > '9' {
				errs = append(errs, fmt.Errorf("fakemeeting: ConferenceID %q: digits only", c.ConferenceID))
				break
			}
		}
	}
	for name, d := range map[string]time.Duration{
		"ControlTokenTTL": c.ControlTokenTTL, "WSTokenTTL": c.WSTokenTTL,
		"IdleTimeout": c.IdleTimeout, "Duration": c.Duration,
	} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("fakemeeting: %s %v is negative", name, d))
		}
	}
	if c.RejectMode != RejectStatus && c.RejectMode != RejectClose {
		errs = append(errs, fmt.Errorf("fakemeeting: unknown %v", c.RejectMode))
	}
	errs = append(errs, validMethods(c.WSTokenMethods)...)
	if c.MaxFrameSize < 0 {
		errs = append(errs, fmt.Errorf("fakemeeting: MaxFrameSize %d is negative", c.MaxFrameSize))
	}
	if c.SendQueue < 0 {
		errs = append(errs, fmt.Errorf("fakemeeting: SendQueue %d is negative", c.SendQueue))
	}
	seen := map[string]bool{}
	for _, p := range c.Participants {
		if p.PID == "" {
			continue
		}
		if seen[p.PID] {
			errs = append(errs, fmt.Errorf("fakemeeting: duplicate participant PID %q", p.PID))
		}
		seen[p.PID] = true
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.ConferenceID == "" {
		c.ConferenceID = DefaultConferenceID
	}
	if c.HostPassword == "" {
		c.HostPassword = DefaultHostPassword
	}
	if c.GuestPassword == "" {
		c.GuestPassword = DefaultGuestPassword
	}
	c.Clock = clock.OrReal(c.Clock)
	if c.ControlTokenTTL == 0 {
		c.ControlTokenTTL = DefaultControlTokenTTL
	}
	if c.WSTokenTTL == 0 {
		c.WSTokenTTL = DefaultWSTokenTTL
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.Title == "" {
		c.Title = DefaultTitle
	}
	if c.Owner == "" {
		c.Owner = DefaultOwner
	}
	if c.Duration == 0 {
		c.Duration = 2 * time.Hour
	}
	if c.MaxFrameSize == 0 {
		c.MaxFrameSize = DefaultMaxFrameSize
	}
	if c.SendQueue == 0 {
		c.SendQueue = DefaultSendQueue
	}
	if c.SendQueue < minSendQueue {
		c.SendQueue = minSendQueue
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.WSTokenMethods == nil {
		c.WSTokenMethods = []string{http.MethodGet, http.MethodPut}
	}
	return c
}

// Role is a participant's role (pinfoMap ROLE).
type Role int

// Roles as sent in pinfoMap ROLE.
const (
	RoleOrdinary Role = 0
	RoleHost     Role = 1
	RoleAudience Role = 2
)

// Person describes a participant (or a waiting-room member) for Join,
// WaitingRoomJoin and Config.Participants. Zero fields are generated.
type Person struct {
	// PID is the participant ID; "" = a generated 32-char ID.
	PID string
	// Name is the display name; "" = "Participant N".
	Name string
	// Role is ordinary (default), host or audience.
	Role Role
	// Muted, Video, Hand, Sharing, Anonymous, Cohost set MUTE, VIDEO, HAND,
	// SHARE, ANONYMOUS and IS_COHOST.
	Muted, Video, Hand, Sharing, Anonymous, Cohost bool
	// Tel is the SIP number (TEL); "" = generated "+99111283746xxxxxx".
	Tel string
	// Account, AccountID and OrgID set ACCOUNT, ACCOUNT_ID and ORG_ID;
	// empty = generated (OrgID "61037").
	Account, AccountID, OrgID string
	// LoginType is CLIENT_LOGIN_TYPE: Desktop (default), Mobile, Pad,
	// OtherType.
	LoginType string
	// Extra adds pinfoMap keys or overrides generated ones (e.g. to send the
	// table's spelling "CLICENT_LOGIN_TYPE").
	Extra map[string]string
}

// Attendee is a scheduled attendee (AttendeesNotify entry).
type Attendee struct {
	UserUUID      string // "" = generated
	ParticipantID string
	Name          string
	Phone         string
	AccountID     string
	Role          int // 0 ordinary, 1 host
	Email         string
	SMS           string
	IsMute        int
	IsAutoInvite  int
	Type          string // "" = "normal"
	DeptUUID      string
	DeptName      string
	OrgID         string // "" = "61037"
	ThirdAccount  string
	Address       string // a room terminal's address
	HidePhone     bool   // the sample-only hidePhone
}

// InterpreterGroup is one simultaneous-interpretation group.
type InterpreterGroup struct {
	GroupID        string
	GroupName      string
	FirstLanguage  string
	SecondLanguage string
	GroupType      string // MANUAL (default) or AI
	Interpreters   []Interpreter
}

// Interpreter is a member of an InterpreterGroup.
type Interpreter struct {
	LoginAccount    string
	UserID          string
	CallNumber      string
	Name            string
	InterpreterType string // MANUAL (default) or AI
}

// validMethods checks Config.WSTokenMethods: nil, or GET and PUT only.
func validMethods(ms []string) []error {
	var errs []error
	if ms != nil && len(ms) == 0 {
		errs = append(errs, errors.New("fakemeeting: WSTokenMethods is empty: no method could get a token"))
	}
	for _, m := range ms {
		if m != http.MethodGet && m != http.MethodPut {
			errs = append(errs, fmt.Errorf("fakemeeting: WSTokenMethods: %q is neither GET nor PUT", m))
		}
	}
	return errs
}
