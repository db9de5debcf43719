# confwatch — `make test` runs every test on a fresh machine.
GO ?= go

.PHONY: test browser vet unit fuzz bench-quick bench

# test is what CI runs (.ci/run): the browser the dashboard test drives,
# formatting and vet, then every test with the race detector.
test: browser vet unit

# browser installs Debian's chromium when missing (as root), or stops with a
# message naming the package.
browser:
	bash .ci/ensure-chromium

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt: files need formatting:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -timeout 20m ./...

# fuzz runs every fuzz target briefly (FUZZTIME each); the corpora live in
# testdata/fuzz.
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run=^$$ -fuzz=^FuzzDecode$$ -fuzztime=$(FUZZTIME) ./events
	$(GO) test -run=^$$ -fuzz=^FuzzControl$$ -fuzztime=$(FUZZTIME) ./internal/wire
	$(GO) test -run=^$$ -fuzz=^FuzzClientResponses$$ -fuzztime=$(FUZZTIME) ./token
	$(GO) test -run=^$$ -fuzz=^FuzzRetryAfter$$ -fuzztime=$(FUZZTIME) ./token
	$(GO) test -run=^$$ -fuzz=^FuzzSubscribeReply$$ -fuzztime=$(FUZZTIME) ./connector
	$(GO) test -run=^$$ -fuzz=^FuzzPushFrames$$ -fuzztime=$(FUZZTIME) ./connector
	$(GO) test -run=^$$ -fuzz=^FuzzRun$$ -fuzztime=$(FUZZTIME) ./cmd/confwatch

# bench-quick checks that every load scenario still runs (small sizes);
# bench gives the full figures of BENCHMARKS.md (minutes).
bench-quick:
	$(GO) run ./integration/loadtest -scenario all -quick

bench:
	$(GO) run ./integration/loadtest -scenario all
