# confwatch — `make test` runs every test on a fresh machine.
GO ?= go

.PHONY: test vet unit fuzz-smoke bench-quick

test: vet unit

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt: files need formatting:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -timeout 20m ./...
