package v2x

import (
	"strconv"
	"strings"

	"github.com/michi-v2x/michi/pkg/geo"
)

// Queue is the its-client queue segment of an MQTT topic.
type Queue string

// Queues: producers publish to InQueue, the edge publishes what it validated
// and derived to OutQueue, InterQueue links edges and the cloud.
const (
	InQueue    Queue = "inQueue"
	OutQueue   Queue = "outQueue"
	InterQueue Queue = "interQueue"
)

// Valid reports whether q is one of the three queues.
func (q Queue) Valid() bool { return q == InQueue || q == OutQueue || q == InterQueue }

// TopicZoom is the quadkey zoom producers publish at.
const TopicZoom = 22

// Topic is an its-client MQTT topic:
// {root}/{queue}/v2x/{type}/{source_id}/{d1}/{d2}/…/{dN}, one Bing quadkey
// digit per level. Root may span several levels.
type Topic struct {
	Root     string
	Queue    Queue
	Type     MessageType
	SourceID string
	Quadkey  string // "d1d2…dN", 1..23 digits '0'..'3'
}

// String formats the topic.
func (t Topic) String() string {
	var b strings.Builder
	b.Grow(len(t.Root) + len(t.SourceID) + 24 + 2*len(t.Quadkey))
	b.WriteString(t.Root)
	b.WriteByte('/')
	b.WriteString(string(t.Queue))
	b.WriteString("/v2x/")
	b.WriteString(string(t.Type))
	b.WriteByte('/')
	b.WriteString(t.SourceID)
	for i := 0; i < len(t.Quadkey); i++ {
		b.WriteByte('/')
		b.WriteByte(t.Quadkey[i])
	}
	return b.String()
}

// TopicFor returns the topic a message is published on: its type, source
// and the zoom-TopicZoom quadkey of its Location.
func TopicFor(root string, q Queue, m Message, sourceID string) Topic {
	return Topic{Root: root, Queue: q, Type: m.Type(), SourceID: sourceID, Quadkey: geo.Quadkey(m.Location(), TopicZoom)}
}

func topicErr(s, reason string) error {
	return &TopicError{Topic: s, Reason: reason}
}

// TopicError says why a topic was refused; errors.Is(err, ErrBadTopic) holds.
type TopicError struct {
	Topic  string
	Reason string
}

func (e *TopicError) Error() string {
	t := e.Topic
	if len(t) > 128 {
		t = t[:128] + "…"
	}
	return "v2x: bad topic " + string(appendJSONString(nil, t)) + ": " + e.Reason
}

// Is reports whether target is ErrBadTopic.
func (e *TopicError) Is(target error) bool { return target == ErrBadTopic }

// maxTopicLevels bounds the levels of a topic ParseTopic accepts: a root of up to 20 levels,
// queue, "v2x", type, source and 23 quadkey digits.
const maxTopicLevels = 48

// ParseTopic parses a concrete (wildcard-free) its-client topic. The queue
// segment is the first inQueue, outQueue or interQueue followed by "v2x";
// everything before it is the root.
func ParseTopic(s string) (Topic, error) {
	if s == "" {
		return Topic{}, topicErr(s, "empty")
	}
	if strings.ContainsAny(s, "+#\x00") {
		return Topic{}, topicErr(s, "wildcards and NUL are not allowed in a topic name")
	}
	var levels [maxTopicLevels]string // on the stack: parsing allocates only the quadkey
	segs := levels[:0]
	for rest := s; ; {
		if len(segs) == len(levels) {
			return Topic{}, topicErr(s, "more than "+strconv.Itoa(maxTopicLevels)+" levels")
		}
		seg, tail, more := strings.Cut(rest, "/")
		segs = append(segs, seg)
		if !more {
			break
		}
		rest = tail
	}
	qi := -1
	for i := 1; i+1 < len(segs); i++ {
		if Queue(segs[i]).Valid() && segs[i+1] == "v2x" {
			qi = i
			break
		}
	}
	if qi < 0 {
		return Topic{}, topicErr(s, "no {root}/{inQueue|outQueue|interQueue}/v2x/ prefix")
	}
	for _, r := range segs[:qi] {
		if r == "" {
			return Topic{}, topicErr(s, "empty root level")
		}
	}
	rest := segs[qi+2:]
	if len(rest) < 3 {
		return Topic{}, topicErr(s, "want {type}/{source_id}/{quadkey digits} after v2x")
	}
	rootLen := qi - 1 // the slashes between root levels
	for _, r := range segs[:qi] {
		rootLen += len(r)
	}
	t := Topic{Root: s[:rootLen], Queue: Queue(segs[qi]), Type: MessageType(rest[0]), SourceID: rest[1]}
	if !t.Type.Valid() {
		return Topic{}, topicErr(s, "message type "+string(appendJSONString(nil, rest[0]))+" is not cam, denm or cpm")
	}
	if t.SourceID == "" {
		return Topic{}, topicErr(s, "empty source id")
	}
	digits := rest[2:]
	if len(digits) > geo.MaxZoom {
		return Topic{}, topicErr(s, "more than 23 quadkey levels")
	}
	qk := make([]byte, len(digits))
	for i, d := range digits {
		if len(d) != 1 || d[0] < '0' || d[0] > '3' {
			return Topic{}, topicErr(s, "quadkey level "+string(appendJSONString(nil, d))+" is not one digit 0..3")
		}
		qk[i] = d[0]
	}
	t.Quadkey = string(qk)
	return t, nil
}

// SubscriptionFilter returns the filter for every message of typ ("" for
// any type) from any source in the tile quadkey and below:
// {root}/{q}/v2x/{typ}/+/{d1}/…/{dk}/#.
func SubscriptionFilter(root string, q Queue, typ MessageType, quadkey string) string {
	var b strings.Builder
	b.Grow(len(root) + 24 + 2*len(quadkey))
	b.WriteString(root)
	b.WriteByte('/')
	b.WriteString(string(q))
	b.WriteString("/v2x/")
	if typ == "" {
		b.WriteByte('+')
	} else {
		b.WriteString(string(typ))
	}
	b.WriteString("/+")
	for i := 0; i < len(quadkey); i++ {
		b.WriteByte('/')
		b.WriteByte(quadkey[i])
	}
	b.WriteString("/#")
	return b.String()
}
