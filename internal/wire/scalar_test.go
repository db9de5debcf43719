package wire

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestMillis(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
	}{
		{`1528680`, 1528680 * time.Millisecond},
		{`"1528680"`, 1528680 * time.Millisecond},
		{`0`, 0},
		{`""`, 0},
		{`-5`, -5 * time.Millisecond},
		{`9223372036854`, 9223372036854 * time.Millisecond},
		{`-9223372036854`, -9223372036854 * time.Millisecond},
	} {
		var m Millis
		if err := json.Unmarshal([]byte(c.in), &m); err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		eq(t, c.in, m.Duration(), c.want)
	}
	m := Millis{ms: 7}
	if err := json.Unmarshal([]byte(`null`), &m); err != nil || m.Duration() != 7*time.Millisecond {
		t.Errorf("null changed the value: %v, %v", m.Duration(), err)
	}
	for _, in := range []string{`9223372036855`, `-9223372036855`, `1.5`, `"x"`, `true`, `{}`} {
		var m Millis
		var te *json.UnmarshalTypeError
		if err := json.Unmarshal([]byte(in), &m); !errors.As(err, &te) {
			t.Errorf("%s: err %v, want a type error", in, err)
		}
	}
}

func TestIntOrBool(t *testing.T) {
	for _, c := range []struct {
		in   string
		want IntOrBool
	}{
		{`1`, 1}, {`"3"`, 3}, {`true`, 1}, {`false`, 0}, {`"true"`, 1}, {`" false "`, 0}, {`2.0`, 2}, {`""`, 0},
	} {
		v := IntOrBool(9)
		if err := json.Unmarshal([]byte(c.in), &v); err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		eq(t, c.in, v, c.want)
	}
	v := IntOrBool(9)
	if err := json.Unmarshal([]byte(`null`), &v); err != nil || v != 9 {
		t.Errorf("null: %d, %v", v, err)
	}
	for _, in := range []string{`"yes"`, `0.5`, `[]`, `{}`} {
		var v IntOrBool
		if err := json.Unmarshal([]byte(in), &v); err == nil {
			t.Errorf("%s accepted as %d", in, v)
		}
	}
}
