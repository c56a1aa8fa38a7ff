package wsframe

import (
	"bytes"
	"reflect"
	"testing"

	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"
)

// Frames are byte for byte what the SDK's generated code writes, and each
// side reads what the other writes.
func TestFrame_SameBytesAsTheSDK(t *testing.T) {
	tests := []struct {
		name string
		f    Frame
	}{
		{"empty", Frame{}},
		{"ping", Frame{Method: MethodControl, Service: 33554678, Headers: []Header{{HeaderType, "ping"}}}},
		{"event", Frame{SeqID: 7, LogID: 1 << 40, Service: 33554678, Method: MethodData, PayloadEncoding: "", PayloadType: "",
			Headers: []Header{{HeaderType, "event"}, {HeaderMessageID, "m1"}, {HeaderSum, "1"}, {HeaderSeq, "0"}, {"", ""}},
			Payload: []byte(`{"schema":"2.0","中文":"是"}`), LogIDNew: "log-1"}},
		{"negative service, empty payload", Frame{Service: -5, Method: -1, Payload: []byte{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sdk := larkws.Frame{SeqID: tt.f.SeqID, LogID: tt.f.LogID, Service: tt.f.Service, Method: tt.f.Method,
				PayloadEncoding: tt.f.PayloadEncoding, PayloadType: tt.f.PayloadType, Payload: tt.f.Payload, LogIDNew: tt.f.LogIDNew}
			for _, h := range tt.f.Headers {
				sdk.Headers = append(sdk.Headers, larkws.Header{Key: h.Key, Value: h.Value})
			}
			want, err := sdk.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			got := tt.f.Marshal()
			if !bytes.Equal(got, want) {
				t.Fatalf("Marshal\n got %x\nwant %x", got, want)
			}
			var back larkws.Frame
			if err := back.Unmarshal(got); err != nil {
				t.Fatalf("the SDK cannot read our frame: %v", err)
			}
			var ours Frame
			if err := ours.Unmarshal(want); err != nil {
				t.Fatalf("we cannot read the SDK's frame: %v", err)
			}
			if tt.f.Payload == nil {
				ours.Payload = nil
			}
			if !reflect.DeepEqual(ours, tt.f) && !(len(tt.f.Headers) == 0 && ours.Headers == nil) {
				t.Fatalf("Unmarshal = %+v, want %+v", ours, tt.f)
			}
		})
	}
}

func TestFrame_Malformed_Refused(t *testing.T) {
	for _, b := range [][]byte{{0x08}, {0x2a, 0x05, 0x0a}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}} {
		var f Frame
		if err := f.Unmarshal(b); err == nil {
			t.Errorf("Unmarshal(%x) accepted", b)
		}
	}
}
