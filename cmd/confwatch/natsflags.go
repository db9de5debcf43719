package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
)

// natsFlags are the flags that reach NATS: the server, and how to log in
// and trust it. Every command that talks to NATS takes the same ones.
type natsFlags struct {
	url, creds, user, passwordFile, tokenFile string
	ca, cert, key                             string
	// args are the command's arguments, for naming a flag as typed; e
	// gives stdin to a secret file named -.
	args []string
	e    env
}

func (n *natsFlags) register(fs *flag.FlagSet, e env, defaultURL, what string) {
	n.e = e
	fs.StringVar(&n.url, "nats", defaultURL, what)
	fs.StringVar(&n.creds, "nats-creds", "", "NATS user credentials `FILE` (JWT and NKey seed)")
	fs.StringVar(&n.user, "nats-user", "", "NATS user `NAME`, with --nats-password-file")
	fs.StringVar(&n.passwordFile, "nats-password-file", "", "read the NATS user's password from `FILE`")
	fs.StringVar(&n.tokenFile, "nats-token-file", "", "read a NATS token from `FILE`")
	fs.StringVar(&n.ca, "nats-ca", "", "trust the PEM certificates in `FILE` for NATS")
	fs.StringVar(&n.cert, "nats-cert", "", "present the PEM client certificate in `FILE` to NATS, with --nats-key")
	fs.StringVar(&n.key, "nats-key", "", "the PEM private key `FILE` of --nats-cert")
}

// check refuses combinations that cannot log in. Every refusal says what
// would do.
func (n *natsFlags) check() error {
	sp := func(name string) string { return spelled(n.args, name) }
	logins := 0
	for _, v := range []string{n.creds, n.user, n.tokenFile} {
		if v != "" {
			logins++
		}
	}
	switch {
	case logins > 1:
		return usagef("%s, %s and %s are three ways to log in to NATS: give one", sp("nats-creds"), sp("nats-user"), sp("nats-token-file"))
	case (n.user == "") != (n.passwordFile == ""):
		return usagef("%s and %s go together: the user and the file holding its password", sp("nats-user"), sp("nats-password-file"))
	case (n.cert == "") != (n.key == ""):
		return usagef("%s and %s go together: the client certificate and its key", sp("nats-cert"), sp("nats-key"))
	}
	return nil
}

// options are the connection options the flags ask for; secrets are read
// from their files here, never taken from a flag value.
func (n *natsFlags) options() ([]nats.Option, error) {
	var opts []nats.Option
	sp := func(name string) string { return spelled(n.args, name) }
	if n.creds != "" {
		opts = append(opts, nats.UserCredentials(n.creds))
	}
	if n.user != "" {
		w := watchFlags{args: n.args}
		pw, err := w.readSecret(n.e, n.passwordFile, "nats-password-file", "the NATS password")
		if err != nil {
			return nil, err
		}
		opts = append(opts, nats.UserInfo(n.user, pw.Reveal()))
	}
	if n.tokenFile != "" {
		w := watchFlags{args: n.args}
		tok, err := w.readSecret(n.e, n.tokenFile, "nats-token-file", "the NATS token")
		if err != nil {
			return nil, err
		}
		opts = append(opts, nats.Token(tok.Reveal()))
	}
	if n.ca != "" {
		if _, err := (&watchFlags{caFile: n.ca, args: n.args}).rootCAs(); err != nil {
			return nil, usagef("%s: %v", sp("nats-ca"), err)
		}
		opts = append(opts, nats.RootCAs(n.ca))
	}
	if n.cert != "" {
		opts = append(opts, nats.ClientCert(n.cert, n.key))
	}
	return opts, nil
}

// connect dials NATS as the flags ask, the connection named name.
func (n *natsFlags) connect(name string, log *slog.Logger) (*nats.Conn, error) {
	if err := n.check(); err != nil {
		return nil, err
	}
	auth, err := n.options()
	if err != nil {
		return nil, err
	}
	opts := append([]nats.Option{
		nats.Name(name),
		// Never send a lease write late from a reconnect buffer.
		nats.ReconnectBufSize(-1),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { log.Warn("nats disconnected", slog.Any("err", err)) }),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("nats reconnected", slog.String("url", c.ConnectedUrlRedacted())) }),
	}, auth...)
	nc, err := nats.Connect(n.url, opts...)
	if err != nil {
		return nil, &misconfigured{err: err, hint: n.hint(err)}
	}
	return nc, nil
}

// hint says which flag to check when NATS could not be reached.
func (n *natsFlags) hint(err error) string {
	sp := func(name string) string { return spelled(n.args, name) }
	switch {
	case errors.Is(err, nats.ErrAuthorization), errors.Is(err, nats.ErrAuthExpired), errors.Is(err, nats.ErrAuthRevoked):
		return fmt.Sprintf("NATS at %s refused the login: check %s, %s/%s or %s", redactURL(n.url), sp("nats-creds"), sp("nats-user"), sp("nats-password-file"), sp("nats-token-file"))
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, nats.ErrNoServers):
		return fmt.Sprintf("nothing answers at %s: check %s (is the fleet's NATS server running?)", redactURL(n.url), sp("nats"))
	case untrusted(err):
		return fmt.Sprintf("the NATS server's certificate is not trusted: check %s", sp("nats-ca"))
	}
	return fmt.Sprintf("cannot reach NATS at %s: check %s", redactURL(n.url), sp("nats"))
}

// redactURL is u without a password or token in it.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.User == nil {
		if err != nil {
			return "the --nats URL"
		}
		return u
	}
	p.User = url.User(p.User.Username())
	return p.String()
}
