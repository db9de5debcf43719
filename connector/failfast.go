package connector

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"

	"github.com/confwatch/confwatch/internal/failure"
	"github.com/confwatch/confwatch/token"
)

// Permanent reports whether err (a *Failure, or an error Run returned) is
// one that no retry fixes when it happens before a session has ever
// subscribed, because it says the session was pointed at the wrong place:
//
//   - the meeting API refused the TCP connection, or its host name does
//     not resolve;
//   - a TLS certificate failed verification, or the server does not speak
//     TLS (the API or the socket);
//   - the API answered like something else: a 2xx without a token (an
//     HTML page, not JSON; token.ErrBadResponse) or a 4xx without a vendor
//     error code (a web server's 404 page);
//   - the service does not know the meeting (MMC.111070005, which also
//     matches ErrMeetingEnded).
//
// After a first Subscribe the same failures are usually passing (a
// restarting server refuses connections, a proxy answers with its own
// page), so a session retries them; Config.FailFast makes it stop on them
// while it has never subscribed. Timeouts, 5xx answers and rate limits are
// never permanent.
func Permanent(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, failure.ErrNoSuchMeeting) || badTLS(err) {
		return true
	}
	if f := (*Failure)(nil); errors.As(err, &f) && f.Stage != StageControl && f.Stage != StageWSToken {
		return false // the socket's host came from the API: its trouble is the service's
	}
	var dns *net.DNSError
	return errors.Is(err, syscall.ECONNREFUSED) ||
		errors.As(err, &dns) && dns.IsNotFound ||
		errors.Is(err, token.ErrBadResponse) ||
		notTheAPI(err)
}

// badTLS reports a certificate that did not verify, or a server that
// answered a TLS hello with something else.
func badTLS(err error) bool {
	var (
		verify  *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
		notTLS  tls.RecordHeaderError
	)
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &host) ||
		errors.As(err, &invalid) || errors.As(err, &notTLS)
}

// notTheAPI reports a 4xx answer without a vendor code, other than the
// statuses that mean something to a client whoever sends them.
func notTheAPI(err error) bool {
	var ae *token.APIError
	if !errors.As(err, &ae) || ae.Code != "" || ae.Status < 400 || ae.Status >= 500 {
		return false
	}
	switch ae.Status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusProxyAuthRequired,
		http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests:
		return false
	}
	return true
}

// giveUp is Config.FailFast's decision, taken before the retry policy: a
// permanent failure before the first Subscribe (blindFrom stays zero until
// a subscribed link is lost) stops Run. Stop failures are left to decide,
// which stops on them anyway.
func (sv *supervisor) giveUp(f *Failure) error {
	if !sv.s.cfg.FailFast || !sv.blindFrom.IsZero() || f.Class == ClassStop || !Permanent(f) {
		return nil
	}
	return fmt.Errorf("connector: giving up before the first subscribe: %w", f)
}
