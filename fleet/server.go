package fleet

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// DefaultListen is where an embedded server listens by default.
const DefaultListen = "127.0.0.1:4222"

// DefaultMaxPayload is an embedded server's largest message: room for the
// Snapshot of a large meeting (a 3,000-person roster is about 2 MB).
const DefaultMaxPayload = 8 << 20

// ServerConfig configures an embedded NATS server. The zero value needs
// only DataDir.
type ServerConfig struct {
	// Listen is the client address, on loopback only: the embedded server
	// has no authentication. Empty means DefaultListen; port 0 picks one.
	Listen string
	// DataDir holds JetStream's files (created if missing). Required.
	DataDir string
	// Name names the server. Empty means "confwatch".
	Name string
	// MaxPayload is the largest message in bytes. Zero means
	// DefaultMaxPayload.
	MaxPayload int32
}

// Server is an embedded nats-server with JetStream, for a fleet on one
// machine. Other processes join it at ClientURL. Its methods are safe for
// concurrent use.
type Server struct {
	ns *server.Server
}

// ErrNotLoopback is returned for a Listen address off loopback.
var ErrNotLoopback = errors.New("fleet: the embedded server listens on loopback only")

// StartServer starts an embedded server and waits until it accepts
// clients.
func StartServer(cfg ServerConfig) (*Server, error) {
	listen := cfg.Listen
	if listen == "" {
		listen = DefaultListen
	}
	host, portText, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("fleet: listen %q: %w", listen, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("fleet: listen %q: bad port", listen)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("%w: %q", ErrNotLoopback, listen)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	if cfg.DataDir == "" {
		return nil, errors.New("fleet: embedded server: DataDir is required")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("fleet: embedded server: %w", err)
	}
	name := cfg.Name
	if name == "" {
		name = "confwatch"
	}
	maxPayload := cfg.MaxPayload
	if maxPayload == 0 {
		maxPayload = DefaultMaxPayload
	}
	ns, err := server.NewServer(&server.Options{
		ServerName: name,
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   filepath.Clean(cfg.DataDir),
		MaxPayload: maxPayload,
		NoSigs:     true,
		NoLog:      true,
	})
	if err != nil {
		return nil, fmt.Errorf("fleet: embedded server: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, errors.New("fleet: embedded server: not ready within 10s")
	}
	return &Server{ns: ns}, nil
}

// ClientURL is the URL clients connect to, e.g. "nats://127.0.0.1:4222".
func (s *Server) ClientURL() string { return s.ns.ClientURL() }

// Shutdown stops the server and waits until it has.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}
