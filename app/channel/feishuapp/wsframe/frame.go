// Package wsframe is the frame of Feishu's long connection (长连接), shared
// by the feishu_app connector and its fake platform.
package wsframe

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// Frame is one message of Feishu's long connection: the protobuf message
// "Frame" of pbbp2.proto (larksuite/oapi-sdk-go/v3 ws/pbbp2.pb.go), sent
// as a binary WebSocket message. Method 0 is a control frame (ping, pong),
// 1 a data frame (an event, and its response).
//
// BotGate encodes it itself rather than importing the SDK's ws package for
// the type: that package imports the SDK's root package and every service
// under it, 1.1 MB of the nogui binary for nine fields. Marshal writes
// exactly the bytes the SDK's gogo-generated Marshal writes (proto2,
// required fields always present); a test compares the two.
type Frame struct {
	SeqID           uint64
	LogID           uint64
	Service         int32
	Method          int32
	Headers         []Header
	PayloadEncoding string
	PayloadType     string
	Payload         []byte
	LogIDNew        string
}

// Header is one key/value of a Frame.
type Header struct{ Key, Value string }

// Frame methods and the header keys BotGate reads (the SDK's ws/const.go).
const (
	MethodControl = 0
	MethodData    = 1

	HeaderType      = "type"       // ping, pong, event, card
	HeaderMessageID = "message_id" // kept by every part of a split payload
	HeaderSum       = "sum"        // how many parts the payload was split into
	HeaderSeq       = "seq"        // this part's index
	HeaderTraceID   = "trace_id"
	HeaderBizRt     = "biz_rt" // the handler's time in ms, added to a response
)

// Get returns the value of header key ("" when absent).
func (f *Frame) Get(key string) string {
	for _, h := range f.Headers {
		if h.Key == key {
			return h.Value
		}
	}
	return ""
}

// Int returns header key as a number (0 when absent or not one).
func (f *Frame) Int(key string) int {
	n, _ := strconv.Atoi(f.Get(key))
	return n
}

func appendVarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

func appendBytes(b []byte, field byte, s []byte) []byte {
	b = append(b, field<<3|2)
	b = appendVarint(b, uint64(len(s)))
	return append(b, s...)
}

// Marshal encodes f as the SDK does: fields 1–4, the headers, 6 and 7
// always; the payload when not nil; 9 always. An int32 is a varint of its
// sign-extended 64-bit value.
func (f *Frame) Marshal() []byte {
	b := make([]byte, 0, 64+len(f.Payload))
	b = append(b, 1<<3)
	b = appendVarint(b, f.SeqID)
	b = append(b, 2<<3)
	b = appendVarint(b, f.LogID)
	b = append(b, 3<<3)
	b = appendVarint(b, uint64(int64(f.Service)))
	b = append(b, 4<<3)
	b = appendVarint(b, uint64(int64(f.Method)))
	for _, h := range f.Headers {
		var hb []byte
		hb = appendBytes(hb, 1, []byte(h.Key))
		hb = appendBytes(hb, 2, []byte(h.Value))
		b = appendBytes(b, 5, hb)
	}
	b = appendBytes(b, 6, []byte(f.PayloadEncoding))
	b = appendBytes(b, 7, []byte(f.PayloadType))
	if f.Payload != nil {
		b = appendBytes(b, 8, f.Payload)
	}
	return appendBytes(b, 9, []byte(f.LogIDNew))
}

var errFrame = errors.New("malformed frame")

// field reads one protobuf field of b: its number, wire type, varint value
// or bytes, and the rest of b.
func field(b []byte) (num uint64, wire byte, v uint64, data, rest []byte, err error) {
	tag, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, 0, 0, nil, nil, errFrame
	}
	b = b[n:]
	num, wire = tag>>3, byte(tag&7)
	switch wire {
	case 0:
		v, n = binary.Uvarint(b)
		if n <= 0 {
			return 0, 0, 0, nil, nil, errFrame
		}
		return num, wire, v, nil, b[n:], nil
	case 1, 5:
		size := 8
		if wire == 5 {
			size = 4
		}
		if len(b) < size {
			return 0, 0, 0, nil, nil, errFrame
		}
		return num, wire, 0, nil, b[size:], nil
	case 2:
		l, n := binary.Uvarint(b)
		if n <= 0 || l > uint64(len(b)-n) {
			return 0, 0, 0, nil, nil, errFrame
		}
		b = b[n:]
		return num, wire, 0, b[:l], b[l:], nil
	}
	return 0, 0, 0, nil, nil, errFrame
}

// Unmarshal decodes b into f, skipping fields it does not know.
func (f *Frame) Unmarshal(b []byte) error {
	*f = Frame{}
	for len(b) > 0 {
		num, wire, v, data, rest, err := field(b)
		if err != nil {
			return err
		}
		b = rest
		switch {
		case num == 1 && wire == 0:
			f.SeqID = v
		case num == 2 && wire == 0:
			f.LogID = v
		case num == 3 && wire == 0:
			f.Service = int32(v)
		case num == 4 && wire == 0:
			f.Method = int32(v)
		case num == 5 && wire == 2:
			h, err := unmarshalHeader(data)
			if err != nil {
				return err
			}
			f.Headers = append(f.Headers, h)
		case num == 6 && wire == 2:
			f.PayloadEncoding = string(data)
		case num == 7 && wire == 2:
			f.PayloadType = string(data)
		case num == 8 && wire == 2:
			f.Payload = append([]byte{}, data...)
		case num == 9 && wire == 2:
			f.LogIDNew = string(data)
		}
	}
	return nil
}

func unmarshalHeader(b []byte) (Header, error) {
	var h Header
	for len(b) > 0 {
		num, wire, _, data, rest, err := field(b)
		if err != nil {
			return h, err
		}
		b = rest
		switch {
		case num == 1 && wire == 2:
			h.Key = string(data)
		case num == 2 && wire == 2:
			h.Value = string(data)
		}
	}
	return h, nil
}
