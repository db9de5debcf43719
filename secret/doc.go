// Package secret holds Secret, the type confwatch keeps every password and
// token in: it renders as REDACTED in fmt verbs, slog records, JSON and
// text encodings, and gives its value up only through Reveal.
//
//	pw := secret.New(os.Getenv("MEETING_PASSWORD"))
//	slog.Info("login", "password", pw) // password=REDACTED
//	req.Header.Set("X-Password", pw.Reveal())
//
// A Secret is an immutable value and safe for concurrent use. What it does
// not do is up to the caller: text a server sends back may still quote a
// secret, so code that logs such text scrubs it (token and connector do).
package secret
