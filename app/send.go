package app

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"botgate/app/channel"
	"botgate/app/outbox"
	"botgate/model"
	"botgate/storage"
)

// MaxContentBytes bounds one message; platforms have smaller limits of their own.
const MaxContentBytes = 20000

// SendRequest is a send in QQAP terms: QQ and group pick the target.
// Content may be empty when there are attachments.
type SendRequest struct {
	Channel     string // empty: the default channel
	QQ          string
	Group       string
	Content     string
	IdemKey     string
	At          []model.Mention    // members to mention (group messages)
	Attachments []model.Attachment // images and files, decoded; ≤ model.MaxAttachmentBytes in all
}

// Target applies the QQAP rule: group empty or equal to QQ is a private message
// to QQ; otherwise a group message to group.
func (r SendRequest) Target() (kind, to string) {
	qq, group := strings.TrimSpace(r.QQ), strings.TrimSpace(r.Group)
	if group == "" || group == qq {
		return channel.Private, qq
	}
	return channel.Group, group
}

// Send validates r and commits it to the outbox; when it returns, the message is durable.
func (a *App) Send(ctx context.Context, c model.Caller, r SendRequest) (model.Enqueued, error) {
	m, err := a.prepareSend(c, r)
	if err != nil {
		return model.Enqueued{}, err
	}
	e, err := a.queue.Add(ctx, m)
	if err != nil {
		if errors.Is(err, outbox.ErrClosed) {
			return e, &model.Error{Code: model.CodeQueueFailed, Msg: "服务正在停止，消息未保存，请稍后重试", Err: err}
		}
		return e, &model.Error{Code: model.CodeQueueFailed, Msg: "消息保存失败，未发送，请稍后重试或检查磁盘空间", Err: err}
	}
	return e, nil
}

// prepareSend makes every check of a send that can be made before it is
// queued (content, channel, recipient, length, mentions and attachments)
// and returns its outbox row. A scheduled push's slot is checked here too,
// and then committed with its slot record instead of through the queue.
func (a *App) prepareSend(c model.Caller, r SendRequest) (model.NewMessage, error) {
	if !utf8.ValidString(r.Content) {
		return model.NewMessage{}, model.Errorf(model.CodeBadEncoding, "消息内容不是有效的 UTF-8 文本")
	}
	atts, err := checkAttachments(r.Attachments)
	if err != nil {
		return model.NewMessage{}, err
	}
	at, err := model.NormalizeMentions(r.At)
	if err != nil {
		return model.NewMessage{}, err
	}
	if strings.TrimSpace(r.Content) == "" && len(atts) == 0 {
		return model.NewMessage{}, model.Errorf(model.CodeNothingToDo, "消息内容为空，没有可发送的内容")
	}
	if len(r.Content) > MaxContentBytes {
		return model.NewMessage{}, model.Errorf(model.CodeTooLong, "消息内容太长（%d 字节），最多 %d 字节，请拆分后发送", len(r.Content), MaxContentBytes)
	}
	kind, to := r.Target()
	st := a.state.Load()
	name := strings.TrimSpace(r.Channel)
	if name == "" {
		name = st.settings.DefaultChannel
	}
	if name == "" {
		return model.NewMessage{}, model.Errorf(model.CodeNoChannel, "没有设置默认通道，请在“通道”中设为默认，或在请求中指定 channel")
	}
	lc := st.channels[name]
	switch {
	case lc == nil:
		return model.NewMessage{}, model.Errorf(model.CodeNoChannel, "通道“%s”不存在，请检查通道名称", name)
	case !lc.cfg.Enabled:
		return model.NewMessage{}, model.Errorf(model.CodeNoChannel, "通道“%s”已停用，请在“通道”中启用", name)
	case lc.err != nil:
		return model.NewMessage{}, &model.Error{Code: model.CodeNoChannel, Msg: "通道“" + name + "”配置有误：" + channel.Explain(lc.err), Err: lc.err}
	}
	_, fixed := lc.ch.(channel.FixedTarget)
	switch {
	case to == "" && fixed:
		// A group robot posts to its own group. The empty group target is
		// the one recipient the dispatcher keeps this channel's order for.
		kind = channel.Group
	case to == "":
		return model.NewMessage{}, model.Errorf(model.CodeNoTarget, "缺少接收者：请填写 QQ（好友）或 group（群号）")
	}
	if v, ok := lc.ch.(channel.TargetValidator); ok {
		if err := v.ValidateTarget(kind, to); err != nil {
			return model.NewMessage{}, &model.Error{Code: model.CodeBadTarget, Msg: "接收者无效：" + channel.Explain(err)}
		}
	}
	if cc, ok := lc.ch.(channel.ContentChecker); ok && r.Content != "" {
		if err := cc.CheckContent(r.Content); err != nil {
			return model.NewMessage{}, &model.Error{Code: model.CodeTooLong, Msg: "通道“" + name + "”：" + channel.Explain(err)}
		}
	}
	if len(at) > 0 || len(atts) > 0 {
		m := channel.Message{Kind: kind, To: to, Content: r.Content, At: at, Attachments: atts}
		if err := checkSupport(name, lc, m); err != nil {
			return model.NewMessage{}, err
		}
	}
	return model.NewMessage{Channel: name, TargetKind: kind, Target: to, Content: r.Content, APIUser: c.Name, IdemKey: r.IdemKey,
		At: at, Attachments: atts}, nil
}

// Message returns the outbox row id if c may see it (its own messages; admins see all).
func (a *App) Message(ctx context.Context, c model.Caller, id int64) (model.Message, error) {
	m, err := a.db.Message(ctx, id)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && m.APIUser != c.Name && !isAdmin(c)) {
		return model.Message{}, model.Errorf(model.CodeNoMessage, "消息 %d 不存在", id)
	}
	if err == nil && m.Status == model.StatusQueued && a.disp.Sending(id) {
		m.Status = model.StatusSending
	}
	return m, err
}

func isAdmin(c model.Caller) bool {
	for _, r := range c.Roles {
		if r == "admin" {
			return true
		}
	}
	return false
}

// RetryMessage requeues a failed message (GUI 日志 tab).
func (a *App) RetryMessage(ctx context.Context, id int64) error {
	if err := a.db.RetryMessage(ctx, id); err != nil {
		return model.Errorf(model.CodeNoMessage, "消息 %d 不存在或不是失败状态", id)
	}
	a.disp.Resync()
	return nil
}

// CancelMessage stops a queued or failed message from being sent.
func (a *App) CancelMessage(ctx context.Context, id int64) error {
	const note = "已由管理员取消"
	// First the dispatcher, which may hold it in a worker's batch: once its
	// send has begun, it is too late. Then the table.
	if !a.disp.Cancel(id, note) || a.db.CancelMessage(ctx, id, note) != nil {
		return model.Errorf(model.CodeNoMessage, "消息 %d 不存在或已在发送", id)
	}
	a.disp.Resync() // it holds the message in memory: forget it
	return nil
}

// Messages lists outbox rows for the 日志 tab, newest first.
func (a *App) Messages(ctx context.Context, status string, limit int) ([]model.Message, error) {
	return a.db.Messages(ctx, model.MessageFilter{Status: status, Limit: limit})
}
