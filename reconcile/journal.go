package reconcile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/ferryml/ferry/eval"
	"github.com/ferryml/ferry/reconcile/records"
)

// journal remembers finished actions by idempotency key under
// <root>/.ferry/journal, one JSON file per action, written atomically. A rerun
// after a crash finds the expensive results (a trained artifact, an
// evaluation, a gate decision) there instead of redoing them.
type journal struct{ dir string }

// entry is one finished action's output.
type entry struct {
	Key  string     `json:"key"`
	Kind ActionKind `json:"kind"`
	Plan string     `json:"plan"`
	// Train
	Artifact   string             `json:"artifact,omitempty"`
	Metrics    map[string]float64 `json:"metrics,omitempty"`
	Info       map[string]any     `json:"info,omitempty"`
	Rows       int                `json:"rows,omitempty"`
	TrainRows  int                `json:"trainRows,omitempty"`
	EvalRows   int                `json:"evalRows,omitempty"`
	StartedAt  string             `json:"startedAt,omitempty"`
	FinishedAt string             `json:"finishedAt,omitempty"`
	Seconds    float64            `json:"seconds,omitempty"`
	// Evaluate
	Report *eval.Report `json:"report,omitempty"`
	// Profile is the digest of the reference profile stored with the report.
	Profile string `json:"profile,omitempty"`
	// Gate
	Gate *records.GateRecord `json:"gate,omitempty"`
	// Production is what the gate compared with when it was not the
	// production version's recorded evaluation (a run on a drift window).
	Production *eval.Report `json:"production,omitempty"`
}

func openJournal(root string) (*journal, error) {
	dir := filepath.Join(root, ".ferry", "journal")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return &journal{dir: dir}, nil
}

func (j *journal) path(key string) string { return filepath.Join(j.dir, key+".json") }

func (j *journal) get(key string) (*entry, bool) {
	b, err := os.ReadFile(j.path(key))
	if err != nil {
		return nil, false
	}
	var e entry
	if json.Unmarshal(b, &e) != nil || e.Key != key {
		return nil, false // a torn or foreign file: redo the action
	}
	return &e, true
}

func (j *journal) put(e *entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("journal %s: %w", e.Key, err)
	}
	tmp, err := os.CreateTemp(j.dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("journal %s: %w", e.Key, err)
	}
	if _, err := tmp.Write(b); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), j.path(e.Key))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("journal %s: %w", e.Key, err)
	}
	return nil
}

// forget drops entries once their results are in git.
func (j *journal) forget(keys []string) {
	for _, k := range keys {
		os.Remove(j.path(k))
	}
}

// ErrLocked is returned (wrapped) when another apply holds the repository's lock.
var ErrLocked = errors.New("another ferry apply is running on this repository")

// lock is <root>/.ferry/apply.lock holding the owner's pid.
type lock struct{ path string }

func acquireLock(root string) (*lock, error) {
	dir := filepath.Join(root, ".ferry")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	p := filepath.Join(dir, "apply.lock")
	for attempt := 0; attempt < 3; attempt++ {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			fmt.Fprintf(f, "%d\n", os.Getpid())
			f.Close()
			return &lock{path: p}, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("lock %s: %w", p, err)
		}
		b, _ := os.ReadFile(p)
		pid, perr := strconv.Atoi(strings.TrimSpace(string(b)))
		if perr == nil && pid > 0 && alive(pid) {
			return nil, fmt.Errorf("%w (pid %d holds %s); wait for it to finish", ErrLocked, pid, p)
		}
		if perr != nil && attempt == 0 {
			// Being written right now, or garbage: look once more.
			continue
		}
		// The owner is gone: the lock is stale.
		os.Remove(p)
	}
	return nil, fmt.Errorf("%w (could not take %s)", ErrLocked, p)
}

func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

func (l *lock) release() { os.Remove(l.path) }
