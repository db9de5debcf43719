package secret_test

import (
	"encoding/json"
	"fmt"

	"github.com/confwatch/confwatch/secret"
)

func Example() {
	pw := secret.New("604117")
	b, _ := json.Marshal(struct{ Password secret.Secret }{pw})
	fmt.Println(pw, string(b))
	fmt.Printf("%#v\n", pw)
	fmt.Println(pw.Reveal()) // only where the value goes on the wire
	// Output:
	// REDACTED {"Password":"REDACTED"}
	// secret.Secret("REDACTED")
	// 604117
}
