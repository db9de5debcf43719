package scenario

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// RaiseOpenFileLimit raises this process's soft open-file limit to its
// hard limit: the scale scenario holds 10,000 sockets, more than a usual
// soft limit allows.
func RaiseOpenFileLimit() error {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return fmt.Errorf("scenario: getrlimit: %w", err)
	}
	if l.Cur >= l.Max {
		return nil
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return fmt.Errorf("scenario: setrlimit: %w", err)
	}
	return nil
}

// openFileLimit returns the soft open-file limit.
func openFileLimit() uint64 {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) != nil {
		return 0
	}
	return l.Cur
}

func pidSelf() int { return os.Getpid() }

// processCPU returns the user plus system CPU time this process used.
func processCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("scenario: getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// rssBytes reads VmRSS of process pid from /proc.
func rssBytes(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("scenario: rss: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			break
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("scenario: rss: %w", err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("scenario: rss: no VmRSS in /proc/%d/status", pid)
}

// memSnapshot is the live heap and the goroutine stacks after a full GC.
type memSnapshot struct {
	heap, stacks uint64
	stackUsed    uint64 // stack bytes the last GC scanned: what goroutines use of their stacks
	mallocs      uint64
	goroutines   int
}

// settledMem collects garbage several times, then reads the heap and
// stacks: a single GC can leave objects that a finalizer or a pool still
// held.
func settledMem() memSnapshot {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	// Each GC halves a stack that uses under a quarter of it: several
	// cycles let stacks grown during setup shrink to what they keep.
	for range 8 {
		runtime.GC()
	}
	runtime.ReadMemStats(&ms)
	scanned := []metrics.Sample{{Name: "/gc/scan/stack:bytes"}}
	metrics.Read(scanned)
	var used uint64
	if scanned[0].Value.Kind() == metrics.KindUint64 {
		used = scanned[0].Value.Uint64()
	}
	return memSnapshot{heap: ms.HeapAlloc, stacks: ms.StackInuse, stackUsed: used, mallocs: ms.Mallocs, goroutines: runtime.NumGoroutine()}
}

// allocCounters reads the allocation counters without a GC.
func allocCounters() (mallocs, bytes uint64) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs, ms.TotalAlloc
}

// loadAvg returns the first three fields of /proc/loadavg, or "?".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
