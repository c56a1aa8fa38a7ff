package app

// Scheduled pushes (定时推送): the scheduler lives in app/schedule; this file
// wires the App into what it consumes and gives the window and the API
// their views.
//
// Permission rule: a schedule runs its template as the schedule itself
// (outbox rows owned by "定时推送:<name>", which no API user can be), and
// the template's users and roles, and its chat flag, are not checked. Only
// an admin can create a schedule (config import and the window both write
// the state database directly), and the admin picks both the template and
// the recipients; a users/roles list guards who may run a template through
// the API or chat, not what the admin sends where. The template must be an
// enabled query template: a schedule never writes data.

import (
	"cmp"
	"context"
	"sort"
	"strings"
	"time"

	"botgate/app/config"
	"botgate/app/schedule"
	"botgate/model"
	"botgate/storage"
)

// ScheduleView is a schedule with its last handled slot and its next one,
// for the 定时推送 tab and GET /api/v1/schedules.
type ScheduleView struct {
	config.Schedule
	Last *model.ScheduleRun // nil: no slot handled yet
	Next time.Time          // zero: disabled, or its time does not parse
	// Problem says why a stored schedule cannot run (a hand edit of the
	// database); "" normally.
	Problem string
}

// newScheduler builds the App's scheduler; the server runs it (StartServer).
func (a *App) newScheduler() *schedule.Scheduler {
	cfg := a.opts.Schedule
	if cfg.Now == nil {
		cfg.Now = a.opts.Now
	}
	if cfg.Log == nil {
		cfg.Log = a.log
	}
	return schedule.New(a.db, scheduleBackend{a}, cfg)
}

// ListSchedules lists the schedules with their last and next run.
func (a *App) ListSchedules(ctx context.Context) ([]ScheduleView, error) {
	list, err := a.db.Schedules(ctx)
	if err != nil {
		return nil, err
	}
	runs, err := a.db.ScheduleRuns(ctx)
	if err != nil {
		return nil, err
	}
	now := a.opts.Now()
	out := make([]ScheduleView, 0, len(list))
	for _, s := range list {
		v := ScheduleView{Schedule: config.ExportSchedule(s)}
		if r, ok := runs[s.Name]; ok {
			v.Last = &r
		}
		spec, err := schedule.Parse(s.Cron, s.TZ)
		switch {
		case err != nil:
			v.Problem = model.ErrorOf(err).Msg
		case s.Enabled:
			base := now
			if v.Last != nil && v.Last.Slot.After(base) {
				base = v.Last.Slot // the clock was set back: that slot is done
			}
			v.Next = spec.Next(base)
		}
		out = append(out, v)
	}
	return out, nil
}

// SchedulesFor is ListSchedules for an API caller: admins only, since a
// schedule shows recipients and templates of the whole office.
func (a *App) SchedulesFor(ctx context.Context, c model.Caller) ([]ScheduleView, error) {
	if !isAdmin(c) {
		return nil, model.Errorf(model.CodeForbidden, "只有 admin 角色的 API 用户可以查看定时推送")
	}
	return a.ListSchedules(ctx)
}

// DeleteSchedule removes a schedule (and its last-run record).
func (a *App) DeleteSchedule(ctx context.Context, name string) error {
	return a.deleteOne(ctx, "定时推送", name, func(tx *storage.Tx) error { return tx.DeleteSchedule(name) })
}

// refuseIfScheduled refuses to delete the template or channel called name
// while a schedule uses it: every slot would fail.
func (a *App) refuseIfScheduled(ctx context.Context, what, name string, uses func(model.Schedule) bool) error {
	list, err := a.db.Schedules(ctx)
	if err != nil {
		return err
	}
	var users []string
	for _, s := range list {
		if uses(s) {
			users = append(users, s.Name)
		}
	}
	if len(users) > 0 {
		return model.Invalid("name", "%s“%s”仍被定时推送 %s 使用：请先在“定时推送”中修改或删除它们", what, name, strings.Join(users, "、"))
	}
	return nil
}

// ScheduleTimes are the next n times a cron expression runs in zone tz,
// from now: the window's cron helper. Errors are Chinese, on field cron or tz.
func (a *App) ScheduleTimes(cron, tz string, n int) ([]time.Time, error) {
	spec, err := schedule.Parse(cron, tz)
	if err != nil {
		return nil, err
	}
	return spec.Times(a.opts.Now(), n), nil
}

// RunScheduleNow checks s as a save would and sends it now (立即运行一次),
// as it is in the form, saved or not. The slot record is not touched: the
// next slot is sent as usual.
func (a *App) RunScheduleNow(ctx context.Context, s config.Schedule) (model.ScheduleRun, error) {
	cur, err := a.current(ctx)
	if err != nil {
		return model.ScheduleRun{}, err
	}
	old, had := cur.Schedules[s.Name]
	ss, err := config.CheckSchedule(s, old, had, cur.Templates, cur.Channels, cur.Settings.DefaultChannel)
	if err != nil {
		return model.ScheduleRun{}, err
	}
	return a.sched.RunNow(ctx, ss)
}

// QueryTemplateNames are the keywords of the query templates, sorted: what a schedule may run.
func (a *App) QueryTemplateNames() []string {
	var names []string
	for kw, t := range a.state.Load().templates {
		if t.Kind == model.KindQuery {
			names = append(names, kw)
		}
	}
	sort.Strings(names)
	return names
}

// ChannelNames are the configured channels, sorted.
func (a *App) ChannelNames() []string {
	var names []string
	for name := range a.state.Load().channels {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// scheduleBackend is the App as the scheduler sees it.
type scheduleBackend struct{ a *App }

var _ schedule.Backend = scheduleBackend{}

// RunTemplate runs an enabled query template for a schedule (see the
// permission rule at the top of this file).
func (b scheduleBackend) RunTemplate(ctx context.Context, keyword string, vars model.Vars) (model.Template, *model.KeywordResult, error) {
	st := b.a.state.Load()
	t := st.templates[keyword]
	switch {
	case t == nil:
		return model.Template{}, nil, model.Errorf(model.CodeNoKeyword, "模板“%s”不存在（可能已被删除或改名），请在“定时推送”中重新选择模板", keyword)
	case !t.Enabled || t.stmt == nil:
		return model.Template{}, nil, model.Errorf(model.CodeNoKeyword, "模板“%s”已停用，请在“交互查询”中启用它", keyword)
	case t.Kind != model.KindQuery:
		return model.Template{}, nil, model.Errorf(model.CodeNoKeyword, "模板“%s”已改为填报/修改模板，定时推送只能用查询模板", keyword)
	}
	res, err := b.a.runTemplate(ctx, st, t, vars)
	return t.Template, res, err
}

func (b scheduleBackend) ReplyLimit(name string) int {
	return chatBackend(b).ReplyLimit(cmp.Or(name, b.a.Settings().DefaultChannel))
}

func (b scheduleBackend) Prepare(apiUser string, s schedule.Send) (model.NewMessage, error) {
	r := SendRequest{Channel: s.Channel, Content: s.Content, At: s.At}
	if s.Kind == "private" {
		r.QQ = s.To
	} else {
		r.Group = s.To
	}
	return b.a.prepareSend(model.Caller{Name: apiUser}, r)
}

func (b scheduleBackend) AdminRecipient() (schedule.Send, bool) {
	r, ok, err := config.ParseAdminRecipient(b.a.Settings().AdminRecipient)
	if err != nil || !ok {
		return schedule.Send{}, false
	}
	return schedule.Send{Channel: r.Channel, Target: schedule.Target{Kind: r.Kind, To: r.To}}, true
}

func (b scheduleBackend) Queue(ctx context.Context, msgs []model.NewMessage) ([]int64, error) {
	ids := make([]int64, 0, len(msgs))
	for _, m := range msgs {
		e, err := b.a.queue.Add(ctx, m)
		if err != nil {
			return ids, &model.Error{Code: model.CodeQueueFailed, Msg: "消息保存失败，未发送，请稍后重试或检查磁盘空间", Err: err}
		}
		ids = append(ids, e.ID)
	}
	return ids, nil
}

func (b scheduleBackend) Wake() { b.a.disp.Wake() }
