package apiserver

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"

	"botgate/model"
)

// Reading requests: what every handler needs, whatever its envelope.

// MaxBody bounds a request body; QQAP requests are a few hundred bytes.
const MaxBody = 1 << 20

// readBody reads r's body up to limit bytes; what names the body in the
// messages ("请求内容"), limitText says the limit as an admin reads it.
func readBody(r *http.Request, limit int64, what, limitText string) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, model.Errorf(model.CodeTooLarge, "%s太大，最多 %s", what, limitText)
		}
		return nil, model.Errorf(model.CodeBadRequest, "读取%s失败", what)
	}
	return body, nil
}

// readRequest reads an API request's body (QQAP or native).
func readRequest(r *http.Request) ([]byte, error) {
	return readBody(r, MaxBody, "请求内容", strconv.Itoa(MaxBody)+" 字节")
}

// readSendRequest reads the body of a send endpoint, which may carry
// attachments (MaxSendBody).
func readSendRequest(r *http.Request) ([]byte, error) {
	return readBody(r, MaxSendBody, "请求内容", sendBodyLimit)
}

// remoteHost is the caller's IP address, for authentication lockouts, the
// webhook's loopback rule and the request log.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
