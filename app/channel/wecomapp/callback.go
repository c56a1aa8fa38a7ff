package wecomapp

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"botgate/app/channel"
	"botgate/model"
)

// The app's callback URL (接收消息), by WeCom's 加解密方案说明: WeCom checks the
// address with GET ?msg_signature=&timestamp=&nonce=&echostr= and wants
// echostr's plaintext back; then it POSTs each message as
// <xml><ToUserName/><Encrypt/><AgentID/></xml> with the same query. The
// signature is the hex SHA1 of token, timestamp, nonce and the ciphertext,
// sorted and joined; the ciphertext is base64 of AES-256-CBC (key =
// base64(EncodingAESKey + "="), IV = its first 16 bytes, PKCS#7 to 32-byte
// blocks) over 16 random bytes, the message's length (4 bytes, big-endian),
// the message and the receiving CorpID, which must be this channel's.
//
// A push is answered at once with an empty 200 (WeCom retries one not
// answered within 5 s); the answer goes to the sender through message/send
// via the outbox (channel.Incoming.ReplyLater).

// maxAge bounds how old a signed push may be: a captured one replayed later
// would run its template again (an insert, say). It matches how long the
// answerer remembers message ids, so a replay is caught by one or the other.
const maxAge = 10 * time.Minute

// blockSize is the PKCS#7 block WeCom pads to: 32 bytes, not AES's 16.
const blockSize = 32

type callback struct {
	token string
	key   []byte // 32 bytes
}

// newCallback reads the callback keys; both empty means no chat queries.
func newCallback(token, encodingKey string) (*callback, error) {
	if token == "" && encodingKey == "" {
		return nil, nil
	}
	if token == "" || encodingKey == "" {
		return nil, &channel.Error{Permanent: true, Msg: platform + "的接收消息要同时填写 callback_token 和 callback_aes_key（应用详情页 → 接收消息 → 设置API接收）；不做聊天查询时两个都不填"}
	}
	key, err := base64.StdEncoding.DecodeString(encodingKey + "=")
	if len(encodingKey) != 43 || err != nil || len(key) != 32 {
		return nil, &channel.Error{Permanent: true, Msg: fmt.Sprintf("%s的 callback_aes_key 应为 43 个字母或数字（设置API接收页面的 EncodingAESKey），现在是 %d 个字符", platform, utf8.RuneCountInString(encodingKey)), Err: err}
	}
	return &callback{token: token, key: key}, nil
}

// signature is msg_signature for the given parts.
func signature(token, timestamp, nonce, encrypted string) string {
	parts := []string{token, timestamp, nonce, encrypted}
	sort.Strings(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	return hex.EncodeToString(sum[:])
}

func (cb *callback) verify(sig, timestamp, nonce, encrypted string) error {
	want := signature(cb.token, timestamp, nonce, encrypted)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(sig)), []byte(want)) != 1 {
		return refused(http.StatusForbidden, "msg_signature 签名不匹配：企业微信“接收消息 → 设置API接收”里的 Token 与通道的 callback_token 不一致，请核对")
	}
	return nil
}

// decrypt returns the message inside encrypted and the CorpID it was sent to.
func (cb *callback) decrypt(encrypted string) (msg []byte, receiver string, err error) {
	bad := refused(http.StatusForbidden, "解密失败：企业微信“设置API接收”里的 EncodingAESKey 与通道的 callback_aes_key 不一致，请核对")
	data, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil || len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return nil, "", bad
	}
	block, err := aes.NewCipher(cb.key)
	if err != nil {
		return nil, "", bad
	}
	plain := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, cb.key[:aes.BlockSize]).CryptBlocks(plain, data)
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > blockSize || pad > len(plain) || !bytes.Equal(plain[len(plain)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, "", bad
	}
	plain = plain[:len(plain)-pad]
	if len(plain) < 20 {
		return nil, "", bad
	}
	n := binary.BigEndian.Uint32(plain[16:20])
	if uint64(n) > uint64(len(plain)-20) {
		return nil, "", bad
	}
	return plain[20 : 20+n], string(plain[20+n:]), nil
}

// envelope is the body of a push; its ToUserName and AgentID are repeated
// inside, where the signature covers them.
type envelope struct {
	Encrypt string `xml:"Encrypt"`
}

// inner is the part of a decrypted message (接收消息与事件: 消息格式) an answer
// needs; events carry MsgType "event".
type inner struct {
	FromUserName string `xml:"FromUserName"` // the sender's userid
	MsgType      string `xml:"MsgType"`
	Content      string `xml:"Content"`
	MsgID        string `xml:"MsgId"`
	// ChatID is read when a push names a group chat; an app's ordinary
	// callbacks come from its one-to-one chats and carry none.
	ChatID string `xml:"ChatId"`
}

// VerifiesURL: WeCom checks the callback address with a GET first.
func (c *Connector) VerifiesURL() {}

// HandleWebhook answers WeCom's URL verification (GET) and its encrypted
// message pushes (POST).
func (c *Connector) HandleWebhook(ctx context.Context, req channel.WebhookRequest, a channel.Answerer) (channel.WebhookResponse, error) {
	if c.cb == nil {
		return channel.WebhookResponse{}, refused(http.StatusForbidden, "通道“"+req.Channel+"”没有设置 callback_token 和 callback_aes_key：请在企业微信应用详情页“接收消息 → 设置API接收”随机获取 Token 和 EncodingAESKey，填到通道设置中，再保存企业微信的设置")
	}
	q := req.Query
	sig, timestamp, nonce := q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce")
	if sig == "" || timestamp == "" || nonce == "" {
		return channel.WebhookResponse{}, channel.BadEvent("缺少 msg_signature、timestamp 或 nonce：这是企业微信自建应用的回调地址，只接受企业微信的请求")
	}
	if req.Method != http.MethodPost {
		return c.verifyURL(req.Channel, sig, timestamp, nonce, q.Get("echostr"))
	}
	if err := c.fresh(timestamp); err != nil {
		return channel.WebhookResponse{}, err
	}
	var env envelope
	if err := xml.Unmarshal(req.Body, &env); err != nil || env.Encrypt == "" {
		return channel.WebhookResponse{}, channel.BadEvent("不是企业微信的加密消息：应为 <xml> 中带 <Encrypt> 的 XML")
	}
	if err := c.cb.verify(sig, timestamp, nonce, env.Encrypt); err != nil {
		return channel.WebhookResponse{}, err
	}
	plain, err := c.open(env.Encrypt)
	if err != nil {
		return channel.WebhookResponse{}, err
	}
	var m inner
	if err := xml.Unmarshal(plain, &m); err != nil {
		return channel.WebhookResponse{}, channel.BadEvent("企业微信消息解密后不是有效的 XML")
	}
	// Answered at once and empty: "直接返回200（即以空串为返回包）" is WeCom's
	// "nothing to reply". Events, pictures and voice get the same.
	ack := channel.WebhookResponse{Status: http.StatusOK}
	text := strings.TrimSpace(m.Content)
	if m.MsgType != "text" || text == "" || m.FromUserName == "" {
		return ack, nil
	}
	a.Answer(ctx, channel.Incoming{Channel: req.Channel, ID: m.MsgID, Sender: m.FromUserName, Group: m.ChatID, Text: text, ReplyLater: true})
	return ack, nil
}

// verifyURL answers the address check with echostr's plaintext. A "+" of
// the base64 that reached BotGate unescaped arrives as a space: it is put back.
func (c *Connector) verifyURL(name, sig, timestamp, nonce, echo string) (channel.WebhookResponse, error) {
	echo = strings.ReplaceAll(echo, " ", "+")
	if echo == "" {
		return channel.WebhookResponse{}, channel.BadEvent("缺少 echostr：这是企业微信自建应用的回调地址，只接受企业微信的验证请求")
	}
	if err := c.cb.verify(sig, timestamp, nonce, echo); err != nil {
		return channel.WebhookResponse{}, err
	}
	plain, err := c.open(echo)
	if err != nil {
		return channel.WebhookResponse{}, err
	}
	return channel.WebhookResponse{Body: string(plain)}, nil
}

// open decrypts and checks that the message was sent to this corp.
func (c *Connector) open(encrypted string) ([]byte, error) {
	plain, receiver, err := c.cb.decrypt(encrypted)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(receiver), []byte(c.corpID)) != 1 {
		return nil, refused(http.StatusForbidden, fmt.Sprintf("消息是发给另一个企业（%s）的：通道的 corp_id 与企业微信后台“我的企业 → 企业信息”中的企业ID不一致，请核对", receiver))
	}
	return plain, nil
}

// fresh refuses a push signed longer ago than maxAge (either way: a clock
// that is wrong shows as a push from the future).
func (c *Connector) fresh(timestamp string) error {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return channel.BadEvent("timestamp 不是数字")
	}
	if d := c.now().Sub(time.Unix(sec, 0)); d > maxAge || d < -maxAge {
		return refused(http.StatusForbidden, fmt.Sprintf("推送的时间与本机时间相差 %.0f 分钟（超过 %.0f 分钟）：可能是重放的旧消息；如果本机时间不准，请校准电脑时间", d.Abs().Minutes(), maxAge.Minutes()))
	}
	return nil
}

func refused(status int, msg string) error {
	return &channel.WebhookError{Status: status, Code: model.CodeUnauthorized, Msg: msg}
}
