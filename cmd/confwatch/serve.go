package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/confwatch/confwatch/fleet"
	"github.com/confwatch/confwatch/internal/demo"
)

// serveFlags are demo's --serve flags.
type serveFlags struct {
	addr     string
	meetings int
	churn    time.Duration
	dir      string
}

func (s *serveFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.addr, "serve", "", "serve fake meetings at `ADDR` (e.g. 127.0.0.1:8090) instead of tailing one")
	fs.IntVar(&s.meetings, "meetings", 1, "with --serve: how many meetings")
	fs.DurationVar(&s.churn, "churn", 2*time.Second, "with --serve: change each meeting this often")
	fs.StringVar(&s.dir, "dir", "", "with --serve: write the password files and meetings.json here (default a temporary directory, removed on exit)")
}

// serveInfo is the line --serve prints on stdout once it is ready.
type serveInfo struct {
	API          string   `json:"api"`
	Counters     string   `json:"counters"`
	MeetingsFile string   `json:"meetingsFile"`
	Conferences  []string `json:"conferences"`
}

func cmdServe(ctx context.Context, s *serveFlags, w *watchFlags, e env) int {
	if s.meetings < 1 || s.meetings > 10000 || s.churn <= 0 {
		return flagOutcome(false, usagef("--meetings must be 1 to 10000 and --churn positive"), e)
	}
	log := newLogger(e.stderr, e.stderrTTY, w.logFormat, w.logLevel)
	err := runServe(ctx, s, e, log)
	return exitCode(err, log, func(m string) { fmt.Fprint(e.stderr, m) })
}

func runServe(ctx context.Context, s *serveFlags, e env, log *slog.Logger) error {
	svc, err := demo.NewService(demo.ServiceConfig{Addr: s.addr, Meetings: s.meetings})
	if err != nil {
		return err
	}
	defer svc.Close()
	dir := s.dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "confwatch-demo-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	var ms []fleet.Meeting
	for _, id := range svc.ConferenceIDs() {
		pw := filepath.Join(dir, id+".pw")
		if err := os.WriteFile(pw, []byte(svc.HostPassword(id)+"\n"), 0o600); err != nil {
			return err
		}
		ms = append(ms, fleet.Meeting{Conference: id, PasswordFile: pw})
	}
	file := filepath.Join(dir, "meetings.json")
	b, _ := json.MarshalIndent(map[string]any{"meetings": ms}, "", "  ")
	if err := os.WriteFile(file, append(b, '\n'), 0o600); err != nil {
		return err
	}

	cctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i, id := range svc.ConferenceIDs() {
		wg.Add(1)
		go func(srv func() error) {
			defer wg.Done()
			if err := srv(); err != nil && cctx.Err() == nil {
				log.Warn("demo: churn stopped", slog.Any("err", err))
			}
		}(func() error {
			// Stagger the meetings, so that their changes do not all come
			// at once.
			select {
			case <-cctx.Done():
				return nil
			case <-time.After(s.churn * time.Duration(i) / time.Duration(s.meetings)):
			}
			return demo.Churn(cctx, svc.Meeting(id), s.churn)
		})
	}
	info, _ := json.Marshal(serveInfo{API: svc.URL(), Counters: svc.URL() + demo.CountersPath, MeetingsFile: file, Conferences: svc.ConferenceIDs()})
	fmt.Fprintf(e.stdout, "%s\n", info)
	log.Info("fake meetings served", slog.String("api", svc.URL()), slog.Int("meetings", s.meetings), slog.String("meetingsFile", file))
	<-ctx.Done()
	cancel()
	wg.Wait()
	return ctx.Err()
}
