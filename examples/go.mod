module github.com/confwatch/confwatch/examples

go 1.26.0

require (
	github.com/chromedp/chromedp v0.23.0
	github.com/confwatch/confwatch v0.0.0-00010101000000-000000000000
	go.uber.org/goleak v1.3.0
)

require (
	github.com/cenkalti/backoff/v4 v4.3.0 // indirect
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/gorilla/websocket v1.5.3 // indirect
)

replace github.com/confwatch/confwatch => ..
