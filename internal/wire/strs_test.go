package wire

import (
	"strings"
	"testing"
)

// TestStrs checks that strings copied into shared chunks keep their
// values while later ones are added, whatever their sizes, and never
// alias the bytes they were copied from.
func TestStrs(t *testing.T) {
	for _, frameLen := range []int{0, 1, 100, 10 << 10} {
		s := newStrs(frameLen)
		var want, got []string
		src := make([]byte, 0, 2048)
		for i := range 300 {
			n := []int{0, 1, 7, 33, 500, 1100, 2000}[i%7]
			src = append(src[:0], strings.Repeat(string(rune('a'+i%26)), n)...)
			want = append(want, string(src))
			got = append(got, s.of(src))
			for j := range src {
				src[j] = '!'
			}
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("frame of %d bytes: string %d = %.20q (%d bytes), want %.20q (%d bytes)", frameLen, i, got[i], len(got[i]), want[i], len(want[i]))
			}
		}
	}
}
func TestIntern(t *testing.T) {
	words := []string{"", "0", "1", "M", "T", "NAME", "MUTE", "HAND", "ACCOUNT", "ACCOUNT_ID", "CLIENT_LOGIN_TYPE", "CLICENT_LOGIN_TYPE"}
	in := NewIntern(append(words, "NAME")...)
	for _, w := range words {
		if got, ok := in.lookup([]byte(w)); !ok || got != w {
			t.Errorf("lookup(%q) = %q, %v", w, got, ok)
		}
	}
	for _, w := range []string{"2", "NAMF", "name", "ACCOUNT_I", "Participant 12"} {
		if got, ok := in.lookup([]byte(w)); ok {
			t.Errorf("lookup(%q) = %q, found a string never interned", w, got)
		}
	}
}
