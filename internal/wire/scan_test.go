package wire

import "testing"

// TestFindAction checks the pre-scan against tricky but valid frames.
func TestFindAction(t *testing.T) {
	cases := map[string]string{
		`{"action":"A"}`:                              "A",
		` { "action" : "A" } `:                        "A",
		`{"x":"\"action\":\"B\"","action":"A"}`:       "A",
		`{"x":{"action":"B"},"action":"A"}`:           "A",
		`{"x":["]",{"}":"\\"}],"action":"A"}`:         "A",
		`{"x":-1.5e3,"y":true,"z":null,"action":"A"}`: "A",
		`{"\u0061ction":"A"}`:                         "A",
		`{"action ":"A"}`:                             "A",
		`{"action":"A\u0042"}`:                        "AB",
		`{"action":"A","action":"B"}`:                 "A",
	}
	for in, want := range cases {
		lit, st := FindAction([]byte(in))
		got := ""
		if st == OK {
			got, st = ActionName(lit)
		}
		if st != OK || got != want {
			t.Errorf("FindAction(%s) = %q, %d; want %q", in, got, st, want)
		}
	}
}

// TestFindActionFails checks the outcome for frames without a usable
// action.
func TestFindActionFails(t *testing.T) {
	cases := map[string]Status{
		``:                              Bad,
		`[1]`:                           NotObject,
		`"x"`:                           NotObject,
		`{}`:                            NoAction,
		`{"a":1}`:                       NoAction,
		`{"action":7}`:                  NoAction,
		`{"action":""}`:                 NoAction,
		`{"action":"A`:                  Bad,
		`{"a" 1}`:                       Bad,
		`{"a":1 "action":"A"}`:          Bad,
		"{\"action\":\"A\x01\"}":        Bad,
		`{"action":"\q"}`:               Bad,
		`{"a":[1,2,{"b":"}"}],"c":1}`:   NoAction,
		`{"a":tru,"action":"A"}`:        OK, // not validated: the decoder that follows reports it
		`{"x":{"action":"B"}}`:          NoAction,
		`  {"action"  :  "A"}  garbage`: OK,
	}
	for in, want := range cases {
		lit, st := FindAction([]byte(in))
		if st == OK {
			_, st = ActionName(lit)
		}
		if st != want {
			t.Errorf("FindAction(%q) gives %d, want %d", in, st, want)
		}
	}
}

func TestTrimKeys(t *testing.T) {
	cases := map[string]string{
		`{"a":1}`:                            `{"a":1}`,
		`{"a ":1," b":{" c ":"  d  "}}`:      `{"a":1,"b":{"c":"  d  "}}`,
		`{"x":" y ","z ":[" w "]}`:           `{"x":" y ","z":[" w "]}`,
		`{"k\" ":1}`:                         `{"k\" ":1}`,
		`{"a " : 1}`:                         `{"a" : 1}`,
		`{"s":"he said \" a \" : b","k ":2}`: `{"s":"he said \" a \" : b","k":2}`,
	}
	for in, want := range cases {
		if got := string(TrimKeys([]byte(in))); got != want {
			t.Errorf("TrimKeys(%s) = %s, want %s", in, got, want)
		}
	}
	in := []byte(`{"a":1}`)
	if out := TrimKeys(in); &out[0] != &in[0] {
		t.Error("TrimKeys copied a frame that needed no change")
	}
}

// TestScanNumber checks the number scanner on the JSON grammar's corners.
func TestScanNumber(t *testing.T) {
	cases := map[string]int{
		"0": 1, "-0": 2, "12": 2, "12,": 2, "1.5": 3, "1.5e3": 5, "1E+3": 4, "1e-3x": 4,
		"-": -1, "01": 1, "1.": -1, ".5": -1, "1e": -1, "1e+": -1, "-a": -1, "": -1,
	}
	for in, want := range cases {
		if got := scanNumber([]byte(in), 0); got != want {
			t.Errorf("scanNumber(%q) = %d, want %d", in, got, want)
		}
	}
}
