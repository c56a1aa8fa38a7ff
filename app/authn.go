package app

import (
	"context"
	"errors"
	"fmt"
	"math"

	"botgate/app/auth"
	"botgate/model"
)

// Authenticate checks credentials under the current authorization mode and
// returns the caller. In token and none modes the user name is taken as given
// (it only selects roles of a matching API user, for template permissions).
func (a *App) Authenticate(ctx context.Context, cr auth.Credentials) (model.Caller, error) {
	st := a.state.Load()
	p := auth.Policy{
		Mode:  st.settings.AuthMode,
		Token: st.settings.AuthToken,
		UserHash: func(name string) string {
			if u, ok := st.users[name]; ok && !u.Disabled {
				return u.PasswordHash
			}
			return ""
		},
		SQLCheck: func(ctx context.Context, user, password string) (bool, error) {
			return a.sqlAuth(ctx, st, user, password)
		},
	}
	err := a.auth.Verify(ctx, p, cr)
	var te *auth.ThrottledError
	switch {
	case err == nil:
	case (errors.Is(err, auth.ErrMissing) || errors.Is(err, auth.ErrBad)) && p.Mode == auth.ModeUsers && len(st.users) == 0:
		// A new BotGate refuses every call until a user exists: say so,
		// or the ERP's programmer hunts for a typo in the password.
		return model.Caller{}, model.Errorf(model.CodeUnauthorized, "授权失败：BotGate 还没有任何 API 用户。请管理员在 BotGate 窗口的“授权”页新建用户（或用“首次使用向导”），再用它的用户名和密码调用")
	case errors.Is(err, auth.ErrMissing):
		return model.Caller{}, model.Errorf(model.CodeUnauthorized, "缺少授权参数：请在请求中提供 user 和 Access_token")
	case errors.Is(err, auth.ErrBad):
		return model.Caller{}, model.Errorf(model.CodeUnauthorized, "授权失败：user 或 Access_token 不正确")
	case errors.As(err, &te):
		return model.Caller{}, model.Errorf(model.CodeThrottled, "授权失败次数过多，请 %d 秒后再试", int(math.Ceil(te.RetryAfter.Seconds())))
	default:
		var e *model.Error
		if errors.As(err, &e) {
			return model.Caller{}, e
		}
		return model.Caller{}, &model.Error{Code: model.CodeInternal, Msg: "授权检查出错，请联系管理员查看日志", Err: err}
	}
	c := model.Caller{Name: cr.User}
	if u, ok := st.users[cr.User]; ok && !u.Disabled {
		c.Roles = u.Roles
	}
	return c, nil
}

// sqlAuth runs the admin's auth query: a row back means the pair is good.
func (a *App) sqlAuth(ctx context.Context, st *state, user, password string) (bool, error) {
	ls := st.sources[st.settings.AuthDataSource]
	if st.authSQL == nil || ls == nil || ls.src == nil {
		return false, &model.Error{Code: model.CodeNoSource, Msg: "SQL 授权未配置好：请在“授权”中设置数据源和授权 SQL", Err: fmt.Errorf("auth datasource %q", st.settings.AuthDataSource)}
	}
	res, err := ls.src.Query(ctx, st.authSQL.SQL(ls.src.Style()), st.authSQL.Args(model.Vars{"user": user, "password": password}), 1)
	if err != nil {
		return false, &model.Error{Code: model.CodeNoSource, Msg: "SQL 授权查询出错，请管理员检查授权 SQL 和数据源", Err: err}
	}
	return len(res.Rows) > 0, nil
}
