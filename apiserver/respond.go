package apiserver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"botgate/model"
)

// httpStatus maps an errcode to the native API's HTTP status: one table.
var httpStatus = map[int]int{
	model.CodeBadRequest:   http.StatusBadRequest,
	model.CodeTooLarge:     http.StatusRequestEntityTooLarge,
	model.CodeBadEncoding:  http.StatusBadRequest,
	model.CodeNothingToDo:  http.StatusBadRequest,
	model.CodeNoTarget:     http.StatusBadRequest,
	model.CodeTooLong:      http.StatusBadRequest,
	model.CodeBadTarget:    http.StatusBadRequest,
	model.CodeUnsupported:  http.StatusUnprocessableEntity,
	model.CodeUnauthorized: http.StatusUnauthorized,
	model.CodeThrottled:    http.StatusTooManyRequests,
	model.CodeNoKeyword:    http.StatusNotFound,
	model.CodeNoChannel:    http.StatusUnprocessableEntity,
	model.CodeNoMessage:    http.StatusNotFound,
	model.CodeForbidden:    http.StatusForbidden,
	model.CodeQueryFailed:  http.StatusBadGateway,
	model.CodeQueryTimeout: http.StatusGatewayTimeout,
	model.CodeNoSource:     http.StatusServiceUnavailable,
	model.CodeQueueFailed:  http.StatusServiceUnavailable,
	model.CodeInvalid:      http.StatusBadRequest,
}

// StatusOf is the HTTP status for an errcode (500 for anything unlisted).
func StatusOf(code int) int {
	if s, ok := httpStatus[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"errcode":5000,"errmsg":"服务内部错误"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// writeText sends b as it is (a platform's URL check wants its echo back
// byte for byte).
func writeText(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

func errorBody(code int, msg string) map[string]any {
	return map[string]any{"errcode": code, "errmsg": msg}
}

// writeEnvelope writes QQAP's {"errcode","errmsg","data"} with extra fields
// (msg_id...) after data. data is already-encoded JSON (rows keep column order).
func writeEnvelope(w http.ResponseWriter, status, code int, msg string, data json.RawMessage, extra ...any) {
	var b bytes.Buffer
	b.WriteString(`{"errcode":`)
	b.WriteString(strconv.Itoa(code))
	b.WriteString(`,"errmsg":`)
	writeValue(&b, msg)
	if data != nil {
		b.WriteString(`,"data":`)
		b.Write(data)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		b.WriteByte(',')
		writeValue(&b, extra[i])
		b.WriteByte(':')
		writeValue(&b, extra[i+1])
	}
	b.WriteString("}\n")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

func writeValue(b *bytes.Buffer, v any) {
	enc, err := json.Marshal(v)
	if err != nil {
		enc = []byte("null")
	}
	b.Write(enc)
}

// encodeRows writes rows as JSON objects whose keys keep the SELECT's column
// order (a Go map would sort them). Repeated column names get a suffix.
func encodeRows(cols []string, rows [][]any) json.RawMessage {
	keys := make([][]byte, len(cols))
	seen := map[string]int{}
	for i, c := range cols {
		seen[c]++
		if n := seen[c]; n > 1 {
			c = c + "_" + strconv.Itoa(n)
		}
		keys[i], _ = json.Marshal(c)
	}
	var b bytes.Buffer
	b.WriteByte('[')
	for r, row := range rows {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		for i, v := range row {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(keys[i])
			b.WriteByte(':')
			writeValue(&b, v)
		}
		b.WriteByte('}')
	}
	b.WriteByte(']')
	return b.Bytes()
}
