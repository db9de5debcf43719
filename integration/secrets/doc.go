// Package secrets is confwatch's leak audit. It runs the integration
// scenarios — the connector and its token chain through drops, refusals,
// re-authentication and keep-alives; the confwatch binary at every log
// level and in both log formats; the demo — with a canary host password
// and a fake meeting service that mints every control token and ws token
// around a canary substring (fakemeeting Config.TokenCanary). It captures
// every log line (slog at debug, text and JSON handlers), every error
// string, every rendered value and the binary's stdout and stderr, and
// fails if any canary appears, raw or in the encodings a token travels
// in (URL query escaping, base64 as in a Basic confToken).
//
// The package holds only tests.
package secrets
