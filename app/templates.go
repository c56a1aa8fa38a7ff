package app

// Keyword templates for the window: listing, deleting, checking and trying them.

import (
	"context"
	"fmt"

	"botgate/app/config"
	"botgate/app/datasource"
	"botgate/model"
	"botgate/storage"
)

// ListTemplates returns the keyword templates.
func (a *App) ListTemplates(ctx context.Context) ([]config.Template, error) {
	cf, err := a.Export(ctx)
	return cf.Templates, err
}

// DeleteTemplate removes a keyword template that no scheduled push runs.
func (a *App) DeleteTemplate(ctx context.Context, keyword string) error {
	if err := a.refuseIfScheduled(ctx, "模板", keyword, func(s model.Schedule) bool { return s.Template == keyword }); err != nil {
		return err
	}
	return a.deleteOne(ctx, "模板", keyword, func(tx *storage.Tx) error { return tx.DeleteTemplate(keyword) })
}

// ValidateTemplate checks a template without saving it (GUI: error next to the field).
func (a *App) ValidateTemplate(t config.Template) error {
	_, _, err := config.CheckTemplate(t, a.state.Load().sourceRows())
	return err
}

// sourceRows are the state's data sources as configured, which a template
// not saved yet is checked against.
func (st *state) sourceRows() map[string]model.DataSource {
	srcs := map[string]model.DataSource{}
	for n, s := range st.sources {
		srcs[n] = s.cfg
	}
	return srcs
}

// DryRunTemplate validates t without saving it and runs it with vars
// ("试运行"). Permissions are not checked: the admin is trying the SQL. A
// query only reads; an insert/update template changes data for real, so the
// caller must pass write=true after the admin confirmed.
func (a *App) DryRunTemplate(ctx context.Context, t config.Template, vars model.Vars, write bool) (*model.KeywordResult, error) {
	st := a.state.Load()
	tp, stmt, err := config.CheckTemplate(t, st.sourceRows())
	if err != nil {
		return nil, err
	}
	if tp.Kind != model.KindQuery && !write {
		return nil, model.Invalid("kind", "填报/修改模板试运行会真的修改数据，请确认后再试运行")
	}
	res, err := a.runTemplate(ctx, st, &compiledTemplate{Template: tp, stmt: stmt}, vars)
	if err != nil {
		return nil, dryRunError(err, tp.TimeoutMS)
	}
	return res, nil
}

// dryRunError is a failed 试运行 as the admin, who is writing the SQL, needs
// it: what went wrong in Chinese and what to change, with the database's own
// words kept in the middle for a colleague. A caller of the API gets the
// template error instead, which sends the admin here ("试运行该模板查看原因");
// saying that inside the try-run would send the admin in a circle.
func dryRunError(err error, timeoutMS int) error {
	e := model.ErrorOf(err)
	if e.Err == nil || e.Code == model.CodeInternal {
		return err
	}
	var msg string
	switch e.Code {
	case model.CodeQueryTimeout:
		if timeoutMS <= 0 {
			timeoutMS = 5000
		}
		msg = fmt.Sprintf("试运行超时：SQL 在 %d 毫秒内没有执行完。请缩小查询范围、给查询条件的列加索引，或在“超时（毫秒）”中调大", timeoutMS)
	case model.CodeQueryFailed:
		if what, todo := datasource.ExplainQuery(e.Err); what != "" {
			msg = "试运行出错：" + what + "（数据库原文：" + e.Err.Error() + "）。" + todo
		} else {
			msg = "试运行出错，数据库报告：" + e.Err.Error() + "。请检查 SQL 语句，或把这段提示发给数据库管理员"
		}
	default:
		msg = e.Msg + "（原因：" + e.Err.Error() + "）"
	}
	return &model.Error{Code: e.Code, Field: "sql", Msg: msg, Err: e.Err}
}
