package app

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"botgate/app/datasource"
	"botgate/model"
)

// allowed: a template with no roles and no users is open to every authenticated user.
func (t *compiledTemplate) allowed(c model.Caller) bool {
	if len(t.Roles) == 0 && len(t.Users) == 0 {
		return true
	}
	if c.Name != "" && slices.Contains(t.Users, c.Name) {
		return true
	}
	if c.Sender != "" && slices.Contains(t.Users, c.Sender) {
		return true
	}
	for _, r := range c.Roles {
		if slices.Contains(t.Roles, r) {
			return true
		}
	}
	return false
}

// RunKeyword runs the template bound to keyword for caller with vars.
func (a *App) RunKeyword(ctx context.Context, c model.Caller, keyword string, vars model.Vars) (*model.KeywordResult, error) {
	st := a.state.Load()
	t := st.templates[strings.TrimSpace(keyword)]
	if t == nil || !t.Enabled || t.stmt == nil {
		return nil, model.Errorf(model.CodeNoKeyword, "关键字“%s”不存在或未启用，请在“交互查询”中检查模板", keyword)
	}
	if !t.allowed(c) || (c.Chat && !t.Chat) {
		return nil, &model.Error{Code: model.CodeForbidden, Msg: model.MsgForbidden}
	}
	return a.runTemplate(ctx, st, t, vars)
}

func (a *App) runTemplate(ctx context.Context, st *state, t *compiledTemplate, vars model.Vars) (*model.KeywordResult, error) {
	name := t.DataSource
	if name == "" {
		name = DefaultSource
	}
	ls := st.sources[name]
	if ls == nil || ls.err != nil || ls.src == nil {
		e := model.Errorf(model.CodeNoSource, "模板“%s”的数据源“%s”不可用，请在“数据源”中检查连接", t.Keyword, name)
		if ls != nil {
			e.Err = ls.err
		}
		return nil, e
	}
	timeout := time.Duration(t.TimeoutMS) * time.Millisecond
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	q, args := t.stmt.SQL(ls.src.Style()), t.stmt.Args(vars)
	res := &model.KeywordResult{Kind: t.Kind}
	var err error
	if t.Kind == model.KindQuery {
		var r *datasource.Result
		r, err = ls.src.Query(ctx, q, args, t.MaxRows)
		if err == nil {
			res.Columns, res.Rows, res.Truncated = r.Columns, r.Rows, r.Truncated
		}
	} else {
		res.Affected, err = ls.src.Exec(ctx, q, args)
	}
	if err != nil {
		if errors.Is(err, datasource.ErrStateDB) {
			// Not a broken template: the data file now leads to the state
			// database (swapped for a link since it was saved). The new
			// connection was refused; the admin must fix the file.
			a.log.Error("data source leads to the state database; connection refused", "keyword", t.Keyword, "datasource", name, "err", err)
			return nil, &model.Error{Code: model.CodeNoSource, Msg: "模板“" + t.Keyword + "”的数据源“" + name + "”指向了 BotGate 自己的状态数据库，已拒绝执行。请管理员在“数据源”中把文件路径改回 ERP 的数据库文件", Err: err}
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, &model.Error{Code: model.CodeQueryTimeout, Msg: "查询超时（超过 " + timeout.String() + "），请稍后再试或请管理员优化模板 SQL", Err: err}
		}
		a.log.Warn("template failed", "keyword", t.Keyword, "err", err)
		return nil, &model.Error{Code: model.CodeQueryFailed, Msg: "模板“" + t.Keyword + "”执行出错，请管理员在“交互查询”中试运行该模板查看原因", Err: err}
	}
	return res, nil
}
