.PHONY: check test demo bench build

check: ## everything CI runs: gofmt, vet, tidy, arm64 build, fuzz smoke, race tests incl. integration
	bash scripts/check.sh

test:
	go test -race ./...

demo:
	go run ./cmd/michi-sim demo

bench:
	go test -run='^$$' -bench=. -benchmem ./pkg/... ./internal/... ./benchmarks/...

build: ## bin/cloud-hub, bin/edge-node, bin/michi-sim, bin/michi-bench, bin/vehicle
	go build -o bin/ ./cmd/... ./examples/...
