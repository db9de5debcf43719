// Command handraise-bot watches a Huawei Cloud Meeting and reports what a
// host wants to hear about: hands going up and down, someone joining while
// the meeting is locked, recording starting. Each goes to stdout as one line
// and, with -webhook, as a JSON notice POSTed to a URL. With -lower-after it
// lowers a hand that stayed up that long, and with -admit it lets in
// waiting-room members whose name matches; both are off by default and
// both report what they did.
//
//	go run ./examples/handraise-bot -speed 10          # the built-in demo meeting
//	go run ./examples/handraise-bot -speed 10 -lower-after 300ms -admit '^Guest'
//	CONFWATCH_HOST_PASSWORD=... go run ./examples/handraise-bot -conference 986112045 -webhook https://hooks.example.com/T/B/x
//	go run ./examples/handraise-bot -metrics-addr 127.0.0.1:9464   # with /metrics, /healthz, /readyz
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
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/internal/demo"
	"github.com/confwatch/confwatch/observability/endpoint"
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
	// LowerAfter, when positive, lowers a hand that stayed up this long.
	LowerAfter time.Duration
	// Admit, when set, admits waiting-room members whose name matches this
	// regular expression.
	Admit string
	// Clock times LowerAfter. Nil means the wall clock.
	Clock clock.Clock
	// MetricsAddr, when set, serves /metrics, /healthz and /readyz there.
	MetricsAddr string
}

func main() {
	cfg := config{Password: secret.New(os.Getenv("CONFWATCH_HOST_PASSWORD"))}
	flag.StringVar(&cfg.Conference, "conference", "", "meeting `ID`, with CONFWATCH_HOST_PASSWORD (neither: the built-in demo meeting)")
	flag.StringVar(&cfg.API, "api", token.DefaultBaseURL, "meeting API base `URL`")
	flag.StringVar(&cfg.Webhook.URL, "webhook", "", "also POST each notice as JSON to `URL`")
	flag.Float64Var(&cfg.Speed, "speed", 1, "demo meeting: play it this many times faster")
	flag.DurationVar(&cfg.LowerAfter, "lower-after", 0, "lower a hand that stayed up this long, e.g. 2m (default: never)")
	flag.StringVar(&cfg.Admit, "admit", "", "admit waiting-room members whose name matches this regular `PATTERN` (default: nobody)")
	flag.StringVar(&cfg.MetricsAddr, "metrics-addr", "", "serve /metrics, /healthz and /readyz on `host:port`, e.g. 127.0.0.1:9464 (default off)")
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
	out = &lockedWriter{w: out} // the actor prints too
	// The metrics endpoint comes up before the session, so that /readyz
	// says 503 until it subscribes.
	var observer *connector.Observer // nil: no metrics, at no cost
	if cfg.MetricsAddr != "" {
		ms, err := endpoint.Start(endpoint.Config{Addr: cfg.MetricsAddr, Logger: log})
		if err != nil {
			return err
		}
		defer func() {
			cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			ms.Close(cctx)
		}()
		observer = ms.Metrics().Observer(cfg.Conference)
	}
	sess, err := connector.New(connector.Config{ConferenceID: cfg.Conference, Tokens: tokens, Logger: log, Observer: observer,
		AllowPlainText: strings.HasPrefix(cfg.API, "http://")})
	if err != nil {
		return err
	}
	var state *meeting.State
	var bot *actor // nil unless -lower-after or -admit
	state = meeting.New(meeting.Config{
		Resync: sess.Resync,
		// OnChange runs on the session's event goroutine, after the snapshot
		// holding the change is published: printing is quick and the webhook
		// only queues, so a slow webhook never holds up the meeting.
		OnChange: func(c meeting.Change) {
			bot.changed(c)
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
	if bot, err = startActor(ctx, cfg, tokens, state, out, hook, log); err != nil {
		return err
	}
	defer bot.stop()
	if err := sess.Run(ctx, bot.handler(state)); err != nil && !errors.Is(err, connector.ErrMeetingEnded) && ctx.Err() == nil {
		return err
	}
	return nil
}
