package fleet

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/token"
)

// Defaults for the zero values of Config.
const (
	// DefaultLease is the life of a meeting's lease when it is not
	// renewed. A dead worker's meetings move after at most this long.
	DefaultLease = 15 * time.Second
	// MinLease is the shortest Lease accepted: the third of it left after
	// the self-fence must cover closing a socket (a close frame and up to
	// connector.DefaultCloseTimeout for the reply).
	MinLease = 3 * time.Second
	// DefaultStreamMaxAge and DefaultStreamMaxBytes bound the event
	// stream; the oldest records go first.
	DefaultStreamMaxAge   = 24 * time.Hour
	DefaultStreamMaxBytes = 1 << 30
	// DefaultStreamDuplicates is the stream's de-duplication window for
	// Nats-Msg-Id.
	DefaultStreamDuplicates = 2 * time.Minute
	// DefaultStateInterval is the least time between two writes of a
	// meeting's Snapshot.
	DefaultStateInterval = time.Second
	// DefaultRetryAfterStop is how long a worker waits before running a
	// meeting's session again after it stopped by itself (the meeting
	// ended, the credentials were refused), keeping the lease meanwhile.
	DefaultRetryAfterStop = time.Minute
)

// Names of the JetStream assets a fleet shares.
const (
	// BucketDesired holds the meetings to watch: conference ID → Meeting
	// JSON. Written by Apply.
	BucketDesired = "confwatch-desired"
	// BucketLeases holds one lease per owned meeting: conference ID →
	// Lease JSON. Its TTL is the lease.
	BucketLeases = "confwatch-leases"
	// BucketWorkers holds one heartbeat per live worker: worker ID →
	// Heartbeat JSON. Its TTL is the lease.
	BucketWorkers = "confwatch-workers"
	// BucketState holds each meeting's last meeting.Snapshot as JSON.
	BucketState = "confwatch-state"
	// StreamEvents holds every record `confwatch tail` would print, on
	// SubjectPrefix.<conference>.push.<action>, .status and
	// .change.<kind>.
	StreamEvents  = "CONFWATCH"
	SubjectPrefix = "confwatch"
)

// StreamLimits bound the event stream. Zero fields mean the defaults.
type StreamLimits struct {
	// MaxAge drops records older than this. Zero means
	// DefaultStreamMaxAge.
	MaxAge time.Duration
	// MaxBytes drops the oldest records beyond this size. Zero means
	// DefaultStreamMaxBytes.
	MaxBytes int64
	// Duplicates is the Nats-Msg-Id de-duplication window. Zero means
	// DefaultStreamDuplicates.
	Duplicates time.Duration
}

// Config configures a Worker. The zero value of each field means the
// documented default; Conn and API are required.
type Config struct {
	// Conn is the NATS connection, to a server with JetStream. The worker
	// does not close it. Make it with nats.ReconnectBufSize(-1), so that a
	// write is never sent late from a reconnect buffer, and
	// nats.MaxReconnects(-1).
	Conn *nats.Conn
	// API is the meeting API client every session logs in with.
	API *token.Client
	// Session is the template of every session's configuration.
	// ConferenceID, Tokens, Types and the handler are set per meeting; a
	// nil Logger is the worker's.
	Session connector.Config
	// Name names the worker in leases and logs. Empty means the host
	// name. A random suffix is always added, so two processes never share
	// an ID.
	Name string
	// Lease is how long a lease lives unrenewed. It is renewed every
	// Lease/3; a worker that could not renew for 2/3 Lease stops the
	// session itself. Every worker of a fleet must use the same value; the
	// lease bucket is created with it. Zero means DefaultLease; it must be
	// at least MinLease.
	Lease time.Duration
	// MaxSessions caps the meetings this worker holds. Zero means no cap.
	MaxSessions int
	// StateInterval is the least time between two writes of a meeting's
	// Snapshot. Zero means DefaultStateInterval.
	StateInterval time.Duration
	// RetryAfterStop: see DefaultRetryAfterStop. Zero means the default.
	RetryAfterStop time.Duration
	// Stream bounds the event stream when this worker creates or updates
	// it.
	Stream StreamLimits
	// Replicas is the JetStream replica count of the buckets and the
	// stream. Zero means 1; use 3 on a 3-node cluster.
	Replicas int
	// Getenv resolves PasswordEnv references. Nil means os.Getenv.
	Getenv func(string) string
	// Metrics receives each session's Observer and the fleet's events
	// (owned meetings, renew failures, fences, failovers). Nil means none.
	Metrics Metrics
	// Logger receives the worker's logs. Nil means silent.
	Logger *slog.Logger
}

// Validate reports every problem with c, joined.
func (c *Config) Validate() error {
	var errs []error
	if c.Conn == nil {
		//lint:ignore ST1005 each problem starts with the field it is about; the joined error has the "fleet: " prefix
		errs = append(errs, errors.New("Conn is required"))
	}
	if c.API == nil {
		errs = append(errs, errors.New("API is required"))
	}
	if c.Lease != 0 && c.Lease < MinLease {
		errs = append(errs, fmt.Errorf("Lease %v is below MinLease %v", c.Lease, MinLease))
	}
	if c.MaxSessions < 0 || c.Replicas < 0 || c.Stream.MaxBytes < 0 {
		errs = append(errs, errors.New("MaxSessions, Replicas and Stream.MaxBytes must not be negative"))
	}
	if c.StateInterval < 0 || c.RetryAfterStop < 0 || c.Stream.MaxAge < 0 || c.Stream.Duplicates < 0 {
		errs = append(errs, errors.New("StateInterval, RetryAfterStop, Stream.MaxAge and Stream.Duplicates must not be negative"))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("fleet: invalid config: %w", errors.Join(errs...))
}

func (c Config) withDefaults() Config {
	if c.Lease == 0 {
		c.Lease = DefaultLease
	}
	if c.StateInterval == 0 {
		c.StateInterval = DefaultStateInterval
	}
	if c.RetryAfterStop == 0 {
		c.RetryAfterStop = DefaultRetryAfterStop
	}
	if c.Stream.MaxAge == 0 {
		c.Stream.MaxAge = DefaultStreamMaxAge
	}
	if c.Stream.MaxBytes == 0 {
		c.Stream.MaxBytes = DefaultStreamMaxBytes
	}
	if c.Stream.Duplicates == 0 {
		c.Stream.Duplicates = DefaultStreamDuplicates
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.Getenv == nil {
		c.Getenv = os.Getenv
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Session.Logger == nil {
		c.Session.Logger = c.Logger
	}
	if c.Name == "" {
		c.Name, _ = os.Hostname()
	}
	c.Name = keySafe(c.Name)
	return c
}

// keySafe keeps the characters a KV key and a subject token allow.
func keySafe(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, s)
	if s == "" {
		return "worker"
	}
	return s
}

// timing is what the lease derives from Config.Lease.
type timing struct {
	lease      time.Duration // TTL of a lease and of a heartbeat
	renewEvery time.Duration // Lease/3
	fenceAfter time.Duration // 2/3 Lease after the send of the last renewal that was acknowledged
	request    time.Duration // bound of one KV request
	claimStep  time.Duration // extra wait per rank before a claim
	grace      time.Duration // wait after start before the first claim, to learn the peers
}

func timingOf(lease time.Duration) timing {
	return timing{
		lease:      lease,
		renewEvery: lease / 3,
		fenceAfter: lease * 2 / 3,
		request:    lease / 6,
		claimStep:  min(lease/6, time.Second),
		grace:      min(lease/3, 1500*time.Millisecond),
	}
}
