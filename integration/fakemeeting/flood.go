package fakemeeting

import (
	"context"
	"fmt"
)

// FloodMix chooses what Flood sends.
type FloodMix int

const (
	// FloodMixed alternates participant deltas and speaker changes (three
	// participant deltas per speaker change).
	FloodMixed FloodMix = iota
	// FloodParticipants sends only ParticipantsNotify deltas (MUTE/HAND
	// toggles of existing participants).
	FloodParticipants
	// FloodSpeakers sends only SpeakerChangeNotify full-state pushes.
	FloodSpeakers
)

// Flood generates n realistic pushes and delivers each to every socket
// subscribed to its type, blocking while a socket's queue is full (so it
// runs as fast as the sockets are written). The meeting state (View)
// changes as with the script API: participants toggle MUTE and HAND, the
// speaker set rotates. With no participants, two are joined first.
//
// One-shot faults (Faults.DuplicateNext, ReorderNext) do not apply to
// Flood's frames; SkipVersion does. Script calls made during a Flood wait for the
// current frame; do not Stall during a Flood unless ctx is bounded.
//
// It returns the number of frames queued (pushes × recipients).
func (m *Meeting) Flood(ctx context.Context, n int, mix FloodMix) (int64, error) {
	s := m.s
	if ctx == nil {
		ctx = context.Background()
	}
	if _, err := m.ensureFloodParticipants(); err != nil {
		return 0, err
	}
	var queued int64
	targets := make([]*conn, 0, 64)
	for i := 0; i < n; i++ {
		if err := ctx.Err(); err != nil {
			return queued, err
		}
		k, err := s.floodOne(ctx, i, mix, &targets)
		queued += k
		if err != nil {
			return queued, err
		}
	}
	return queued, nil
}

func (m *Meeting) ensureFloodParticipants() (int, error) {
	s := m.s
	s.mu.Lock()
	n := len(s.m.order)
	s.mu.Unlock()
	if n >= 2 {
		return n, nil
	}
	_, err := m.Join(Person{Name: "Flood A", Video: true}, Person{Name: "Flood B", Muted: true})
	return n + 2, err
}

func (s *Server) floodOne(ctx context.Context, i int, mix FloodMix, targets *[]*conn) (int64, error) {
	s.pushMu.Lock()
	defer s.pushMu.Unlock()

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return 0, ErrClosed
	}
	if s.m.state == StateDestroyed {
		s.mu.Unlock()
		return 0, ErrEnded
	}
	now := s.clk.Now()
	speakers := mix == FloodSpeakers || (mix == FloodMixed && i%4 == 3)
	var action string
	var b []byte
	np := len(s.m.order)
	if np == 0 {
		s.mu.Unlock()
		return 0, fmt.Errorf("fakemeeting: Flood: no participants")
	}
	if speakers {
		action = SpeakerChangeNotify
		var pids []string
		for j := 0; j < 3 && j < np; j++ {
			pids = append(pids, s.m.order[(i+j)%np])
		}
		sp, _ := s.speakersFor(pids)
		s.m.speakers = sp
		b, _ = s.snapshotLocked(action, now)
	} else {
		action = ParticipantsNotify
		p := s.m.parts[s.m.order[i%np]]
		key := "MUTE"
		if (i/np)%2 == 1 {
			key = "HAND"
		}
		v := "1"
		if p.info[key] == "1" {
			v = "0"
		}
		p.info[key] = v
		b = s.deltaFrame(action, []wireEntry{{PID: p.pid, Mode: 0, PinfoMap: map[string]string{key: v}}}, now)
	}
	*targets = (*targets)[:0]
	for c := range s.conns {
		if c.subs[action] {
			*targets = append(*targets, c)
		}
	}
	s.mu.Unlock()

	var queued int64
	f := &outFrame{kind: kindText, data: b}
	for _, c := range *targets {
		select {
		case c.send <- f:
			queued++
		case <-c.done:
		case <-ctx.Done():
			return queued, ctx.Err()
		}
	}
	return queued, nil
}
