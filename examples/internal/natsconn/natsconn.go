// Package natsconn connects an example to the NATS server of a confwatch
// fleet, from flags named as the confwatch CLI's --nats-* flags.
//
//	var nf natsconn.Flags
//	nf.Register(flag.CommandLine)
//	flag.Parse()
//	nc, err := nf.Connect("dashboard", log) // when nf.Enabled()
//
// A consumer only reads what the fleet publishes: it needs no meeting
// credentials, and the NATS ones (a creds, password or token file) are read
// at Connect and never logged or quoted in an error.
package natsconn

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// Flags are the NATS flags of an example. The zero value means no NATS.
type Flags struct {
	// URL is the server (-nats), comma-separated for a cluster. Empty
	// means the example does not use NATS.
	URL string
	// Creds is a NATS user credentials file (-nats-creds).
	Creds string
	// User and PasswordFile log in with a user and the password on the
	// file's first line (-nats-user, -nats-password-file).
	User, PasswordFile string
	// TokenFile logs in with the token on the file's first line
	// (-nats-token-file).
	TokenFile string
	// CA is a PEM file of the certificates to trust (-nats-ca).
	CA string
	// Cert and Key are a PEM client certificate and its key, for servers
	// that verify clients (-nats-cert, -nats-key).
	Cert, Key string
}

// Register adds the flags to fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.URL, "nats", "", "read the meetings a confwatch fleet publishes on the NATS server at `URL`, instead of logging in to a meeting")
	fs.StringVar(&f.Creds, "nats-creds", "", "NATS user credentials `FILE`")
	fs.StringVar(&f.User, "nats-user", "", "NATS `user`, with -nats-password-file")
	fs.StringVar(&f.PasswordFile, "nats-password-file", "", "`FILE` whose first line is the NATS user's password")
	fs.StringVar(&f.TokenFile, "nats-token-file", "", "`FILE` whose first line is a NATS token")
	fs.StringVar(&f.CA, "nats-ca", "", "trust the PEM certificates in `FILE` for NATS")
	fs.StringVar(&f.Cert, "nats-cert", "", "PEM client certificate `FILE` for NATS, with -nats-key")
	fs.StringVar(&f.Key, "nats-key", "", "PEM private key `FILE` of -nats-cert")
}

// Enabled reports whether a server was given.
func (f Flags) Enabled() bool { return f.URL != "" }

// Validate reports every problem with f, joined.
func (f Flags) Validate() error {
	var errs []error
	if !f.Enabled() {
		if f != (Flags{}) {
			errs = append(errs, errors.New("-nats-* flags need -nats URL"))
		}
		return errors.Join(errs...)
	}
	for _, u := range strings.Split(f.URL, ",") {
		if err := checkURL(strings.TrimSpace(u)); err != nil {
			errs = append(errs, err)
		}
	}
	logins := 0
	for _, v := range []string{f.Creds, f.User, f.TokenFile} {
		if v != "" {
			logins++
		}
	}
	if logins > 1 {
		errs = append(errs, errors.New("-nats-creds, -nats-user and -nats-token-file are three ways to log in: give one"))
	}
	if (f.User == "") != (f.PasswordFile == "") {
		errs = append(errs, errors.New("-nats-user and -nats-password-file go together"))
	}
	if (f.Cert == "") != (f.Key == "") {
		errs = append(errs, errors.New("-nats-cert and -nats-key go together"))
	}
	return errors.Join(errs...)
}

// checkURL accepts what nats.Connect dials, without quoting u: it may
// hold a user and password.
func checkURL(u string) error {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return errors.New("-nats: not a URL like nats://host:4222")
	}
	switch p.Scheme {
	case "nats", "tls", "ws", "wss":
		return nil
	}
	return fmt.Errorf("-nats: scheme %q: want nats, tls, ws or wss", p.Scheme)
}

// Connect validates f and connects as name (shown in the server's
// monitoring). It reconnects for ever; log receives disconnects and
// reconnects, with the URL redacted.
func (f Flags) Connect(name string, log *slog.Logger) (*nats.Conn, error) {
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("natsconn: %w", err)
	}
	if !f.Enabled() {
		return nil, errors.New("natsconn: no -nats URL")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { log.Warn("nats disconnected", slog.Any("err", err)) }),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("nats reconnected", slog.String("url", c.ConnectedUrlRedacted())) }),
	}
	if f.Creds != "" {
		if _, err := os.Stat(f.Creds); err != nil {
			return nil, fmt.Errorf("natsconn: -nats-creds: %w", err)
		}
		opts = append(opts, nats.UserCredentials(f.Creds))
	}
	if f.User != "" {
		pw, err := firstLine(f.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("natsconn: -nats-password-file: %w", err)
		}
		opts = append(opts, nats.UserInfo(f.User, pw))
	}
	if f.TokenFile != "" {
		tok, err := firstLine(f.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("natsconn: -nats-token-file: %w", err)
		}
		opts = append(opts, nats.Token(tok))
	}
	if f.CA != "" {
		opts = append(opts, nats.RootCAs(f.CA))
	}
	if f.Cert != "" {
		opts = append(opts, nats.ClientCert(f.Cert, f.Key))
	}
	nc, err := nats.Connect(f.URL, opts...)
	if err != nil {
		// nats.go's errors name the problem (authorization violation, a
		// certificate not trusted), never the password.
		return nil, fmt.Errorf("natsconn: connect: %w", err)
	}
	return nc, nil
}

// firstLine reads the first line of a file, which must not be empty.
func firstLine(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Scan()
	if err := s.Err(); err != nil {
		return "", err
	}
	line := strings.TrimRight(s.Text(), "\r")
	if line == "" {
		return "", fmt.Errorf("%s: the first line is empty", name)
	}
	return line, nil
}
