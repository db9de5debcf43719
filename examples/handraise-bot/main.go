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
//	go run ./examples/handraise-bot -nats nats://127.0.0.1:4222 -conference 986112045 -webhook https://hooks.example.com/T/B/x
//
// With -nats the bot logs in to nothing: it reads the meeting from the
// stream a confwatch fleet publishes (package fleet/feed), as a read-only
// reporter that needs only the NATS flags (-nats-creds, -nats-user with
// -nats-password-file, or -nats-token-file; -nats-ca, -nats-cert and
// -nats-key for TLS), and
// CONFWATCH_HOST_PASSWORD is not read. Acting is the exception: lowering
// hands and admitting go through the meeting's control API, so with
// -lower-after or -admit the bot also needs CONFWATCH_HOST_PASSWORD (and
// -api), used for those calls only, never for a socket of its own: the
// fleet's worker stays the meeting's only listener.
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

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/examples/internal/natsconn"
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
	// LowerAfter, when positive, lowers a hand that stayed up this long.
	LowerAfter time.Duration
	// Admit, when set, admits waiting-room members whose name matches this
	// regular expression.
	Admit string
	// Clock times LowerAfter. Nil means the wall clock.
	Clock clock.Clock
	// MetricsAddr, when set, serves /metrics, /healthz and /readyz there.
	MetricsAddr string
	// NATS, when its URL is set, reads Conference from a confwatch
	// fleet's stream instead of logging in to it: Password (with API) is
	// then needed only to act.
	NATS natsconn.Flags
}

// acts reports whether c asks the bot to act on the meeting, which takes
// the control API and so the meeting's credentials.
func (c config) acts() bool { return c.LowerAfter > 0 || c.Admit != "" }

// Validate reports every problem with c, joined.
func (c config) Validate() error {
	var errs []error
	if err := c.NATS.Validate(); err != nil {
		errs = append(errs, err)
	}
	switch {
	case !c.NATS.Enabled() && (c.Conference == "") != c.Password.IsZero():
		errs = append(errs, errors.New("handraise-bot: give -conference and CONFWATCH_HOST_PASSWORD together, or neither for the demo"))
	case c.NATS.Enabled() && c.Conference == "":
		errs = append(errs, errors.New("handraise-bot: -nats needs -conference: the meeting of the fleet to watch"))
	case c.NATS.Enabled() && c.acts() && c.Password.IsZero():
		errs = append(errs, errors.New("handraise-bot: with -nats the bot only reports; acting (-lower-after, -admit) goes through the meeting's control API and needs CONFWATCH_HOST_PASSWORD"))
	}
	if c.NATS.Enabled() && c.MetricsAddr != "" {
		errs = append(errs, errors.New("handraise-bot: -metrics-addr measures the bot's own session, which -nats does not have"))
	}
	return errors.Join(errs...)
}

const usage = `handraise-bot reports hands going up and down, joins while the meeting is
locked and recording starting, on stdout and with -webhook as JSON POSTs.

  handraise-bot -speed 10                           the built-in demo meeting
  CONFWATCH_HOST_PASSWORD=... handraise-bot -conference ID [-lower-after 2m] [-admit '^Guest']
  handraise-bot -nats nats://127.0.0.1:4222 -conference ID [-webhook URL]

With -nats the bot reads the meeting from a confwatch fleet's stream and is a
read-only reporter: it needs only the -nats-* flags, and CONFWATCH_HOST_PASSWORD
is not read. Acting is the exception: -lower-after and -admit call the
meeting's control API, so with -nats they also need CONFWATCH_HOST_PASSWORD
(and -api), used for those calls only; the bot opens no socket of its own, and
the fleet's worker stays the meeting's only listener.

`

func main() {
	cfg := config{Password: secret.New(os.Getenv("CONFWATCH_HOST_PASSWORD"))}
	flag.StringVar(&cfg.Conference, "conference", "", "meeting `ID`, with CONFWATCH_HOST_PASSWORD (neither: the built-in demo meeting)")
	flag.StringVar(&cfg.API, "api", token.DefaultBaseURL, "meeting API base `URL`")
	flag.StringVar(&cfg.Webhook.URL, "webhook", "", "also POST each notice as JSON to `URL`")
	flag.Float64Var(&cfg.Speed, "speed", 1, "demo meeting: play it this many times faster")
	flag.DurationVar(&cfg.LowerAfter, "lower-after", 0, "lower a hand that stayed up this long, e.g. 2m (default: never)")
	flag.StringVar(&cfg.Admit, "admit", "", "admit waiting-room members whose name matches this regular `PATTERN` (default: nobody)")
	flag.StringVar(&cfg.MetricsAddr, "metrics-addr", "", "serve /metrics, /healthz and /readyz on `host:port`, e.g. 127.0.0.1:9464 (default off)")
	cfg.NATS.Register(flag.CommandLine)
	flag.Usage = func() { fmt.Fprint(flag.CommandLine.Output(), usage); flag.PrintDefaults() }
	flag.Parse()
	if cfg.NATS.Enabled() && !cfg.acts() {
		cfg.Password = secret.Secret{} // reporting from a fleet needs no meeting credentials
	}
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
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.Conference == "" {
		stop, err := startDemo(ctx, &cfg, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	var hook *webhook // nil: stdout only (Send and drain on nil do nothing)
	if cfg.Webhook.URL != "" {
		var err error
		if hook, err = newWebhook(cfg.Webhook); err != nil {
			return err
		}
	}
	defer hook.drain(10 * time.Second) // the last notices go out; a dead webhook cannot hang the exit
	src, err := openSource(cfg, log)
	if err != nil {
		return err
	}
	defer src.close()
	out = &lockedWriter{w: out} // the actor prints too
	var state *meeting.State
	var bot *actor // nil unless -lower-after or -admit
	state, err = src.newState(ctx, meeting.Config{
		// OnChange runs on the event goroutine, after the snapshot holding
		// the change is published: printing is quick and the webhook only
		// queues, so a slow webhook never holds up the meeting.
		OnChange: func(c meeting.Change) {
			bot.changed(c)
			n, ok := noticeOf(c, cfg.Conference, state.Snapshot())
			if !ok {
				return
			}
			fmt.Fprintf(out, "%s  %s\n", c.At.Local().Format(time.TimeOnly), n.Text)
			hook.Send(n)
		},
	})
	if err != nil {
		return err
	}
	if bot, err = startActor(ctx, cfg, src.tokens, state, out, hook, log); err != nil {
		return err
	}
	defer bot.stop()
	// From here every change is reported (with -nats the State already
	// holds the stored picture, so what happens now is news).
	log.Info("handraise-bot: watching", "conference", cfg.Conference, "acting", bot != nil)
	if err := src.run(ctx, bot.handler(state)); err != nil && !errors.Is(err, connector.ErrMeetingEnded) && ctx.Err() == nil {
		return err
	}
	return nil
}

// noticeOf is the notice a change makes, if the bot reports it: hands
// going up and down, a join while the meeting is locked, recording
// starting.
func noticeOf(c meeting.Change, conference string, s *meeting.Snapshot) (notice, bool) {
	n := notice{Kind: string(c.Kind), Text: c.String(), Conference: conference, PID: c.PID, Name: c.Name, At: c.At, Inferred: c.Inferred}
	switch {
	case c.Kind == meeting.ParticipantJoined && s.Status.Locked:
		n.Kind, n.Text = "JoinedWhileLocked", cmp.Or(c.Name, c.PID)+" joined the locked meeting"
		if c.Inferred {
			n.Text += " (while disconnected)"
		}
	case c.Kind == meeting.HandRaised, c.Kind == meeting.HandLowered, c.Kind == meeting.RecordingStarted:
	default:
		return n, false
	}
	return n, true
}

// startDemo starts the built-in demo meeting, points cfg at it and plays
// its script once the bot subscribed. stop ends both.
func startDemo(ctx context.Context, cfg *config, log *slog.Logger) (stop func(), err error) {
	srv, err := demo.Start()
	if err != nil {
		return nil, err
	}
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
	return func() { cancel(); wg.Wait(); srv.Close() }, nil
}
