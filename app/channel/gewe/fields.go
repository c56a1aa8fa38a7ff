package gewe

import "botgate/app/channel"

// fields are the channel form's boxes, in Keys order.
var fields = []channel.Field{
	{Key: "url", Label: "GeWe 接口地址", Kind: channel.FieldText, Required: true, Example: "http://api.geweapi.com",
		Help: "GeWe 云服务填 http://api.geweapi.com；自己部署的 GeWe（gewechat）填 http://服务器:2531/v2/api；旧版接口（api 选 v1）填不含 /api/... 的服务器地址"},
	{Key: "token", Label: "访问令牌 Token", Kind: channel.FieldSecret, Required: true, Example: "GeWe 后台复制的 token",
		Help: "GeWe 后台（manager.geweapi.com）首页的 Token；自己部署的 GeWe 由 /v2/api/tools/getTokenId 取得。以 X-GEWE-TOKEN 请求头发送"},
	{Key: "appid", Label: "设备 ID（appId）", Kind: channel.FieldText, Required: true, Example: "wx_ECMY4oEDuQAP6WimpWwWv",
		Help: "扫码登录微信时 GeWe 返回的 appId（wx_ 开头），GeWe 后台的设备列表中也能看到；一个 Token 下有多个微信时，每个微信建一个通道"},
	{Key: "api", Label: "接口版本", Kind: channel.FieldChoice, Default: apiV2,
		Help: "现在的 GeWe 选 v2（/gewe/v2/api/message/postText）；只有仍在用旧版 /api/message/sendmsg 接口的服务才选 v1",
		Choices: []channel.Choice{
			{Value: apiV2, Label: "v2：现在的 GeWe 接口（推荐）"},
			{Value: apiV1, Label: "v1：旧版 /api/message/sendmsg"},
		}},
	{Key: "secret", Label: "回调密钥", Kind: channel.FieldSecret, Example: "自己设一串字母数字",
		Help: "要在微信里用关键字查询时填写：GeWe 后台“回调地址”填 http://BotGate地址:7789/webhook/通道名?secret=这串密钥。GeWe 不签名回调，留空时只接受本机（127.0.0.1）的回调"},
}
