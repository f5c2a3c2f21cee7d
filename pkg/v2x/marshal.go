package v2x

// encoding/json and vmihailenco/msgpack hooks, so that json.Marshal,
// json.Unmarshal, msgpack.Marshal and msgpack.Unmarshal of the three
// message types use the strict codecs of this package.

// MarshalJSON implements json.Marshaler.
func (m *CAM) MarshalJSON() ([]byte, error) { return m.appendJSON(nil), nil }

// MarshalJSON implements json.Marshaler.
func (m *DENM) MarshalJSON() ([]byte, error) { return m.appendJSON(nil), nil }

// MarshalJSON implements json.Marshaler.
func (m *CPM) MarshalJSON() ([]byte, error) { return m.appendJSON(nil), nil }

// UnmarshalJSON implements json.Unmarshaler with UnmarshalCAM's rules.
func (m *CAM) UnmarshalJSON(b []byte) error { return m.unmarshal(b, false) }

// UnmarshalJSON implements json.Unmarshaler with UnmarshalDENM's rules.
func (m *DENM) UnmarshalJSON(b []byte) error { return m.unmarshal(b, false) }

// UnmarshalJSON implements json.Unmarshaler with UnmarshalCPM's rules.
func (m *CPM) UnmarshalJSON(b []byte) error { return m.unmarshal(b, false) }

// MarshalMsgpack implements msgpack.Marshaler.
func (m *CAM) MarshalMsgpack() ([]byte, error) { return m.appendMsgpack(nil), nil }

// MarshalMsgpack implements msgpack.Marshaler.
func (m *DENM) MarshalMsgpack() ([]byte, error) { return m.appendMsgpack(nil), nil }

// MarshalMsgpack implements msgpack.Marshaler.
func (m *CPM) MarshalMsgpack() ([]byte, error) { return m.appendMsgpack(nil), nil }

// UnmarshalMsgpack implements msgpack.Unmarshaler.
func (m *CAM) UnmarshalMsgpack(b []byte) error { return m.unmarshal(b, true) }

// UnmarshalMsgpack implements msgpack.Unmarshaler.
func (m *DENM) UnmarshalMsgpack(b []byte) error { return m.unmarshal(b, true) }

// UnmarshalMsgpack implements msgpack.Unmarshaler.
func (m *CPM) UnmarshalMsgpack(b []byte) error { return m.unmarshal(b, true) }

func (m *CAM) unmarshal(b []byte, mp bool) error {
	var n CAM
	if err := decodeInto(b, mp, n.decode); err != nil {
		return err
	}
	*m = n
	return nil
}

func (m *DENM) unmarshal(b []byte, mp bool) error {
	var n DENM
	if err := decodeInto(b, mp, n.decode); err != nil {
		return err
	}
	*m = n
	return nil
}

func (m *CPM) unmarshal(b []byte, mp bool) error {
	var n CPM
	if err := decodeInto(b, mp, n.decode); err != nil {
		return err
	}
	*m = n
	return nil
}
