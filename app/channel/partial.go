package channel

import (
	"fmt"
	"strings"
)

// PartialDelivery is what Send returns when the platform took a message for
// a recipient list but refused some of its ids as unknown (WeCom
// invaliduser, DingTalk invalidStaffIdList, a Feishu user outside the app's
// range): the others have it, so the message is delivered and must not be
// retried; the outbox records the refused ids (model.Message.Invalid, the
// status API's "invalid"). A list whose every id is refused is an ordinary
// permanent failure instead.
type PartialDelivery struct {
	Invalid []string
	Msg     string // Chinese: why they were refused and what to check
}

func (e *PartialDelivery) Error() string {
	return fmt.Sprintf("%s（未送达：%s）", e.Msg, strings.Join(e.Invalid, "、"))
}
