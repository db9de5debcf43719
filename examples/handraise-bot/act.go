package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"sync"
	"time"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/control"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/token"
)

// actQueue bounds what the meeting's event goroutine hands the actor; when
// it is full the sighting is dropped and logged, so acting never holds up
// the meeting (the next push about the same person is seen again).
const actQueue = 64

// sighting is what the event goroutine tells the actor: a hand went up or
// down, someone left, someone waits.
type sighting struct {
	kind    meeting.ChangeKind // HandRaised, HandLowered, ParticipantLeft; "" = waiting
	pid     string
	name    string
	waiting []meeting.WaitingMember
}

// actor lowers hands that stayed up too long and admits waiting-room
// members whose name matches, from a goroutine of its own: the event
// goroutine only queues sightings, and every REST call runs here. Nothing
// is queued while the API is unreachable: a failed action is logged and
// not retried later, so the bot never acts on a stale picture.
type actor struct {
	ctl        *control.Client
	state      *meeting.State
	lowerAfter time.Duration  // 0: hands are left alone
	admit      *regexp.Regexp // nil: nobody is admitted
	clock      clock.Clock
	log        *slog.Logger
	report     func(at time.Time, n notice)

	in     chan sighting
	cancel context.CancelFunc // ends run
	done   chan struct{}      // closed when run returned

	// Owned by run's goroutine.
	hands    map[string]raisedHand // hands up, by pid
	admitted map[string]bool       // pids an admission was tried for
}

type raisedHand struct {
	name string
	due  time.Time
}

// newActor returns nil when neither lowering nor admitting is asked for.
func newActor(ctl *control.Client, state *meeting.State, cfg config, log *slog.Logger, report func(time.Time, notice)) (*actor, error) {
	if cfg.LowerAfter <= 0 && cfg.Admit == "" {
		return nil, nil
	}
	a := &actor{
		ctl: ctl, state: state, lowerAfter: cfg.LowerAfter, clock: clock.OrReal(cfg.Clock), log: log, report: report,
		in: make(chan sighting, actQueue), done: make(chan struct{}),
		hands: map[string]raisedHand{}, admitted: map[string]bool{},
	}
	if cfg.Admit != "" {
		re, err := regexp.Compile(cfg.Admit)
		if err != nil {
			return nil, fmt.Errorf("handraise-bot: -admit: %w", err)
		}
		a.admit = re
	}
	return a, nil
}

// changed hands a's goroutine the changes it acts on. Safe on a nil actor.
func (a *actor) changed(c meeting.Change) {
	if a == nil || a.lowerAfter <= 0 {
		return
	}
	switch c.Kind {
	case meeting.HandRaised, meeting.HandLowered, meeting.ParticipantLeft:
		a.send(sighting{kind: c.Kind, pid: c.PID, name: c.Name})
	}
}

// handler wraps h so that a also sees the waiting room after each push of
// it. It returns h itself for a nil actor.
func (a *actor) handler(h events.Handler) events.Handler {
	if a == nil || a.admit == nil {
		return h
	}
	return events.HandlerFunc(func(ctx context.Context, e events.Event) {
		h.HandleEvent(ctx, e)
		if p, ok := e.(*events.Push); ok && p.Action == events.ActionWaitingList {
			if w := a.state.Snapshot().WaitingRoom; len(w) > 0 {
				a.send(sighting{waiting: w})
			}
		}
	})
}

func (a *actor) send(s sighting) {
	select {
	case a.in <- s:
	default:
		a.log.Warn("handraise-bot: busy acting; a sighting was dropped", "pid", s.pid)
	}
}

// run acts until ctx is done or stop is called. Start it once.
func (a *actor) run(ctx context.Context) {
	defer close(a.done)
	var timer clock.Timer
	var fire <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return
		case s := <-a.in:
			a.see(ctx, s)
		case <-fire:
			a.lowerDue(ctx)
		}
		if timer != nil {
			timer.Stop()
			timer, fire = nil, nil
		}
		if next, ok := a.nextDue(); ok {
			timer = a.clock.NewTimer(next.Sub(a.clock.Now()))
			fire = timer.C()
		}
	}
}

// stop ends run, abandoning an action in flight, and waits for it to
// return. Safe on a nil actor.
func (a *actor) stop() {
	if a != nil {
		a.cancel()
		<-a.done
	}
}

func (a *actor) see(ctx context.Context, s sighting) {
	switch s.kind {
	case meeting.HandRaised:
		a.hands[s.pid] = raisedHand{name: cmp.Or(s.name, s.pid), due: a.clock.Now().Add(a.lowerAfter)}
	case meeting.HandLowered, meeting.ParticipantLeft:
		delete(a.hands, s.pid)
	case "":
		for _, m := range s.waiting {
			if !m.Admitted && !a.admitted[m.PID] && a.admit.MatchString(m.Name) {
				a.admitted[m.PID] = true
				a.admitOne(ctx, m)
			}
		}
	}
}

func (a *actor) nextDue() (time.Time, bool) {
	var next time.Time
	for _, h := range a.hands {
		if next.IsZero() || h.due.Before(next) {
			next = h.due
		}
	}
	return next, !next.IsZero()
}

// lowerDue lowers every hand whose time is up and that the meeting still
// shows raised.
func (a *actor) lowerDue(ctx context.Context) {
	now := a.clock.Now()
	snap := a.state.Snapshot()
	for pid, h := range a.hands {
		if now.Before(h.due) {
			continue
		}
		delete(a.hands, pid)
		if p, ok := snap.Participant(pid); !ok || !p.HandRaised {
			continue
		}
		err := a.ctl.SetHands(ctx, false, control.ParticipantID(pid))
		if err != nil {
			a.log.Warn("handraise-bot: could not lower a hand", "pid", pid, "err", err)
			continue
		}
		a.report(now, notice{Kind: "HandLoweredByBot", PID: pid, Name: h.name,
			Text: fmt.Sprintf("lowered %s's hand: up for %v", h.name, a.lowerAfter)})
	}
}

func (a *actor) admitOne(ctx context.Context, m meeting.WaitingMember) {
	err := a.ctl.Admit(ctx, control.ParticipantID(m.PID))
	switch {
	case errors.Is(err, token.ErrParticipantNotFound):
		a.log.Info("handraise-bot: already gone from the waiting room", "pid", m.PID)
	case err != nil:
		a.log.Warn("handraise-bot: could not admit", "pid", m.PID, "err", err)
	default:
		name := cmp.Or(m.Name, m.PID)
		a.report(a.clock.Now(), notice{Kind: "Admitted", PID: m.PID, Name: m.Name,
			Text: fmt.Sprintf("admitted %s from the waiting room", name)})
	}
}

// lockedWriter serialises the lines of the event goroutine and the actor.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// startActor starts the actor cfg asks for on tokens, reporting to out
// and hook; it returns nil when cfg asks for none. Stop it with stop.
func startActor(ctx context.Context, cfg config, tokens *token.Provider, state *meeting.State, out io.Writer, hook *webhook, log *slog.Logger) (*actor, error) {
	if !cfg.acts() {
		return nil, nil
	}
	if tokens == nil {
		return nil, errors.New("handraise-bot: acting needs the meeting's credentials")
	}
	ctl, err := control.New(control.Config{Tokens: tokens, Logger: log, Clock: cfg.Clock})
	if err != nil {
		return nil, err
	}
	report := func(at time.Time, n notice) {
		n.Conference, n.At = cfg.Conference, at
		fmt.Fprintf(out, "%s  %s\n", at.Local().Format(time.TimeOnly), n.Text)
		hook.Send(n)
	}
	a, err := newActor(ctl, state, cfg, log, report)
	if a == nil || err != nil {
		return nil, err
	}
	ctx, a.cancel = context.WithCancel(ctx)
	go a.run(ctx)
	return a, nil
}
