package fleet

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/confwatch/confwatch/secret"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/confwatch/confwatch/events"
)

// Meeting is one entry of the desired set: a meeting to watch and where
// the worker finds its credential. It holds a reference to the secret,
// never the secret: exactly one of PasswordFile, PasswordEnv and
// ControlTokenFile is set, and the worker that runs the session resolves
// it on its own machine.
type Meeting struct {
	// Conference is the meeting ID: digits only.
	Conference string `json:"conference"`
	// Types are the push types to subscribe to. Empty means every type
	// the meeting supports.
	Types []string `json:"types,omitempty"`
	// PasswordFile names a file whose first line is the host password.
	PasswordFile string `json:"passwordFile,omitempty"`
	// PasswordEnv names an environment variable that holds the host
	// password.
	PasswordEnv string `json:"passwordEnv,omitempty"`
	// ControlTokenFile names a file whose first line is a meeting-control
	// token (it cannot be renewed without a password).
	ControlTokenFile string `json:"controlTokenFile,omitempty"`
}

// maxConferenceID bounds a conference ID's length.
const maxConferenceID = 32

// Validate reports every problem with m that needs no I/O, joined.
func (m Meeting) Validate() error {
	var errs []error
	switch {
	case m.Conference == "":
		errs = append(errs, errors.New("conference is required"))
	case len(m.Conference) > maxConferenceID || strings.Trim(m.Conference, "0123456789") != "":
		errs = append(errs, fmt.Errorf("conference %s: a meeting ID is 1 to %d digits", quoteID(m.Conference), maxConferenceID))
	}
	known := events.KnownActions()
	for _, t := range m.Types {
		if !slices.Contains(known, t) {
			errs = append(errs, fmt.Errorf("types: unknown push type %q; known: %s", t, strings.Join(known, ", ")))
		}
	}
	refs := 0
	for _, r := range []string{m.PasswordFile, m.PasswordEnv, m.ControlTokenFile} {
		if r != "" {
			refs++
		}
	}
	if refs != 1 {
		errs = append(errs, errors.New("exactly one of passwordFile, passwordEnv and controlTokenFile is required"))
	}
	return errors.Join(errs...)
}

// quoteID quotes a bad ID for an error message, shortened: it might be a
// secret pasted into the wrong field.
func quoteID(s string) string {
	if len(s) > 8 {
		s = s[:4] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// CheckCredential reports whether m's credential reference resolves here:
// the file is readable and not empty, or the variable is set. getenv nil
// means os.Getenv. The secret itself is read and dropped.
func (m Meeting) CheckCredential(getenv func(string) string) error {
	_, _, err := m.resolve(getenv)
	return err
}

// resolve reads the secret m refers to.
func (m Meeting) resolve(getenv func(string) string) (password, control secret.Secret, err error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	switch {
	case m.PasswordFile != "":
		password, err = readFirstLine(m.PasswordFile)
		if err != nil {
			err = fmt.Errorf("passwordFile: %w", err)
		}
	case m.PasswordEnv != "":
		v := getenv(m.PasswordEnv)
		if v == "" {
			err = fmt.Errorf("passwordEnv: %s is not set", m.PasswordEnv)
		}
		password = secret.New(v)
	case m.ControlTokenFile != "":
		control, err = readFirstLine(m.ControlTokenFile)
		if err != nil {
			err = fmt.Errorf("controlTokenFile: %w", err)
		}
	default:
		err = errors.New("no credential reference")
	}
	return password, control, err
}

// readFirstLine reads a secret file the way the CLI does: the first line,
// at most 4 KiB, without its line ending.
func readFirstLine(name string) (secret.Secret, error) {
	f, err := os.Open(name)
	if err != nil {
		return secret.Secret{}, err
	}
	defer f.Close()
	line, err := bufio.NewReader(io.LimitReader(f, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return secret.Secret{}, err
	}
	v := strings.TrimRight(line, "\r\n")
	if v == "" {
		return secret.Secret{}, fmt.Errorf("%s is empty", name)
	}
	return secret.New(v), nil
}

// maxMeetingsFile bounds a meetings file.
const maxMeetingsFile = 16 << 20

// ParseMeetings reads a meetings file:
//
//	{"meetings": [
//	  {"conference": "986112045", "passwordFile": "/etc/confwatch/986112045.pw"},
//	  {"conference": "986112046", "passwordEnv": "MEETING_46_PW", "types": ["ParticipantsNotify"]}
//	]}
//
// Unknown keys, invalid entries and repeated conference IDs are errors;
// each names the file, the line and the entry at fault, and all of them
// are returned, joined. name is the file's name for those messages.
func ParseMeetings(name string, r io.Reader) ([]Meeting, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxMeetingsFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > maxMeetingsFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxMeetingsFile)
	}
	p := &parser{name: name, data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	return p.file()
}

type parser struct {
	name string
	data []byte
	dec  *json.Decoder
	errs []error
}

// at returns "name:line" of the next value after the decoder's offset.
func (p *parser) at() string {
	off := int(p.dec.InputOffset())
	for off < len(p.data) && strings.IndexByte(" \t\r\n,:", p.data[off]) >= 0 {
		off++
	}
	return fmt.Sprintf("%s:%d", p.name, 1+bytes.Count(p.data[:off], []byte("\n")))
}

func (p *parser) syntax(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%s:%d: %v", p.name, 1+bytes.Count(p.data[:min(int(se.Offset), len(p.data))], []byte("\n")), se)
	}
	return fmt.Errorf("%s: %w", p.at(), err)
}

func (p *parser) delim(want json.Delim, what string) error {
	at := p.at()
	t, err := p.dec.Token()
	if err != nil {
		return p.syntax(err)
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return fmt.Errorf("%s: want %s", at, what)
	}
	return nil
}

func (p *parser) file() ([]Meeting, error) {
	if err := p.delim('{', `an object {"meetings": [...]}`); err != nil {
		return nil, err
	}
	var out []Meeting
	seen := false
	for p.dec.More() {
		at := p.at()
		t, err := p.dec.Token()
		if err != nil {
			return nil, p.syntax(err)
		}
		if key, _ := t.(string); key != "meetings" {
			return nil, fmt.Errorf("%s: unknown key %q (the file has one key, \"meetings\")", at, t)
		}
		if seen {
			return nil, fmt.Errorf("%s: \"meetings\" given twice", at)
		}
		seen = true
		if out, err = p.entries(); err != nil {
			return nil, err
		}
	}
	if err := p.delim('}', "the end of the object"); err != nil {
		return nil, err
	}
	if _, err := p.dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: trailing data after the object", p.at())
	}
	if !seen {
		return nil, fmt.Errorf("%s: no \"meetings\" key", p.name)
	}
	return out, errors.Join(p.errs...)
}

func (p *parser) entries() ([]Meeting, error) {
	if err := p.delim('[', "a list of meetings"); err != nil {
		return nil, err
	}
	var out []Meeting
	lines := map[string]string{}
	for i := 1; p.dec.More(); i++ {
		at := p.at()
		var raw json.RawMessage
		if err := p.dec.Decode(&raw); err != nil {
			return nil, p.syntax(err)
		}
		var m Meeting
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(&m); err != nil {
			p.errs = append(p.errs, fmt.Errorf("%s: entry %d: %w", at, i, err))
			continue
		}
		if err := m.Validate(); err != nil {
			p.errs = append(p.errs, fmt.Errorf("%s: entry %d: %w", at, i, flat(err)))
			continue
		}
		if first, dup := lines[m.Conference]; dup {
			p.errs = append(p.errs, fmt.Errorf("%s: entry %d: conference %s is already at %s", at, i, m.Conference, first))
			continue
		}
		lines[m.Conference] = at
		out = append(out, m)
	}
	if err := p.delim(']', "the end of the list"); err != nil {
		return nil, err
	}
	return out, nil
}

// flat joins the messages of a joined error on one line.
func flat(err error) error {
	return errors.New(strings.ReplaceAll(err.Error(), "\n", "; "))
}
