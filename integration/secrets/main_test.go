package secrets_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

// binary is the confwatch CLI, built once for the package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "confwatch-secrets")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "confwatch")
	// Built in its own module's directory, so that it builds with the
	// repository's go.work and with GOWORK=off alike.
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Dir = "../../cmd/confwatch"
	if out, err := build.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		panic("building confwatch: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			os.Stderr.WriteString("goleak: " + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}
