package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"syscall"

	"github.com/confwatch/confwatch/connector"
)

// errDone ends a run that did what it was asked (state --once).
var errDone = errors.New("the picture is complete")

// misconfigured is a failure no retry fixes, met before the first
// subscribe (connector.Permanent): exit 1 with a hint naming the flag.
type misconfigured struct {
	err  error
	hint string
}

func (m *misconfigured) Error() string { return m.hint + ": " + m.err.Error() }
func (m *misconfigured) Unwrap() error { return m.err }

// hint says which flag to check for a permanent failure.
func hint(err error, w *watchFlags, conference string) string {
	api, caFile, wait := w.spell("api"), w.spell("ca-file"), w.spell("wait")
	var dns *net.DNSError
	switch {
	case errors.Is(err, connector.ErrMeetingEnded): // only a meeting the service does not know is permanent
		return fmt.Sprintf("the meeting service does not know meeting %s: check %s", conference, w.spell("conference"))
	case notTLS(err):
		return fmt.Sprintf("%s does not speak TLS: check %s (http:// for a plain-text test service)", w.api, api)
	case untrusted(err):
		return fmt.Sprintf("the service's TLS certificate is not trusted: check %s (the PEM of the CA that signed it) and %s", caFile, api)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("nothing answers at %s (connection refused): check %s, or use %s while the service starts", w.api, api, wait)
	case errors.As(err, &dns) && dns.IsNotFound:
		return fmt.Sprintf("the host of %s is unknown: check %s", w.api, api)
	}
	return fmt.Sprintf("%s does not answer like the meeting API: check %s", w.api, api)
}

// untrusted reports a certificate that did not verify.
func untrusted(err error) bool {
	var (
		verify  *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
	)
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid)
}

// notTLS reports a server that answered a TLS hello with something else.
func notTLS(err error) bool {
	var rh tls.RecordHeaderError
	return errors.As(err, &rh)
}

// outcome is how a run ended: its exit code and its final record.
type outcome struct {
	code   int
	status string // "ended" or "stopped"
	reason string // why it stopped, for people
	class  string // the failure class behind a stop, if one was
	log    func(*slog.Logger)
}

// judge decides the outcome of err, the error a command ended with.
func judge(err error) outcome {
	o := outcome{code: exitFailure, status: "stopped", class: failureClass(err)}
	var (
		m   *misconfigured
		sig signalled
	)
	switch {
	case err == nil || errors.Is(err, errDone):
		o.code, o.reason = exitOK, "done"
		if err != nil {
			o.reason = err.Error()
		}
	case isUsage(err):
		o.code, o.reason = exitUsage, err.Error()
	case errors.As(err, &m):
		o.reason = m.hint
		o.log = func(l *slog.Logger) { l.Error(m.hint, slog.Any("err", m.err)) }
	case errors.Is(err, connector.ErrMeetingEnded):
		o.code, o.status, o.class = exitOK, "ended", ""
		o.log = func(l *slog.Logger) { l.Info("the meeting ended") }
	case errors.Is(err, connector.ErrCredentialsRejected): // every credential stop wraps it
		o.code, o.reason = exitCredentials, "credentials rejected: check the meeting ID and the host password (or supply a fresh control token)"
		o.log = func(l *slog.Logger) { l.Error(o.reason, slog.Any("err", err)) }
	case errors.As(err, &sig):
		o.code, o.reason = sig.exitCode(), sig.Error()
		o.log = func(l *slog.Logger) { l.Info(sig.Error()) }
	case errors.Is(err, context.Canceled):
		o.code, o.reason = exitInterrupted, "interrupted"
		o.log = func(l *slog.Logger) { l.Info("interrupted") }
	case errors.Is(err, connector.ErrOutage):
		o.reason = "no link could be subscribed within --max-outage: " + err.Error()
		o.log = func(l *slog.Logger) { l.Error("gave up: the outage outlasted --max-outage", slog.Any("err", err)) }
	default:
		o.reason = err.Error()
		o.log = func(l *slog.Logger) { l.Error("stopped", slog.Any("err", err)) }
	}
	return o
}

// failureClass is the class of the failure behind err: stop for
// credentials (the session's verdict on the failures before it), else the
// class the failure table gave the last failure.
func failureClass(err error) string {
	if errors.Is(err, connector.ErrCredentialsRejected) {
		return connector.ClassStop.String()
	}
	var f *connector.Failure
	if errors.As(err, &f) {
		return f.Class.String()
	}
	return ""
}

// finish ends a command: it logs why, prints a usage or configuration
// error in plain text, writes the final record when p is set, and returns
// the exit code.
func finish(err error, log *slog.Logger, stderr func(string), p *printer) int {
	o := judge(err)
	switch {
	case o.code == exitUsage:
		stderr("confwatch: " + o.reason + "\nRun with --help for usage.\n")
	case o.log != nil:
		o.log(log)
	}
	if p != nil {
		p.final(o)
	}
	return o.code
}

// exitCode maps the outcome of a command without a stdout record to the
// process exit code, logging why.
func exitCode(err error, log *slog.Logger, stderr func(string)) int {
	return finish(err, log, stderr, nil)
}
