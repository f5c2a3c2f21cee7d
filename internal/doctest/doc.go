// Package doctest checks that what the documentation tells a user to run works as written. It
// has no code outside its tests:
//
//   - TestRunnableDocs runs, for every Markdown file of the README, docs/, cmd/*/, examples/*/,
//     sim/ and benchmarks/, the shell blocks fenced as ```sh runnable (or ```bash runnable), in
//     order, as one bash script (set -euo pipefail) from the repository root, with the
//     binaries of `make build` first on PATH and TMPDIR inside the test's temporary directory.
//     Each 127.0.0.1:PORT or localhost:PORT the file names is replaced by a free port the test
//     picks (one per distinct port), so a page can show the default ports and still run beside
//     anything. Commands ending in & keep running in the background; the blocks wait for them
//     by polling a health URL, and the test kills the script's process group when the script
//     ends or after scriptTimeout. A failure shows the script's output and the *.log files it
//     wrote; a script that leaves an unignored file in the repository fails too.
//   - TestEveryFlagIsDocumented wants every flag edge-node, cloud-hub and the example vehicle
//     print with -h named on their pages (docs/edge.md, cmd/cloud-hub/README.md,
//     examples/vehicle/README.md), and every flag those pages list to exist.
//   - TestEveryBinaryHelpExitsZero runs each main package of cmd/ and examples/, and each of
//     their subcommands, with -h, and wants exit status 0 and a usage.
//
// The tests need bash, make, curl and openssl; without them they skip, unless
// MICHI_REQUIRE_INTEGRATION=1, where they fail. -short skips them.
//
// It imports nothing of michi: it drives the binaries as a user does.
package doctest
