package connector

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"time"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/token"
)

// Defaults for the zero values of Config.
const (
	DefaultHeartbeatInterval = 60 * time.Second
	// DefaultReadTimeout is 1.5 × DefaultHeartbeatInterval: the server echoes
	// each heartbeat at once, so a link that stays silent for that long has
	// missed an echo and is dead.
	DefaultReadTimeout      = 90 * time.Second
	DefaultWriteTimeout     = 10 * time.Second
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultSubscribeTimeout = 10 * time.Second
	DefaultCloseTimeout     = 500 * time.Millisecond
	DefaultHealthyAfter     = 30 * time.Second
	DefaultMinResync        = 5 * time.Second
	// DefaultReadLimit bounds one frame. A full ParticipantsNotify of a
	// 3,000-person meeting from integration/fakemeeting measures 2,126,846
	// bytes (31 pinfoMap keys each); 16 MiB leaves room for the vendor's
	// undocumented keys and longer names while still refusing a runaway
	// frame.
	DefaultReadLimit = 16 << 20
	// DefaultQueue is generous because an idle queue costs nothing (it
	// grows on demand) while an overflow costs a resync.
	DefaultQueue = 8192
	// DefaultQueueBytes bounds the frame bytes waiting for the handler:
	// four full 3,000-person snapshots, or 250,000 participant deltas.
	DefaultQueueBytes     = 64 << 20
	DefaultBufferSize     = 4096
	DefaultTokenMargin    = 15 * time.Second
	DefaultMaxMissedBeats = 2

	// MaxHeartbeatInterval is the server's idle limit: it closes a socket
	// that sent no heartbeat for this long.
	MaxHeartbeatInterval = 180 * time.Second
)

// Backoff defaults.
const (
	DefaultBackoffInitial    = 1 * time.Second
	DefaultBackoffMax        = 60 * time.Second
	DefaultBackoffMultiplier = 2.0
	DefaultBackoffJitter     = 1.0
)

// TokenSource hands out the credentials of one meeting. *token.Provider
// implements it. Implementations must be safe for concurrent use.
type TokenSource interface {
	// Control returns a live control token (it carries the WebSocket base
	// URL and the push types the meeting supports).
	Control(ctx context.Context) (*token.Control, error)
	// WSToken returns a brand-new single-use WebSocket token. It must never
	// return a token it returned before.
	WSToken(ctx context.Context) (*token.WS, error)
	// Invalidate reports that rejected was refused by the server, so that
	// the next Control call obtains another.
	Invalidate(rejected *token.Control)
}

// Backoff shapes the wait between attempts: exponential growth from Initial
// by Multiplier up to Max, with jitter, until MaxOutage.
type Backoff struct {
	// Initial is the first delay's upper bound. Zero means
	// DefaultBackoffInitial.
	Initial time.Duration
	// Max caps the delay. Zero means DefaultBackoffMax.
	Max time.Duration
	// Multiplier grows the delay per failed attempt. Zero means
	// DefaultBackoffMultiplier; it must be >= 1.
	Multiplier float64
	// Jitter is the fraction of each delay that is random: the delay is
	// drawn from [d×(1−Jitter), d]. 1 is "full jitter" (the default, which
	// spreads a fleet's reconnects best); use NoJitter for none.
	Jitter float64
	// MaxOutage stops Run with ErrOutage when no link has been subscribed
	// for this long. Zero means never: retry until ctx is done or the
	// meeting ends.
	MaxOutage time.Duration
}

// NoJitter, as Backoff.Jitter, disables jitter (the zero value means
// DefaultBackoffJitter).
const NoJitter = -1.0

// Config configures a Session. The zero value of each field means the
// documented default; ConferenceID and Tokens are required.
type Config struct {
	// ConferenceID is the meeting ID.
	ConferenceID string
	// Tokens supplies the control token and a fresh ws token per dial.
	Tokens TokenSource
	// Types are the push types to subscribe to. Empty means every type the
	// control token's supportNotifyType lists that events decodes, or all of
	// events.KnownActions when it lists none.
	Types []string
	// Queue bounds the events waiting for the handler given to Run. When
	// it is full, pushes are dropped (counted in Stats) and a resync is
	// requested so that fresh snapshots repair the loss; lifecycle events
	// are never dropped. Zero means DefaultQueue.
	Queue int
	// QueueBytes bounds the frame bytes of the pushes waiting for the
	// handler, with the same overflow policy as Queue, so that a slow
	// handler behind large pushes holds at most this much. Zero means
	// DefaultQueueBytes.
	QueueBytes int64

	// HeartbeatInterval is the time between HeartBeat frames. Zero means
	// DefaultHeartbeatInterval; it must be below MaxHeartbeatInterval.
	HeartbeatInterval time.Duration
	// MaxMissedHeartbeats declares the link dead when this many heartbeats
	// in a row got no echo. Zero means DefaultMaxMissedBeats.
	MaxMissedHeartbeats int
	// ReadTimeout declares the link dead when nothing arrived for this
	// long. Zero means 1.5 × HeartbeatInterval.
	ReadTimeout time.Duration
	// WriteTimeout bounds each frame write. Zero means DefaultWriteTimeout.
	WriteTimeout time.Duration
	// HandshakeTimeout bounds the WebSocket handshake. Zero means
	// DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration
	// SubscribeTimeout bounds the wait for the Subscribe reply. Zero means
	// DefaultSubscribeTimeout.
	SubscribeTimeout time.Duration
	// HealthyAfter is how long a link must stay subscribed before the
	// backoff resets, so that a server that accepts and then drops at once
	// is met with growing delays. Zero means DefaultHealthyAfter.
	HealthyAfter time.Duration
	// MinResyncInterval rate-limits Resync. Zero means DefaultMinResync.
	MinResyncInterval time.Duration
	// TokenMargin: a ws token older than token.WSTokenLifetime minus this
	// margin when the dial starts is discarded and another is fetched. Zero
	// means DefaultTokenMargin.
	TokenMargin time.Duration
	// Backoff shapes retries.
	Backoff Backoff
	// FailFast stops Run, before its first Subscribe, at the first failure
	// that Permanent reports (an API that refuses connections or is not
	// the meeting API, a certificate that does not verify, an unknown
	// meeting) instead of retrying it. Once a link has been subscribed,
	// failures are retried as always. False (the default) retries them from
	// the start, for a service that is still coming up.
	FailFast bool

	// ReadLimit is the largest frame accepted, in bytes. A larger frame
	// ends the link (the WebSocket library cannot skip it) and is counted;
	// the session redials and fresh snapshots follow. Zero means
	// DefaultReadLimit.
	ReadLimit int64
	// KeepRaw keeps every delivered push's frame in Push.Raw. False (the
	// default) keeps it only for actions package events does not decode
	// (Payload nil: the frame is all there is); a decoded push then has a
	// nil Raw, which spares a copy of every frame. Either way Raw is the
	// push's own copy: the session reads into buffers it reuses, and
	// nothing it delivers aliases them.
	KeepRaw bool
	// ReadBufferSize and WriteBufferSize size the socket's I/O buffers.
	// Zero means DefaultBufferSize.
	ReadBufferSize, WriteBufferSize int
	// AllowPlainText allows a ws:// (or http://) wsURL. Off by default: the
	// dial carries the tmpToken and Subscribe the confToken, which would
	// then travel in clear. Set it only for a plain-text test service.
	AllowPlainText bool
	// TLSConfig is used for wss:// dials. Nil means the system roots with
	// verification on.
	TLSConfig *tls.Config
	// NetDialContext dials the TCP connection. Nil means net.Dialer.
	NetDialContext func(ctx context.Context, network, addr string) (net.Conn, error)

	// Logger receives the session's logs. Nil means silent.
	Logger *slog.Logger
	// Observer is told of transitions, retries, pushes, drops, resyncs
	// and ws-token calls as they happen, on the session's goroutines (see
	// Observer). New keeps a copy. Nil means none, at no cost.
	Observer *Observer
	// Clock drives heartbeats, timeouts and backoff. Nil means real time.
	Clock clock.Clock
	// Rand returns a float in [0, 1) for jitter. Nil means math/rand/v2.
	Rand func() float64
}

// Validate reports every problem with c, joined.
func (c *Config) Validate() error {
	var errs []error
	if c.ConferenceID == "" {
		errs = append(errs, errors.New("ConferenceID is required"))
	}
	if c.Tokens == nil {
		//lint:ignore ST1005 each problem starts with the field it is about; the joined error has the "connector: " prefix
		errs = append(errs, errors.New("Tokens is required"))
	} else if ids, ok := c.Tokens.(interface{ ConferenceID() string }); ok && c.ConferenceID != "" && ids.ConferenceID() != "" && ids.ConferenceID() != c.ConferenceID {
		errs = append(errs, fmt.Errorf("ConferenceID %q differs from the token source's %q: its tokens would be refused", c.ConferenceID, ids.ConferenceID()))
	}
	errs = append(errs, c.durationProblems()...)
	errs = append(errs, c.Backoff.problems()...)
	if c.Queue < 0 || c.QueueBytes < 0 || c.ReadLimit < 0 || c.ReadBufferSize < 0 || c.WriteBufferSize < 0 || c.MaxMissedHeartbeats < 0 {
		//lint:ignore ST1005 each problem starts with the field it is about, as above
		errs = append(errs, errors.New("Queue, QueueBytes, ReadLimit, buffer sizes and MaxMissedHeartbeats must not be negative"))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("connector: invalid config: %w", errors.Join(errs...))
}

// durationProblems checks the timeouts and intervals.
func (c *Config) durationProblems() []error {
	var errs []error
	if c.HeartbeatInterval < 0 || c.HeartbeatInterval >= MaxHeartbeatInterval {
		errs = append(errs, fmt.Errorf("HeartbeatInterval %v must be between 0 and %v (the server closes idle sockets after %v)", c.HeartbeatInterval, MaxHeartbeatInterval, MaxHeartbeatInterval))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"ReadTimeout", c.ReadTimeout}, {"WriteTimeout", c.WriteTimeout},
		{"HandshakeTimeout", c.HandshakeTimeout}, {"SubscribeTimeout", c.SubscribeTimeout},
		{"HealthyAfter", c.HealthyAfter}, {"MinResyncInterval", c.MinResyncInterval},
		{"TokenMargin", c.TokenMargin}, {"Backoff.Initial", c.Backoff.Initial},
		{"Backoff.Max", c.Backoff.Max}, {"Backoff.MaxOutage", c.Backoff.MaxOutage},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative", d.name))
		}
	}
	if c.TokenMargin >= token.WSTokenLifetime {
		errs = append(errs, fmt.Errorf("TokenMargin must be below the ws token lifetime %v", token.WSTokenLifetime))
	}
	if d := c.withDefaults(); c.HeartbeatInterval >= 0 && c.ReadTimeout >= 0 && d.ReadTimeout <= d.HeartbeatInterval {
		errs = append(errs, fmt.Errorf("ReadTimeout %v must exceed HeartbeatInterval %v, or a quiet meeting looks dead between heartbeats", d.ReadTimeout, d.HeartbeatInterval))
	}
	return errs
}

// problems checks the backoff's shape.
func (b Backoff) problems() []error {
	var errs []error
	if b.Multiplier != 0 && b.Multiplier < 1 {
		errs = append(errs, errors.New("Backoff.Multiplier must be >= 1"))
	}
	if b.Jitter != NoJitter && (b.Jitter < 0 || b.Jitter > 1) {
		errs = append(errs, errors.New("Backoff.Jitter must be within [0, 1] (or NoJitter)"))
	}
	if b.Initial > 0 && b.Max > 0 && b.Initial > b.Max {
		errs = append(errs, errors.New("Backoff.Initial must not exceed Backoff.Max"))
	}
	return errs
}

// withDefaults returns a copy of c with every zero field set to its
// default.
func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	c.Observer = c.Observer.clone()
	def(&c.HeartbeatInterval, DefaultHeartbeatInterval)
	def(&c.ReadTimeout, c.HeartbeatInterval*3/2)
	def(&c.WriteTimeout, DefaultWriteTimeout)
	def(&c.HandshakeTimeout, DefaultHandshakeTimeout)
	def(&c.SubscribeTimeout, DefaultSubscribeTimeout)
	def(&c.HealthyAfter, DefaultHealthyAfter)
	def(&c.MinResyncInterval, DefaultMinResync)
	def(&c.TokenMargin, DefaultTokenMargin)
	def(&c.Backoff.Initial, DefaultBackoffInitial)
	def(&c.Backoff.Max, DefaultBackoffMax)
	if c.Backoff.Multiplier == 0 {
		c.Backoff.Multiplier = DefaultBackoffMultiplier
	}
	switch c.Backoff.Jitter {
	case 0:
		c.Backoff.Jitter = DefaultBackoffJitter
	case NoJitter:
		c.Backoff.Jitter = 0
	}
	if c.MaxMissedHeartbeats == 0 {
		c.MaxMissedHeartbeats = DefaultMaxMissedBeats
	}
	if c.ReadLimit == 0 {
		c.ReadLimit = DefaultReadLimit
	}
	if c.Queue == 0 {
		c.Queue = DefaultQueue
	}
	if c.QueueBytes == 0 {
		c.QueueBytes = DefaultQueueBytes
	}
	if c.ReadBufferSize == 0 {
		c.ReadBufferSize = DefaultBufferSize
	}
	if c.WriteBufferSize == 0 {
		c.WriteBufferSize = DefaultBufferSize
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.Clock = clock.OrReal(c.Clock)
	if c.Rand == nil {
		c.Rand = rand.Float64
	}
	return c
}
