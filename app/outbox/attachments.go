package outbox

import (
	"botgate/model"
	"context"

	"botgate/app/channel"
)

// maxAttachmentSends bounds the sends holding attachment bytes at once: each
// may hold up to model.MaxAttachmentBytes (and a platform's encoding of
// them), and MaxInFlight of them at once would be hundreds of MB.
const maxAttachmentSends = 8

// load builds the channel message for m. A message with attachments first
// waits for one of maxAttachmentSends slots (like the rate limit, waiting
// is not sending: a stop ends it, and the caller sees ctx done), then reads
// their bytes: right before the send, never with the pending list, so a
// backlog of big messages costs no memory. release frees the slot after
// the send.
func (d *Dispatcher) load(ctx context.Context, m model.Message) (msg channel.Message, release func(), err error) {
	msg = channel.Message{ID: m.ID, Kind: m.TargetKind, To: m.Target, Content: m.Content, At: m.At}
	release = func() {}
	if len(m.Attachments) == 0 {
		return msg, release, nil
	}
	select {
	case d.heavy <- struct{}{}:
		release = func() { <-d.heavy }
	case <-ctx.Done():
		return msg, release, ctx.Err()
	}
	if msg.Attachments, err = d.store.Attachments(ctx, m.ID); err != nil {
		return msg, release, channel.Transientf(err, "读取消息的附件失败，稍后重试")
	}
	if len(msg.Attachments) != len(m.Attachments) {
		return msg, release, channel.Permanentf(nil, "消息的附件在状态数据库中缺失（应有 %d 个，找到 %d 个），无法发送", len(m.Attachments), len(msg.Attachments))
	}
	return msg, release, nil
}
