// Package testutil is what michi's tests share: starting a server with michi's lifecycle (Run,
// Ready) and waiting until it serves (Start, Serve), and polling a condition instead of sleeping
// (CheckFor, WaitFor, Within). Every test package imports it rather than keeping a copy.
//
// It imports only the standard library, so that the tests of any package — internal or pkg, the
// edge's and the hub's alike — can import it without a cycle: it knows servers only through the
// Runner interface. It must not be imported by non-test code.
package testutil
