package natsconn_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"go.uber.org/goleak"

	"github.com/confwatch/confwatch/examples/internal/natsconn"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const canaryPassword = "canary-nats-pw-5521"

// syncBuffer is a bytes.Buffer safe for concurrent loggers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRegisterNamesTheFlagsAsTheCLI(t *testing.T) {
	var f natsconn.Flags
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	f.Register(fs)
	err := fs.Parse([]string{"-nats", "nats://127.0.0.1:4222", "-nats-creds", "a.creds", "-nats-user", "u",
		"-nats-password-file", "pw", "-nats-token-file", "tok", "-nats-ca", "ca.pem", "-nats-cert", "c.pem", "-nats-key", "k.pem"})
	if err != nil {
		t.Fatal(err)
	}
	want := natsconn.Flags{URL: "nats://127.0.0.1:4222", Creds: "a.creds", User: "u", PasswordFile: "pw", TokenFile: "tok", CA: "ca.pem", Cert: "c.pem", Key: "k.pem"}
	if f != want {
		t.Errorf("parsed %+v, want %+v", f, want)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		f     natsconn.Flags
		wants []string // substrings of the error; none = valid
	}{
		{"zero", natsconn.Flags{}, nil},
		{"url only", natsconn.Flags{URL: "nats://127.0.0.1:4222"}, nil},
		{"cluster", natsconn.Flags{URL: "nats://a:4222, tls://b:4222"}, nil},
		{"user", natsconn.Flags{URL: "nats://h:1", User: "u", PasswordFile: "f"}, nil},
		{"tls", natsconn.Flags{URL: "tls://h:1", CA: "ca", Cert: "c", Key: "k"}, nil},
		{"flags without url", natsconn.Flags{Creds: "x"}, []string{"need -nats URL"}},
		{"no scheme", natsconn.Flags{URL: "127.0.0.1"}, []string{"not a URL"}},
		{"http", natsconn.Flags{URL: "http://h:1"}, []string{`scheme "http"`}},
		{"creds and user", natsconn.Flags{URL: "nats://h:1", Creds: "c", User: "u", PasswordFile: "f"}, []string{"give one"}},
		{"token and creds", natsconn.Flags{URL: "nats://h:1", Creds: "c", TokenFile: "t"}, []string{"give one"}},
		{"token", natsconn.Flags{URL: "nats://h:1", TokenFile: "t"}, nil},
		{"user alone", natsconn.Flags{URL: "nats://h:1", User: "u"}, []string{"go together"}},
		{"cert alone", natsconn.Flags{URL: "nats://h:1", Cert: "c"}, []string{"-nats-cert and -nats-key"}},
		{"all wrong", natsconn.Flags{URL: "ftp://h", PasswordFile: "f", Key: "k"}, []string{"scheme", "-nats-user and", "-nats-cert and"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.f.Validate()
			if len(tc.wants) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate = nil, want %q", tc.wants)
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate = %q, want it to say %q", err, w)
				}
			}
		})
	}
}

func TestValidateNeverQuotesTheURL(t *testing.T) {
	f := natsconn.Flags{URL: "nats://u:" + canaryPassword + "@h:1\x7f"}
	if err := f.Validate(); err == nil || strings.Contains(err.Error(), canaryPassword) {
		t.Errorf("Validate = %v: want an error that does not quote the password", err)
	}
}

// startServer runs a nats-server that wants user "reader" with
// canaryPassword, over TLS when tc is set.
func startServer(t *testing.T, tc *tls.Config) string {
	t.Helper()
	opts := &server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true,
		Users: []*server.User{{Username: "reader", Password: canaryPassword}}}
	if tc != nil {
		opts.TLSConfig, opts.TLS, opts.TLSVerify = tc, true, tc.ClientAuth == tls.RequireAndVerifyClientCert
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	return ns.ClientURL()
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConnectWithUserAndPasswordFile(t *testing.T) {
	url := startServer(t, nil)
	dir := t.TempDir()
	good := writeFile(t, dir, "good", canaryPassword+"\nignored\n")
	bad := writeFile(t, dir, "bad", "not-the-password\n")
	empty := writeFile(t, dir, "empty", "\n")
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	nc, err := natsconn.Flags{URL: url, User: "reader", PasswordFile: good}.Connect("test", log)
	if err != nil {
		t.Fatalf("Connect with the right password: %v", err)
	}
	nc.Close()

	for name, f := range map[string]natsconn.Flags{
		"wrong password": {URL: url, User: "reader", PasswordFile: bad},
		"empty file":     {URL: url, User: "reader", PasswordFile: empty},
		"missing file":   {URL: url, User: "reader", PasswordFile: filepath.Join(dir, "none")},
		"no login":       {URL: url},
		"missing creds":  {URL: url, Creds: filepath.Join(dir, "none.creds")},
	} {
		t.Run(name, func(t *testing.T) {
			nc, err := f.Connect("test", log)
			if err == nil {
				nc.Close()
				t.Fatal("Connect = nil, want an error")
			}
			if strings.Contains(err.Error(), canaryPassword) {
				t.Errorf("the error quotes the password: %v", err)
			}
			t.Logf("%s: %v", name, err)
		})
	}
	if strings.Contains(logs.String(), canaryPassword) {
		t.Errorf("the log holds the password:\n%s", logs.String())
	}
}

func TestConnectWithTokenFile(t *testing.T) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true, Authorization: canaryPassword})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	dir := t.TempDir()
	nc, err := natsconn.Flags{URL: ns.ClientURL(), TokenFile: writeFile(t, dir, "tok", canaryPassword+"\n")}.Connect("test", nil)
	if err != nil {
		t.Fatalf("Connect with the right token: %v", err)
	}
	nc.Close()
	nc, err = natsconn.Flags{URL: ns.ClientURL(), TokenFile: writeFile(t, dir, "bad", "wrong\n")}.Connect("test", nil)
	if err == nil {
		nc.Close()
		t.Fatal("Connect with a wrong token = nil, want an error")
	}
	if strings.Contains(err.Error(), canaryPassword) {
		t.Errorf("the error quotes the token: %v", err)
	}
}

func TestConnectOverTLSWithClientCertificate(t *testing.T) {
	dir := t.TempDir()
	pki := newPKI(t, dir)
	url := startServer(t, &tls.Config{
		Certificates: []tls.Certificate{pki.server}, ClientCAs: pki.pool,
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12,
	})
	pw := writeFile(t, dir, "pw", canaryPassword+"\n")
	base := natsconn.Flags{URL: url, User: "reader", PasswordFile: pw}

	withAll := base
	withAll.CA, withAll.Cert, withAll.Key = pki.caFile, pki.certFile, pki.keyFile
	nc, err := withAll.Connect("test", nil)
	if err != nil {
		t.Fatalf("Connect with CA and client certificate: %v", err)
	}
	if !nc.TLSRequired() {
		t.Error("the connection is not TLS")
	}
	nc.Close()

	noCert := base
	noCert.CA = pki.caFile
	if nc, err := noCert.Connect("test", nil); err == nil {
		nc.Close()
		t.Error("Connect without the client certificate = nil, want the server to refuse")
	}
	noCA := withAll
	noCA.CA = ""
	if nc, err := noCA.Connect("test", nil); err == nil {
		nc.Close()
		t.Error("Connect without -nats-ca = nil, want the server's certificate untrusted")
	}
}

type pki struct {
	pool                      *x509.CertPool
	server                    tls.Certificate
	caFile, certFile, keyFile string
}

// newPKI makes a CA, a server certificate for 127.0.0.1 and a client
// certificate, and writes the CA and the client's pair as PEM files.
func newPKI(t *testing.T, dir string) pki {
	t.Helper()
	caKey := newKey(t)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(serial int64, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey) {
		key := newKey(t)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "127.0.0.1"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			KeyUsage: x509.KeyUsageDigitalSignature,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, key
	}
	srvDER, srvKey := issue(2, x509.ExtKeyUsageServerAuth)
	cliDER, cliKey := issue(3, x509.ExtKeyUsageClientAuth)
	p := pki{pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	p.server = tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}
	p.caFile = writeFile(t, dir, "ca.pem", pemOf("CERTIFICATE", caDER))
	p.certFile = writeFile(t, dir, "client.pem", pemOf("CERTIFICATE", cliDER))
	keyDER, err := x509.MarshalECPrivateKey(cliKey)
	if err != nil {
		t.Fatal(err)
	}
	p.keyFile = writeFile(t, dir, "client-key.pem", pemOf("EC PRIVATE KEY", keyDER))
	return p
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pemOf(kind string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}))
}
