// Package benchmarks holds michi's Go benchmarks of its hot paths, measured against the targets
// in DESIGN.md, and (in RESULTS.md) the committed results of one run on the project's 2-core
// machine. Run them with `make bench` or `bash benchmarks/run.sh`, which rewrites RESULTS.md.
//
// It imports internal packages freely; nothing imports it.
package benchmarks
