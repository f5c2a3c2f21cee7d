package v2x

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestErrorKinds(t *testing.T) {
	ve := wrapField("message", wrapIndex("objects", 3, rangeError("value", 9, 0, 7)))
	require.ErrorIs(t, ve, ErrInvalid)
	require.NotErrorIs(t, ve, ErrMalformed)
	require.Equal(t, "v2x: invalid message.objects[3].value: 9 out of range [0, 7]", ve.Error())
	require.Equal(t, "v2x: invalid message: x", (&ValidationError{Reason: "x"}).Error())

	de := &DecodeError{Field: "message", Offset: 12, Reason: "missing", schema: true}
	require.ErrorIs(t, de, ErrMalformed)
	require.ErrorIs(t, de, ErrInvalid)
	require.ErrorIs(t, fmt.Errorf("ingest: %w", de), ErrMalformed)
	require.Equal(t, "v2x: malformed message at message (offset 12): missing", de.Error())
	require.NotErrorIs(t, &DecodeError{}, ErrInvalid)

	require.ErrorIs(t, &unknownTypeError{"mapem"}, ErrUnknownType)
	require.ErrorIs(t, &TopicError{Topic: "x"}, ErrBadTopic)
	require.Equal(t, "x", wrapField("x", &ValidationError{}).(*ValidationError).Field)
	plain := wrapField("x", errors.New("boom"))
	require.EqualError(t, plain, "x: boom")
	require.Contains(t, countError("a", 0, 1, -1).Error(), "at least 1")
	require.Contains(t, lengthError("a", 5, 6, 6).Error(), "length 5")
	require.Contains(t, enumError("a", "b", "c|d").Error(), "one of c|d")
}

func TestReasonCode(t *testing.T) {
	require.Equal(t, ReasonSuccess, ReasonCode(nil))
	_, err := ParseTopic("x")
	require.Equal(t, ReasonTopicNameInvalid, ReasonCode(err))
	_, err = Decode(make([]byte, MaxMessageSize+1))
	require.Equal(t, ReasonPacketTooLarge, ReasonCode(err))
	_, err = Decode([]byte("{"))
	require.Equal(t, ReasonPayloadFormatInvalid, ReasonCode(err))
	_, err = Decode([]byte(`{"message_type":"ivim"}`))
	require.Equal(t, ReasonPayloadFormatInvalid, ReasonCode(err))
	require.Equal(t, ReasonPayloadFormatInvalid, ReasonCode(rangeError("x", 1, 2, 3)))
	require.Equal(t, ReasonUnspecified, ReasonCode(errors.New("disk full")))
}
