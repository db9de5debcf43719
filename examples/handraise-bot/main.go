// Command handraise-bot watches a Huawei Cloud Meeting and reports what a
// host wants to hear about: hands going up and down, someone joining while
// the meeting is locked, recording starting. Each goes to stdout as one line
// and, with -webhook, as a JSON notice POSTed to a URL.
//
//	go run ./examples/handraise-bot -speed 10          # the built-in demo meeting
//	CONFWATCH_HOST_PASSWORD=... go run ./examples/handraise-bot -conference 986112045 -webhook https://hooks.example.com/T/B/x
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/internal/demo"
	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

// config is what the bot watches and where it reports. With neither
// Conference nor Password it plays the built-in demo meeting.
type config struct {
	Conference string
	Password   secret.Secret
	API        string
	Speed      float64 // demo only
	Webhook    webhookConfig
}

func main() {
	cfg := config{Password: secret.New(os.Getenv("CONFWATCH_HOST_PASSWORD"))}
	flag.StringVar(&cfg.Conference, "conference", "", "meeting `ID`, with CONFWATCH_HOST_PASSWORD (neither: the built-in demo meeting)")
	flag.StringVar(&cfg.API, "api", token.DefaultBaseURL, "meeting API base `URL`")
	flag.StringVar(&cfg.Webhook.URL, "webhook", "", "also POST each notice as JSON to `URL`")
	flag.Float64Var(&cfg.Speed, "speed", 1, "demo meeting: play it this many times faster")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg.Webhook.Logger = log
	if err := run(ctx, cfg, os.Stdout, log); err != nil {
		log.Error("handraise-bot stopped", "err", err)
		os.Exit(1)
	}
}

// run watches the meeting and returns nil when it ends or ctx is done.
func run(ctx context.Context, cfg config, out io.Writer, log *slog.Logger) error {
	if (cfg.Conference == "") != cfg.Password.IsZero() {
		return errors.New("handraise-bot: give -conference and CONFWATCH_HOST_PASSWORD together, or neither for the demo")
	}
	if cfg.Conference == "" {
		srv, err := demo.Start()
		if err != nil {
			return err
		}
		defer srv.Close()
		cfg.Conference, cfg.Password, cfg.API = srv.ConferenceID(), secret.New(srv.HostPassword()), srv.URL()
		pctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Go(func() {
			if srv.WaitSubscribed(pctx, 1) == nil { // let the bot see the opening roster first
				if err := demo.Play(pctx, srv, cfg.Speed, nil); err != nil && pctx.Err() == nil {
					log.Error("demo script failed", "err", err)
				}
			}
		})
		defer func() { cancel(); wg.Wait() }()
	}
	var hook *webhook // nil: stdout only (Send and drain on nil do nothing)
	if cfg.Webhook.URL != "" {
		var err error
		if hook, err = newWebhook(cfg.Webhook); err != nil {
			return err
		}
	}
	defer hook.drain(10 * time.Second) // the last notices go out; a dead webhook cannot hang the exit
	client, err := token.New(token.Config{BaseURL: cfg.API, Logger: log})
	if err != nil {
		return err
	}
	tokens, err := token.NewProvider(client, token.ProviderConfig{ConferenceID: cfg.Conference, Password: cfg.Password})
	if err != nil {
		return err
	}
	var sess *connector.Session
	var state *meeting.State
	state = meeting.New(meeting.Config{
		Resync: func(reason string) bool { return sess.Resync(reason) },
		// OnChange runs on the session's event goroutine, after the snapshot
		// holding the change is published: printing is quick and the webhook
		// only queues, so a slow webhook never holds up the meeting.
		OnChange: func(c meeting.Change) {
			n := notice{Kind: string(c.Kind), Text: c.String(), Conference: cfg.Conference, PID: c.PID, Name: c.Name, At: c.At, Inferred: c.Inferred}
			switch {
			case c.Kind == meeting.ParticipantJoined && state.Snapshot().Status.Locked:
				n.Kind, n.Text = "JoinedWhileLocked", cmp.Or(c.Name, c.PID)+" joined the locked meeting"
				if c.Inferred {
					n.Text += " (while disconnected)"
				}
			case c.Kind == meeting.HandRaised, c.Kind == meeting.HandLowered, c.Kind == meeting.RecordingStarted:
			default:
				return
			}
			fmt.Fprintf(out, "%s  %s\n", c.At.Local().Format(time.TimeOnly), n.Text)
			hook.Send(n)
		},
	})
	sess, err = connector.New(connector.Config{ConferenceID: cfg.Conference, Tokens: tokens, Handler: state, Logger: log})
	if err != nil {
		return err
	}
	if err := sess.Run(ctx); err != nil && !errors.Is(err, connector.ErrMeetingEnded) && ctx.Err() == nil {
		return err
	}
	return nil
}
