package wecomfake

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Callback is an app's 接收消息 settings as WeCom holds them, and WeCom's
// side of the callback, step by step from 加解密方案说明 ("明文msg的加密过程"):
// AESKey = Base64_Decode(EncodingAESKey + "="); FullStr = random(16B) +
// msg_len(4B, network order) + msg + receiveid; PKCS#7 to a multiple of 32
// bytes; AES-256-CBC with IV = AESKey[:16]; base64. msg_signature =
// sha1(sort(token, timestamp, nonce, msg_encrypt)).
type Callback struct {
	Token          string
	EncodingAESKey string
	CorpID         string // the receiveid of an app's callbacks
}

// Encrypt is msg_encrypt for msg.
func (c Callback) Encrypt(msg []byte) string {
	key, err := base64.StdEncoding.DecodeString(c.EncodingAESKey + "=")
	if err != nil || len(key) != 32 {
		panic(fmt.Sprintf("wecomfake: EncodingAESKey %q is not 43 base64 characters of a 32-byte key", c.EncodingAESKey))
	}
	var full bytes.Buffer
	random := make([]byte, 16)
	rand.Read(random)
	full.Write(random)
	binary.Write(&full, binary.BigEndian, uint32(len(msg)))
	full.Write(msg)
	full.WriteString(c.CorpID)
	pad := 32 - full.Len()%32
	full.Write(bytes.Repeat([]byte{byte(pad)}, pad))
	block, _ := aes.NewCipher(key)
	out := make([]byte, full.Len())
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(out, full.Bytes())
	return base64.StdEncoding.EncodeToString(out)
}

// Sign is msg_signature over the parts.
func (c Callback) Sign(timestamp, nonce, encrypted string) string {
	parts := []string{c.Token, timestamp, nonce, encrypted}
	sort.Strings(parts)
	return fmt.Sprintf("%x", sha1.Sum([]byte(strings.Join(parts, ""))))
}

// VerifyQuery is the query of the GET WeCom sends when the admin saves the
// callback URL; the answer must be echo.
func (c Callback) VerifyQuery(echo string, at time.Time, nonce string) url.Values {
	ts := strconv.FormatInt(at.Unix(), 10)
	enc := c.Encrypt([]byte(echo))
	return url.Values{"msg_signature": {c.Sign(ts, nonce, enc)}, "timestamp": {ts}, "nonce": {nonce}, "echostr": {enc}}
}

// Push is the query and body of the POST that carries msg (the decrypted
// XML) to the app's callback URL.
func (c Callback) Push(msg string, agentID int64, at time.Time, nonce string) (url.Values, string) {
	ts := strconv.FormatInt(at.Unix(), 10)
	enc := c.Encrypt([]byte(msg))
	body := fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><Encrypt><![CDATA[%s]]></Encrypt><AgentID><![CDATA[%d]]></AgentID></xml>", c.CorpID, enc, agentID)
	return url.Values{"msg_signature": {c.Sign(ts, nonce, enc)}, "timestamp": {ts}, "nonce": {nonce}}, body
}

// TextMessage is a member's text message to the app, decrypted (接收消息:
// 文本消息), with CDATA as WeCom writes it.
func TextMessage(corpID, from, content string, msgID, agentID int64, at time.Time) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime>"+
		"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content><MsgId>%d</MsgId><AgentID>%d</AgentID></xml>",
		corpID, from, at.Unix(), content, msgID, agentID)
}

// EventMessage is an event the app receives (enter_agent, subscribe...).
func EventMessage(corpID, from, event string, agentID int64, at time.Time) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime>"+
		"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[%s]]></Event><EventKey><![CDATA[]]></EventKey><AgentID>%d</AgentID></xml>",
		corpID, from, at.Unix(), event, agentID)
}
