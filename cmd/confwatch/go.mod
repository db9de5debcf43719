module github.com/confwatch/confwatch/cmd/confwatch

go 1.26.0

require (
	github.com/confwatch/confwatch v0.0.0-00010101000000-000000000000
	github.com/creack/pty v1.1.24
	github.com/lmittmann/tint v1.2.1
	github.com/mattn/go-runewidth v0.0.31
	go.uber.org/goleak v1.3.0
)

require (
	github.com/cenkalti/backoff/v4 v4.3.0 // indirect
	github.com/clipperhouse/uax29/v2 v2.2.0 // indirect
	github.com/gorilla/websocket v1.5.3 // indirect
)

replace github.com/confwatch/confwatch => ../..
