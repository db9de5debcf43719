package fleet

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/internal/record"
)

// HeaderWorker names, on every published record, the worker that
// published it.
const HeaderWorker = "Confwatch-Worker"

// publisher turns one meeting's events into records on the stream. Its
// methods run on the session's event goroutine.
type publisher struct {
	js     jetstream.JetStream
	conf   string
	worker string
	filter map[string]bool // nil = every action, as tail with no --events
	log    *slog.Logger
	c      *counters
	// subscribed is set when the session's first Subscribed is published.
	subscribed atomic.Bool
}

func newPublisher(js jetstream.JetStream, m Meeting, worker string, log *slog.Logger, c *counters) *publisher {
	p := &publisher{js: js, conf: m.Conference, worker: worker, log: log, c: c}
	if len(m.Types) > 0 {
		p.filter = map[string]bool{}
		for _, t := range m.Types {
			p.filter[t] = true
		}
	}
	return p
}

// event publishes what tail prints for e: the push, or the status.
func (p *publisher) event(e events.Event) {
	if push, ok := e.(*events.Push); ok && p.filter != nil && !p.filter[push.Action] {
		return
	}
	r, ok := record.FromEvent(p.conf, e)
	if !ok {
		return
	}
	if _, ok := e.(*events.Subscribed); ok {
		p.subscribed.Store(true)
	}
	subject := SubjectPrefix + "." + p.conf + "." + r.Kind
	if r.Kind == record.KindPush {
		subject += "." + subjectToken(r.Action)
	}
	p.publish(subject, r)
}

// end publishes the record of the meeting's end: status ended, exit code
// 0, as tail prints it last.
func (p *publisher) end(at time.Time) {
	p.publish(SubjectPrefix+"."+p.conf+"."+record.KindStatus, record.End(p.conf, at, record.StatusEnded, "", "", 0))
}

// change publishes a semantic change.
func (p *publisher) change(c meeting.Change) {
	p.publish(SubjectPrefix+"."+p.conf+".change."+subjectToken(string(c.Kind)), record.Change(p.conf, c))
}

func (p *publisher) publish(subject string, r record.Record) {
	data := r.Marshal()
	sum := sha256.Sum256(data)
	m := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{}}
	m.Header.Set(jetstream.MsgIDHeader, p.conf+"-"+hex.EncodeToString(sum[:12]))
	m.Header.Set(HeaderWorker, p.worker)
	if _, err := p.js.PublishMsgAsync(m); err != nil {
		p.c.publishErrors.Add(1)
		p.log.Warn("fleet: record not published", slog.String("subject", subject), slog.Any("err", err))
		return
	}
	p.c.published.Add(1)
}

// subjectToken makes s a single subject token: a server could send an action
// with dots or wildcards in it.
func subjectToken(s string) string {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return "unknown"
		}
	}
	if s == "" {
		return "unknown"
	}
	return s
}

// counters are a worker's totals, shared by its holders.
type counters struct {
	claims, taken, renewals, renewFailures, fences, releases, handovers atomic.Int64
	published, publishErrors, stateWrites, stateErrors, stateSkipped    atomic.Int64
}
