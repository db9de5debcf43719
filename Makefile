# confwatch — `make test` runs every test of every module on a fresh machine.
GO ?= go

# MODULES is every module of the repository: each directory holding a
# go.mod that git tracks or would track (testdata aside), the root first.
# A new module needs only its go.mod and a `use` line in go.work; every
# target below then covers it.
MODULES := $(patsubst %/,%,$(dir $(shell { git ls-files -co --exclude-standard -- go.mod '*/go.mod' 2>/dev/null \
	|| find . -name go.mod -not -path './.tools/*' | sed 's|^\./||'; } \
	| grep -v '/testdata/' | awk -F/ '{ print NF, $$0 }' | sort -k1,1n -k2 | cut -d' ' -f2-)))

# The analysers, pinned; each is built once into .tools/ (gitignored) from
# the module proxy, and again only when its version here changes.
STATICCHECK_VERSION ?= v0.8.2
GOCYCLO_VERSION ?= v0.6.0
TOOLS := $(CURDIR)/.tools
STATICCHECK := $(TOOLS)/staticcheck-$(STATICCHECK_VERSION)/staticcheck
GOCYCLO := $(TOOLS)/gocyclo-$(GOCYCLO_VERSION)/gocyclo

# each runs its shell command in every module's directory, goes on past a
# failing module, and fails at the end naming every module that failed.
define each
	@failed=""; for m in $(MODULES); do \
		echo "== $$m: $(1)"; \
		(cd $$m && $(1)) || failed="$$failed $$m"; \
	done; \
	if [ -n "$$failed" ]; then echo "$(1) failed in:$$failed"; exit 1; fi
endef

.PHONY: test browser vet workspace lint graph unit cyclo modules fuzz bench-quick bench

# test is what CI runs (.ci/run): the browser the dashboard test drives;
# formatting, tidy go.mod files, vet and staticcheck in every module; the
# module graph a library user gets; then every module's tests with the
# race detector.
test: browser vet lint graph unit

# browser installs Debian's chromium when missing (as root), or stops with a
# message naming the package.
browser:
	bash .ci/ensure-chromium

vet: workspace
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt: files need formatting:"; echo "$$unformatted"; exit 1; fi
	$(call each,$(GO) mod tidy -diff && $(GO) vet ./...)

# workspace checks that go.work uses every module, so that commands run
# from the root (go run ./cmd/confwatch, go test ./examples/...) find it.
workspace:
	@case "$$($(GO) env GOWORK)" in ""|off) echo "workspace: no go.work in use, not checked"; exit 0;; esac; \
	missing=""; used=$$($(GO) list -m -f '{{.Dir}}'); for m in $(MODULES); do \
		echo "$$used" | grep -qxF "$$(cd $$m && pwd)" || missing="$$missing $$m"; \
	done; \
	if [ -n "$$missing" ]; then echo "go.work does not use:$$missing (go work use <dir>)"; exit 1; fi

lint: $(STATICCHECK)
	$(call each,$(STATICCHECK) ./...)

# graph fails when a module importing the library's packages would see any
# module beyond the library's own few (the list is in .ci/consumer-graph).
graph:
	GO=$(GO) bash .ci/consumer-graph

unit:
	$(call each,$(GO) test -race -count=1 -timeout 20m ./...)

# cyclo lists the functions above STYLE.md's complexity bound (not part of
# test).
cyclo: $(GOCYCLO)
	$(GOCYCLO) -over 15 -ignore '/testdata/|^\.tools/' .

$(STATICCHECK):
	GOBIN=$(dir $@) GOWORK=off $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(GOCYCLO):
	GOBIN=$(dir $@) GOWORK=off $(GO) install github.com/fzipp/gocyclo/cmd/gocyclo@$(GOCYCLO_VERSION)

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

# modules prints the module directories every target iterates over.
modules:
	@echo $(MODULES)
