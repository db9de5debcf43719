package scenario

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

// Source sends floods to one client at a time: the fake in a child process
// (Fake) or recorded frames replayed at memory speed (Replay).
type Source interface {
	// dialInfo returns a dial URL with a fresh ws token and the control
	// token for a bare client's Subscribe.
	dialInfo(ctx context.Context) (string, secret.Secret, error)
	// confID is the meeting's ID.
	confID() string
	// tokens returns a TokenSource for a session.
	tokens() (connector.TokenSource, error)
	// subscribed waits until the client just dialed is subscribed and its
	// snapshot burst is on the way.
	subscribed(ctx context.Context) error
	// push sends n flood frames of mix to the client, returning when all
	// are queued or written.
	push(n int, mix fakemeeting.FloodMix) error
}

// Fake is a fake meeting in a child process, for measurements that must
// count only the client's allocations and CPU.
type Fake struct {
	r   *remoteFake
	hc  *http.Client
	tc  *token.Client
	ctl *token.Control // shared by bare clients, obtained on first use
}

// StartFake spawns a fake meeting with a 50-person roster.
func StartFake(ctx context.Context, spawn SpawnFunc) (*Fake, error) {
	r, err := startRemote(ctx, spawn, Options{}.fakeArgs())
	if err != nil {
		return nil, err
	}
	hc := newHTTPClient()
	tc, err := newTokenClient(r.URL(), hc)
	if err != nil {
		r.Close()
		return nil, err
	}
	return &Fake{r: r, hc: hc, tc: tc}, nil
}

// Close stops the child.
func (f *Fake) Close() error {
	f.hc.CloseIdleConnections()
	return f.r.Close()
}

func (f *Fake) target() target {
	return target{api: f.r.URL(), confID: f.r.ConferenceID(), password: f.r.Password()}
}

func (f *Fake) dialInfo(ctx context.Context) (string, secret.Secret, error) {
	if f.ctl == nil {
		ctl, err := bareLogin(ctx, f.tc, f.target())
		if err != nil {
			return "", secret.Secret{}, err
		}
		f.ctl = ctl
	}
	ws, err := f.tc.WSToken(ctx, f.r.ConferenceID(), f.ctl.Token)
	if err != nil {
		return "", secret.Secret{}, fmt.Errorf("scenario: ws token: %w", err)
	}
	return connURL(f.ctl.WSURL, f.r.ConferenceID(), ws.Token), f.ctl.Token, nil
}

func (f *Fake) tokens() (connector.TokenSource, error) {
	p, err := token.NewProvider(f.tc, token.ProviderConfig{ConferenceID: f.r.ConferenceID(), Password: secret.New(f.r.Password())})
	if err != nil {
		return nil, fmt.Errorf("scenario: provider: %w", err)
	}
	return p, nil
}

func (f *Fake) confID() string { return f.r.ConferenceID() }

func (f *Fake) subscribed(context.Context) error { return f.r.WaitSubscribed(1, 20*time.Second) }

func (f *Fake) push(n int, mix fakemeeting.FloodMix) error {
	queued, err := f.r.Flood(n, mix, 60*time.Second+time.Duration(n)*100*time.Microsecond)
	if err != nil {
		return err
	}
	if queued != int64(n) {
		return fmt.Errorf("scenario: flood queued %d frames for %d pushes: the client's socket closed", queued, n)
	}
	return nil
}

func (r *Replay) dialInfo(context.Context) (string, secret.Secret, error) {
	ws, _ := replayTokens{r}.WSToken(context.Background())
	return connURL(r.URL(), r.confID(), ws.Token), secret.New("stbreplay"), nil
}

func (r *Replay) confID() string { return fakemeeting.DefaultConferenceID }

func (r *Replay) tokens() (connector.TokenSource, error) { return replayTokens{r}, nil }

func (r *Replay) subscribed(ctx context.Context) error { return r.accept(ctx, 20*time.Second) }

func (r *Replay) push(n int, _ fakemeeting.FloodMix) error { return r.Push(n) }

func connURL(base, confID string, tmp secret.Secret) string {
	return base + fakemeeting.PathWS + "?confID=" + url.QueryEscape(confID) + "&tmpToken=" + url.QueryEscape(tmp.Reveal())
}
