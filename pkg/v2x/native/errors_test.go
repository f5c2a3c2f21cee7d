package native

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestCodes(t *testing.T) {
	for c := CodeNone; c <= CodeInternal; c++ {
		if strings.HasPrefix(c.String(), "code_") {
			t.Errorf("code %d has no name", c)
		}
	}
	if Code(999).String() != "code_999" {
		t.Error(Code(999).String())
	}
	if CodeUnauthorized.Retryable() || !CodeShuttingDown.Retryable() || !CodeSlowConsumer.Retryable() {
		t.Error("Retryable")
	}
}

func TestErrorMatching(t *testing.T) {
	cause := errors.New("boom")
	e := WrapError(CodeInvalid, cause)
	wrapped := fmt.Errorf("edge: %w", e)
	if !errors.Is(wrapped, CodeInvalid) || errors.Is(wrapped, CodeBadFrame) || !errors.Is(wrapped, cause) {
		t.Error("errors.Is through the chain")
	}
	if CodeOf(wrapped, CodeBadFrame) != CodeInvalid {
		t.Error("CodeOf of a wrapped *Error")
	}
	if CodeOf(fmt.Errorf("x: %w", CodeForbidden), CodeBadFrame) != CodeForbidden {
		t.Error("CodeOf of a wrapped Code")
	}
	if CodeOf(cause, CodeBadFrame) != CodeBadFrame || CodeOf(nil, CodeBadFrame) != CodeNone {
		t.Error("CodeOf defaults")
	}
	remote := (&ErrorFrame{Code: CodeUnauthorized, Reason: "bad token"}).Err()
	if got := remote.Error(); got != "michi-v2x: unauthorized from peer: bad token" {
		t.Errorf("Error() = %q", got)
	}
	if got := Errorf(CodeBusy, "").Error(); got != "michi-v2x: busy" {
		t.Errorf("Error() = %q", got)
	}
}
